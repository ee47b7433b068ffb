// tests/gw/redis-silent.test.js — Redis connections that go silent without
// closing (a hung peer, a path that drops packets). A relay (tests/lib/proxy.js)
// between tickgw and a real redis-server freezes one connection:
//  - the subscriber: ts:live stops while the streams move on; the gateway
//    notices, resubscribes and repairs the hole: the client sees no gap;
//  - the command connection: its PINGs go unanswered; /readyz turns 503 with
//    the reason, the connection is redone, /readyz is 200 again;
//  - the catch-up connection (XRANGEs of catch-ups only): dropped with the
//    reason, redone, and catch-ups that need the streams work again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { checkSeries, startTicking } from '../lib/redis.js';
import { waitFor } from '../lib/procs.js';
import { startGateway, WsClient, metrics, stopStack } from '../lib/gateway.js';
import { SilenceProxy } from '../lib/proxy.js';

const DT = 50;
let redis, client, gen, gw, proxy;
const clients = [];
const more = [];

before(async () => {
  ({ redis, client, gen } = await startTicking(['--interval-ms', String(DT), '--reset'], 'ticker_00', 5, 15000));
  proxy = await SilenceProxy.start(redis.port);
  gw = await startGateway(proxy.url, ['--threads', '1', '--redis-timeout', '500ms']);
});

after(() => stopStack({ clients, gateways: [gw, ...more], procs: [gen], others: [proxy], client, redis }));

test('a deaf subscriber is noticed and replaced; the client sees no hole', { timeout: 40000 }, async () => {
  const c = await WsClient.open(gw.ws);
  clients.push(c);
  c.sub('ticker_07', Date.now() - 2000);
  await c.waitLive('ticker_07', 10);
  const before = await metrics(gw);
  const subs = proxy.matching(/SUBSCRIBE/i);
  assert.equal(subs.length, 1, 'one subscriber connection through the relay');
  proxy.freeze(subs[0]);
  // Silence is judged after max(3 intervals, 3 s); then the streams are checked.
  await waitFor('a new subscriber connection', () => proxy.matching(/SUBSCRIBE/i).some((x) => !x.frozen), { timeout: 15000 });
  const n = c.series('ticker_07').live;
  await c.waitLive('ticker_07', n + 20, 15000);
  assert.equal(checkSeries(c.series('ticker_07'), DT), null, 'no hole, no duplicate across the resubscribe');
  const after = await metrics(gw);
  assert.ok(after.tickgw_redis_reconnects_total > before.tickgw_redis_reconnects_total, 'counted as a reconnect');
  assert.ok(after.tickgw_live_gaps_total > before.tickgw_live_gaps_total, 'the hole was repaired from the streams');
});

test('an unanswered command connection: /readyz 503 with the reason, then redone and 200', { timeout: 40000 }, async () => {
  // The command connection is the one that read ts:meta (the catch-up
  // connection carries only XRANGEs and PINGs; the subscriber SUBSCRIBEs).
  const cmd = proxy.matching(/HGETALL/i).filter((x) => !x.frozen);
  assert.equal(cmd.length, 1, 'one command connection through the relay');
  // The connection made to replace it is held until /readyz has been seen
  // 503: otherwise the down state lasts one backoff step (100 ms), which a
  // poll on a loaded machine can miss.
  proxy.holdNew();
  proxy.freeze(cmd[0]);
  const down = await waitFor('/readyz 503', async () => {
    const r = await fetch(`${gw.http}/readyz`);
    return r.status === 503 ? r.text() : false;
  }, { timeout: 15000, every: 50 });
  proxy.release();
  assert.match(down, /command connection: no reply to PING/);
  await waitFor('/readyz 200 again', async () => (await fetch(`${gw.http}/readyz`)).status === 200, { timeout: 15000 });
  // The history API needs the command connection: it answers again.
  const r = await fetch(`${gw.http}/api/history?sym=ticker_01&since=${Date.now() - 1000}`);
  assert.equal(r.status, 200);
});

test('an unanswered catch-up connection: dropped with the reason, redone; catch-ups read the streams again', { timeout: 60000 }, async () => {
  const known = new Set(proxy.conns);
  // A ring of 20 ticks: a catch-up from 5 s ago must XRANGE the stream.
  const gw2 = await startGateway(proxy.url, ['--threads', '1', '--redis-timeout', '500ms', '--ring', '1s']);
  more.push(gw2);
  const c = await WsClient.open(gw2.ws);
  clients.push(c);
  c.sub('ticker_03', Date.now() - 5000);
  await c.waitLive('ticker_03', 5);
  assert.equal(checkSeries(c.series('ticker_03'), DT), null, 'catch-up through the catch-up connection');
  const cu = proxy.conns.filter((x) => !known.has(x) && !x.closed && /XRANGE/i.test(x.sent) && !/HGETALL|SUBSCRIBE/i.test(x.sent));
  assert.equal(cu.length, 1, 'one catch-up connection through the relay');
  const before = await metrics(gw2);
  proxy.freeze(cu[0]);
  // The catch-up connection counts for /readyz as soon as TCP is up again, so
  // its 503 lasts one backoff step: read the drop from the log instead.
  await gw2.waitOutput(/redis catch-up connection: no reply to PING for \d+ ms; reconnecting/, 15000);
  await waitFor('a new catch-up connection', async () => (await metrics(gw2)).tickgw_redis_reconnects_total > before.tickgw_redis_reconnects_total, { timeout: 15000 });
  await waitFor('/readyz 200 again', async () => (await fetch(`${gw2.http}/readyz`)).status === 200, { timeout: 15000 });
  const c2 = await WsClient.open(gw2.ws);
  clients.push(c2);
  c2.sub('ticker_04', Date.now() - 5000);
  await c2.waitLive('ticker_04', 5, 15000);
  const s = c2.series('ticker_04');
  assert.equal(checkSeries(s, DT), null, 'no hole, no duplicate');
  assert.ok(s.length >= 90, `the streams were read again (${s.length} ticks)`);
});
