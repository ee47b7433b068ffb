// tests/gw/clockstep.test.js — the gateway's wall clock stepped (libfaketime):
// h2o 2.2.5 stamps its timeouts with the wall clock, and the worker's
// housekeeping tick stopped for as long as a step back (gw_mtick.h). After
// a step back of an hour the gateway still notices Redis going away and
// comes back with it, serves catch-ups and live ticks, and stops on SIGTERM
// at once; after a step forward its clients stay connected.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTicking } from '../lib/redis.js';
import { fakeClock, waitFor } from '../lib/procs.js';
import { startGateway, WsClient, metrics, stopStack } from '../lib/gateway.js';

let redis, client, gen, gw, clock;
const clients = [];

before(async () => {
  ({ redis, client, gen } = await startTicking(['--interval-ms', '100', '--reset', '--instruments', '4', '--rollups', 'off'], 'ticker_00', 5, 15000));
  clock = fakeClock('+0');
  gw = await startGateway(redis.url, ['--threads', '1'], { env: clock.env });
});

after(async () => {
  await stopStack({ clients, gateways: [gw], procs: [gen], client, redis });
  clock?.remove();
});

test('wall clock stepped back an hour: Redis restarted is noticed and rejoined; catch-up and live ticks go on', { timeout: 60000 }, async () => {
  const c = await WsClient.open(gw.ws);
  clients.push(c);
  c.sub('ticker_00', Date.now() - 1000);
  await c.waitLive('ticker_00', 5);
  clock.set('-3600');
  // 3,600,000 ms give or take the whole-ms rounding of the two clocks
  await gw.waitOutput(/the wall clock stepped back by 3[56]\d{5} ms/, 5000);
  const reconnects = (await metrics(gw)).tickgw_redis_reconnects_total ?? 0;
  // Redis goes away and comes back: only the worker's tick reconnects.
  await redis.kill();
  await redis.restart();
  await waitFor('the gateway back on Redis (a reconnect counted, /readyz 200)', async () => {
    const m = await metrics(gw);
    return (m.tickgw_redis_reconnects_total ?? 0) > reconnects && (await fetch(`${gw.http}/readyz`)).status === 200;
  }, { timeout: 15000 });
  const c2 = await WsClient.open(gw.ws);
  clients.push(c2);
  c2.sub('ticker_01', Date.now() - 3000);
  await c2.waitLive('ticker_01', 5, 10000);
  assert.ok(c2.msgs.some((m) => m.op === 'hist' && m.sym === 'ticker_01'), 'a catch-up after the step');
});

test('wall clock stepped forward a day: clients stay, live ticks go on', { timeout: 30000 }, async () => {
  const c = await WsClient.open(gw.ws);
  clients.push(c);
  c.sub('ticker_02', Date.now() - 1000);
  await c.waitLive('ticker_02', 3);
  clock.set('+86400');
  await gw.waitOutput(/the wall clock stepped forward by \d{8} ms/, 5000);
  const n = c.series('ticker_02').live;
  await c.waitLive('ticker_02', n + 10, 5000);
  assert.equal(c.ws.readyState, 1, 'still connected');
  // SIGTERM (in after): stopStack asserts exit 0 within its wait, which the
  // old tick, stuck behind the step back, missed.
});
