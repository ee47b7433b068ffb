// tests/cluster/per-ip.test.js — the per-address connection limit behind
// HAProxy. Every connection reaches the gateways from the proxy's address,
// which they exempt, so the limit is HAProxy's (deploy/haproxy/haproxy.cfg,
// a stick-table on the client's address, TS_MAX_CONNS_PER_IP as for the
// gateway): with it at 3, a 4th WebSocket from 127.0.0.2 through HAProxy is
// closed at accept while 127.0.0.3 still gets in, closing one makes room,
// and the gateway refused nothing itself. At 0 there is no limit.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { Proc, ROOT, freePort, waitFor } from '../lib/procs.js';
import { startTicking } from '../lib/redis.js';
import { startGateway, metrics, stopStack } from '../lib/gateway.js';

let redis, client, gen, gw, dir;
const lbs = [];
const sockets = [];

before(async () => {
  ({ redis, client, gen } = await startTicking(['--interval-ms', '100', '--instruments', '4', '--reset'], 'ticker_00', 5));
  gw = await startGateway(redis.url);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-haproxy-'));
});

after(async () => {
  for (const s of sockets) s.terminate();
  for (const lb of lbs) await lb.stop();
  await stopStack({ gateways: [gw], procs: [gen], client, redis });
  fs.rmSync(dir, { recursive: true, force: true });
});

/** HAProxy from the shared config (render.sh) in front of gw, with TS_MAX_CONNS_PER_IP = limit. */
async function startLb(limit) {
  const port = await freePort();
  const cfg = path.join(dir, `haproxy-${port}.cfg`);
  fs.writeFileSync(cfg, execFileSync(path.join(ROOT, 'deploy/haproxy/render.sh'), ['-b', `127.0.0.1:${port}`, `127.0.0.1:${gw.port}`]));
  const lb = new Proc('haproxy', 'haproxy', ['-db', '-f', cfg], { env: { TS_MAX_CONNS_PER_IP: String(limit) } });
  lbs.push(lb);
  lb.url = `ws://127.0.0.1:${port}/ws`;
  await waitFor('HAProxy to answer /readyz', async () => {
    if (!lb.running) throw new Error(`haproxy exited: ${lb.tail()}`);
    return (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200;
  }, { timeout: 15000 });
  return lb;
}

/** Opens a WebSocket from a local address: 'open' (kept) or 'error: …'. */
function open(url, from) {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { localAddress: from });
    ws.on('open', () => { sockets.push(ws); resolve('open'); });
    ws.on('error', (e) => resolve(`error: ${e.message}`));
  });
}

test('behind HAProxy the per-address limit is the proxy\'s: the 4th WebSocket from one address is closed', { timeout: 60000 }, async () => {
  const lb = await startLb(3);
  const before = (await metrics(gw)).tickgw_per_ip_refused_total;
  const mine = [];
  for (let i = 0; i < 3; i++) {
    assert.equal(await open(lb.url, '127.0.0.2'), 'open', `WebSocket ${i + 1} from 127.0.0.2`);
    mine.push(sockets[sockets.length - 1]);
  }
  assert.match(await open(lb.url, '127.0.0.2'), /^error/, 'a 4th from 127.0.0.2 is closed at accept');
  assert.equal(await open(lb.url, '127.0.0.3'), 'open', 'another address is not affected');
  // Closing one makes room again (HAProxy's count drops with the connection).
  const closed = new Promise((r) => mine[0].on('close', r));
  mine[0].close();
  await closed;
  await waitFor('room for one more from 127.0.0.2', async () => (await open(lb.url, '127.0.0.2')) === 'open', { timeout: 10000 });
  // Three from 127.0.0.2 and one from 127.0.0.3 are open, all on the gateway.
  const m = await waitFor('the gateway to hold the four', async () => {
    const x = await metrics(gw);
    return x.tickgw_connections === 4 && x;
  }, { timeout: 10000 });
  assert.equal(m.tickgw_per_ip_refused_total, before, 'the gateway refused nothing: the proxy is exempt');
});

test('TS_MAX_CONNS_PER_IP=0 behind HAProxy: no limit', { timeout: 60000 }, async () => {
  const lb = await startLb(0);
  for (let i = 0; i < 8; i++) assert.equal(await open(lb.url, '127.0.0.4'), 'open', `WebSocket ${i + 1} from 127.0.0.4`);
});
