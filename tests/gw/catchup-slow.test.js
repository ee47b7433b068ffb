// tests/gw/catchup-slow.test.js — catch-ups whose last send closes the client.
//
// With a tiny --send-queue, the step that ends a catch-up (the rest of the
// XRANGE part plus the whole ring, queued at once) passes the cap, so the
// client is closed 1008 inside that step: as the last XRANGE reply is
// handled, or as a queued catch-up reaches the ring. The subscription must
// still be freed with its client. Only `make test SAN=1` sees a leak (LSan
// reports it when the gateway stops, and Proc.stop throws); without
// sanitizers the test still checks the closes and that the gateway serves on.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readStream, startTicking } from '../lib/redis.js';
import { startGateway, WsClient, metrics, stopStack } from '../lib/gateway.js';

const DT = 2;
const SYM = 'ticker_01';
let redis, client, gen, gw;
const clients = [];

before(async () => {
  // More than the ring (4 s = 2000 ticks), so since=0 begins with XRANGEs.
  ({ redis, client, gen } = await startTicking(['--interval-ms', String(DT), '--instruments', '4', '--reset'], SYM, 3000, 30000));
  gw = await startGateway(redis.url, ['--ring', '4s', '--chunk', '100', '--send-queue', '4096', '--close-timeout', '200ms']);
});

after(() => stopStack({ clients, gateways: [gw], procs: [gen], client, redis }));

test('clients closed as slow by the last send of their catch-up: closed 1008, nothing leaks', { timeout: 60000 }, async () => {
  const s0 = (await metrics(gw)).tickgw_slow_client_closes_total;
  const slow = [];
  for (let i = 0; i < 8; i++) {
    const c = await WsClient.open(gw.ws, { json: true });
    clients.push(c);
    c.sub(SYM, 0);
    c.sub('ticker_02', 0);
    slow.push(c);
  }
  await waitFor1008(slow);
  const m = await metrics(gw);
  assert.ok(m.tickgw_slow_client_closes_total >= s0 + slow.length, `${m.tickgw_slow_client_closes_total - s0} slow closes`);
  // The gateway serves on, exactly.
  const c = await WsClient.open(gw.ws, { json: false });
  clients.push(c);
  const since = (await readStream(client, SYM, '-', '+')).at(-1).t - 500;
  c.sub(SYM, since);
  await c.waitLive(SYM, 20);
  const s = c.series(SYM);
  assert.deepEqual(s.map(({ t, p }) => ({ t, p })), await readStream(client, SYM, String(since + 1), String(s.at(-1).t)));
  // Every subscription of a closed client is gone (gauge).
  await waitGauge(1);
});

async function waitFor1008(cs) {
  const codes = await Promise.all(cs.map((c) => c.closed));
  for (const { code } of codes) assert.equal(code, 1008);
}

async function waitGauge(n) {
  const until = Date.now() + 10000;
  for (;;) {
    const v = (await metrics(gw)).tickgw_subscriptions;
    if (v === n) return;
    if (Date.now() > until) assert.fail(`tickgw_subscriptions ${v}, want ${n}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
