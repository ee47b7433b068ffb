// tests/gw/policy.test.js — who may connect and what may be read
// (docs/PROTOCOL.md, "Who may connect"): --allowed-origins on WebSocket
// upgrades, --max-conns-per-ip at accept (with --per-ip-exempt), the
// --header-timeout deadline for a dripped request (slowloris), h2o's cap
// on a header block, and the file guard (no build fragments, dot files or
// symlinks out of --webui). 127.0.0.2 is a second loopback address: the
// per-address limit is seen from it while 127.0.0.1 stays exempt.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import WebSocket from 'ws';
import { startTicking } from '../lib/redis.js';
import { waitFor } from '../lib/procs.js';
import { startGateway, metrics, stopStack } from '../lib/gateway.js';

let redis, client, gen, gw, gwListed;
const webui = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-policy-'));
const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-outside-'));

before(async () => {
  ({ redis, client, gen } = await startTicking(['--interval-ms', '100', '--instruments', '4', '--reset'], 'ticker_00', 3, 15000));
  fs.writeFileSync(path.join(webui, 'index.html'), '<p>page</p>');
  fs.writeFileSync(path.join(webui, 'module.mk'), 'SECRET_BUILD_RULE := 1\n');
  fs.writeFileSync(path.join(webui, '.env'), 'TOKEN=1\n');
  fs.mkdirSync(path.join(webui, 'sub'));
  fs.writeFileSync(path.join(webui, 'sub', 'a.js'), 'export {};\n');
  fs.writeFileSync(path.join(outside, 'secret.txt'), 'outside\n');
  fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(webui, 'leak.txt'));
  fs.symlinkSync(outside, path.join(webui, 'leakdir'));
  fs.symlinkSync(path.join(webui, 'sub', 'a.js'), path.join(webui, 'inside.js'));
  gw = await startGateway(redis.url, ['--webui', webui, '--max-conns-per-ip', '3', '--header-timeout', '1s']);
  gwListed = await startGateway(redis.url, ['--allowed-origins', 'http://app.example:3000, https://other.example']);
});

after(async () => {
  await stopStack({ gateways: [gw, gwListed], procs: [gen], client, redis });
  fs.rmSync(webui, { recursive: true, force: true });
  fs.rmSync(outside, { recursive: true, force: true });
});

/** Opens a WebSocket with these options; resolves 'open' or the HTTP status of the refusal. */
function upgrade(url, opts = {}) {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, opts);
    ws.on('open', () => { ws.terminate(); resolve('open'); });
    ws.on('unexpected-response', (req, res) => { resolve(res.statusCode); req.destroy(); });
    ws.on('error', (e) => resolve(`error ${e.message}`));
  });
}

test('--allowed-origins: same origin, listed and absent Origin pass; others get 403', { timeout: 30000 }, async () => {
  const host = `127.0.0.1:${gw.port}`;
  assert.equal(await upgrade(gw.ws), 'open', 'no Origin: not a browser');
  assert.equal(await upgrade(gw.ws, { origin: `http://${host}` }), 'open', 'the page served by this gateway');
  assert.equal(await upgrade(gw.ws, { origin: `https://${host}` }), 'open', 'the same host behind a TLS load balancer');
  assert.equal(await upgrade(gw.ws, { origin: `HTTP://127.0.0.1:${gw.port}` }), 'open', 'case does not matter');
  const before = (await metrics(gw)).tickgw_origin_refused_total;
  for (const origin of ['http://evil.example', `http://127.0.0.1:${gw.port + 1}`, 'null', `http://${host}.evil.example`,
    `http://${host}/path`]) {
    assert.equal(await upgrade(gw.ws, { origin }), 403, origin);
  }
  assert.equal((await metrics(gw)).tickgw_origin_refused_total - before, 5);

  assert.equal(await upgrade(gwListed.ws, { origin: 'http://app.example:3000' }), 'open');
  assert.equal(await upgrade(gwListed.ws, { origin: 'https://other.example:443' }), 'open', 'default port');
  assert.equal(await upgrade(gwListed.ws, { origin: 'http://other.example' }), 403, 'scheme must match the list');
  assert.equal(await upgrade(gwListed.ws, { origin: 'http://app.example:3001' }), 403);
  // The HTTP API is not a WebSocket: a page elsewhere may read it (no cookies are involved).
  assert.equal((await fetch(`${gw.http}/healthz`, { headers: { Origin: 'http://evil.example' } })).status, 200);
});

/** Connects from 127.0.0.2 (or from), asks /healthz; resolves the status line or '' when closed unanswered. */
function rawGet(port, { from = '127.0.0.2', request = 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n', keep = [] } = {}) {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port, localAddress: from });
    let got = '';
    s.on('connect', () => s.write(request));
    s.on('data', (d) => {
      got += d.toString('latin1');
      if (got.includes('\r\n')) { keep.push(s); resolve(got.split('\r\n')[0]); }
    });
    s.on('close', () => resolve(got.split('\r\n')[0]));
    s.on('error', () => {});
  });
}

test('--max-conns-per-ip: the 4th connection from one address is closed, exempt 127.0.0.1 is not', { timeout: 30000 }, async () => {
  const held = [];
  for (let i = 0; i < 3; i++) assert.equal(await rawGet(gw.port, { keep: held }), 'HTTP/1.1 200 OK');
  const before = (await metrics(gw)).tickgw_per_ip_refused_total;
  assert.equal(await rawGet(gw.port), '', 'a 4th connection from 127.0.0.2 is closed unanswered');
  assert.equal((await metrics(gw)).tickgw_per_ip_refused_total - before, 1);
  // A WebSocket counts too (the same socket after the upgrade).
  assert.match(await upgrade(gw.ws, { localAddress: '127.0.0.2' }), /^error/);
  // 127.0.0.1 (the default --per-ip-exempt: a local load balancer) is not limited.
  const local = [];
  for (let i = 0; i < 6; i++) assert.equal(await rawGet(gw.port, { from: '127.0.0.1', keep: local }), 'HTTP/1.1 200 OK');
  // Closing one makes room again (the count drops when h2o closes the socket).
  held.pop().destroy();
  await waitFor('room for one more from 127.0.0.2', async () => (await rawGet(gw.port, { keep: held })) === 'HTTP/1.1 200 OK');
  for (const s of [...held, ...local]) s.destroy();
  assert.ok(gw.running);
});

test('--header-timeout: a request dripped byte by byte is closed at the deadline', { timeout: 30000 }, async () => {
  const s = net.connect({ host: '127.0.0.1', port: gw.port });
  const t0 = Date.now();
  let closedAt = 0, timer;
  s.on('error', () => {});
  const closed = new Promise((resolve) => s.on('close', () => { closedAt = Date.now(); clearInterval(timer); resolve(); }));
  s.on('connect', () => {
    s.write('GET /healthz HTTP/1.1\r\n');
    timer = setInterval(() => s.write('X'), 100); // never ends the header block
  });
  await closed;
  const took = closedAt - t0;
  assert.ok(took >= 900 && took < 8000, `closed after ${took} ms with --header-timeout 1s`);
});

test('h2o 2.2.5\'s fixed caps: a header block over 417,792 bytes or over 100 headers gets 400; the gateway serves on', { timeout: 30000 }, async () => {
  const req = (headers) => `GET /healthz HTTP/1.1\r\nHost: x\r\n${headers}\r\n`;
  const local = { from: '127.0.0.1' };
  assert.equal(await rawGet(gw.port, { ...local, request: req(`X-Big: ${'a'.repeat(410000)}\r\n`) }), 'HTTP/1.1 200 OK');
  assert.equal(await rawGet(gw.port, { ...local, request: req(`X-Big: ${'a'.repeat(420000)}\r\n`) }), 'HTTP/1.1 400 Bad Request');
  const many = (n) => req(Array.from({ length: n }, (_, i) => `X-H${i}: 1\r\n`).join(''));
  assert.equal(await rawGet(gw.port, { ...local, request: many(99) }), 'HTTP/1.1 200 OK', '100 headers with Host');
  assert.equal(await rawGet(gw.port, { ...local, request: many(100) }), 'HTTP/1.1 400 Bad Request', '101 headers');
  assert.equal((await fetch(`${gw.http}/healthz`)).status, 200);
});

test('files: build fragments, dot files and symlinks out of --webui are 404; the page and in-tree links are served', { timeout: 30000 }, async () => {
  const get = async (p) => {
    const r = await fetch(`${gw.http}${p}`);
    return [r.status, await r.text()];
  };
  assert.deepEqual(await get('/'), [200, '<p>page</p>']);
  assert.equal((await get('/sub/a.js'))[0], 200);
  assert.equal((await get('/inside.js'))[0], 200, 'a symlink that stays inside --webui');
  for (const p of ['/module.mk', '/.env', '/leak.txt', '/leakdir/secret.txt', '/sub/../module.mk', '/%2e%2e/Makefile',
    '/nope.html']) {
    const [status, body] = await get(p);
    assert.equal(status, 404, p);
    assert.ok(!body.includes('SECRET') && !body.includes('outside') && !body.includes('TOKEN'), p);
  }
  // The repository's own page directory: its webui/module.mk is not served either.
  const [status] = await (async () => { const r = await fetch(`${gwListed.http}/module.mk`); return [r.status]; })();
  assert.equal(status, 404);
  assert.equal((await fetch(`${gwListed.http}/app.js`)).status, 200);
});
