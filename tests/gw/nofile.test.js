// tests/gw/nofile.test.js — tickgw and the open-files limit: the soft limit
// is raised to the hard one (as Go's runtime does), so every connection under
// the cap is accepted; when even the hard limit is too low the cap is lowered
// to fit, and every client connection, HTTP keep-alive ones too, counts
// against what the limit holds: the connection past it gets a 503 instead of
// waiting in the backlog while accept() fails (EMFILE).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import net from 'node:net';
import { startTicking } from '../lib/redis.js';
import { BUILD, Proc, freePort, waitFor } from '../lib/procs.js';
import { waitReady, WsClient, metrics, stopStack } from '../lib/gateway.js';

let redis, client, gen;
const gateways = [], clients = [];

before(async () => {
  ({ redis, client, gen } = await startTicking(['--interval-ms', '1000', '--reset', '--instruments', '4', '--rollups', 'off'], 'ticker_00', 1, 15000));
});

after(() => stopStack({ clients, gateways, procs: [gen], client, redis }));

/** tickgw --threads 1 --max-conns MAX under `ulimit LIMITS` (a bash ulimit argument list). */
async function gateway(limits, max) {
  const port = await freePort();
  const gw = new Proc('tickgw', 'bash', ['-c', `ulimit ${limits} && exec "$0" "$@"`, path.join(BUILD, 'tickgw'),
    '--listen', `127.0.0.1:${port}`, '--redis', redis.url, '--threads', '1', '--max-conns', String(max)]);
  gateways.push(gw);
  gw.http = `http://127.0.0.1:${port}`;
  gw.ws = `ws://127.0.0.1:${port}/ws`;
  await waitReady(gw);
  return gw;
}

async function openMany(gw, n) {
  const mine = [];
  for (let i = 0; i < n; i++) {
    let timer;
    const late = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`connection ${i + 1} of ${n} not open within 5 s (accept() out of descriptors?)`)), 5000); });
    const c = await Promise.race([WsClient.open(gw.ws), late]).finally(() => clearTimeout(timer));
    clients.push(c);
    mine.push(c);
  }
  return mine;
}

/**
 * Opens WebSockets until one is refused; each must open or be refused within
 * 5 s, never left waiting. Returns how many opened and the refusal.
 */
async function openUntilRefused(gw, most) {
  const mine = [];
  for (;;) {
    let timer;
    const late = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`connection ${mine.length + 1} neither open nor refused within 5 s (accept() out of descriptors?)`)), 5000); });
    try {
      const c = await Promise.race([WsClient.open(gw.ws), late]);
      clients.push(c);
      mine.push(c);
    } catch (e) {
      if (/not open|neither/.test(e.message)) throw e;
      return { mine, refusal: e };
    } finally {
      clearTimeout(timer);
    }
    assert.ok(mine.length <= most, `more than ${most} connections open`);
  }
}

test('a soft limit of 200 under a higher hard limit is raised to it: 300 connections of --max-conns 1000 all accepted', { timeout: 60000 }, async () => {
  const gw = await gateway('-Sn 200', 1000);
  await gw.waitOutput(/open files limit raised from 200 to \d+/, 5000);
  const to = Number(gw.output.match(/open files limit raised from 200 to (\d+)/)[1]);
  assert.ok(to >= 1072, `raised to ${to}, the hard limit, at least what --max-conns 1000 needs`);
  const mine = await openMany(gw, 300);
  await waitFor('300 connections counted', async () => (await metrics(gw)).tickgw_connections === 300, { timeout: 10000 });
  for (const c of mine) await c.close();
});

test('a hard limit of 200: --max-conns lowered to fit, and the connection past it gets a 503', { timeout: 60000 }, async () => {
  const gw = await gateway('-n 200', 1000);
  // 200 - (64 + 8 × 1 thread) = 128
  await gw.waitOutput(/open files limit 200 \(hard limit 200\) holds 128 connections .*--max-conns lowered from 1000 to 128/, 5000);
  // the harness's own HTTP keep-alive connections (/readyz polled) count too
  const { mine, refusal } = await openUntilRefused(gw, 128);
  assert.match(refusal.message, /503/, 'the connection past the limit is refused with 503');
  assert.ok(mine.length >= 124, `${mine.length} WebSockets opened of 128`);
  // a probe is still answered (then its connection closes)
  await waitFor(`${mine.length} connections counted`, async () => (await metrics(gw)).tickgw_connections === mine.length, { timeout: 10000 });
  for (const c of mine) await c.close();
});

// Found by a review: the cap counted WebSocket and SSE sessions only, while
// idle HTTP keep-alive connections (a page, /api/config, ranges) hold
// descriptors too; past the limit accept() failed and the next WebSocket,
// under the cap, waited in the backlog with no answer and nothing logged.
test('a hard limit of 200 and 60 idle HTTP keep-alive connections: WebSockets open to what the limit holds, the next gets a 503, and one opens again once those close', { timeout: 60000 }, async () => {
  const gw = await gateway('-n 200', 1000);
  await gw.waitOutput(/--max-conns lowered from 1000 to 128/, 5000);
  const idle = [];
  try {
    for (let i = 0; i < 60; i++) {
      const s = net.connect(Number(new URL(gw.http).port), '127.0.0.1');
      idle.push(s);
      await new Promise((resolve, reject) => { s.once('connect', resolve); s.once('error', reject); });
      s.write('GET /api/config HTTP/1.1\r\nHost: x\r\n\r\n');
      const head = await new Promise((resolve, reject) => { s.once('data', (d) => resolve(d.toString())); s.once('error', reject); });
      assert.match(head, /^HTTP\/1\.1 200/, `keep-alive connection ${i + 1}`);
    }
    const { mine, refusal } = await openUntilRefused(gw, 128 - 60);
    assert.match(refusal.message, /503/, 'refused with 503, not left waiting');
    assert.ok(mine.length >= 128 - 60 - 4, `${mine.length} WebSockets opened beside 60 HTTP connections, of 128`);
    await gw.waitOutput(/client connections, past the 128 the open files limit holds: the new one is answered 503/, 5000);
    assert.ok((await metrics(gw)).tickgw_nofile_refused_total >= 1, 'counted');
  } finally {
    for (const s of idle) s.destroy();
  }
  await waitFor('a WebSocket open once the HTTP connections closed', async () => {
    try {
      clients.push(await WsClient.open(gw.ws));
      return true;
    } catch {
      return false;
    }
  }, { timeout: 10000 });
});
