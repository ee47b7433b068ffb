// tests/gw/live-feed.test.js — the gateway's own live feed: a ring fill over
// a history shorter than the ring goes live (it once re-read the same chunk
// forever), and a ts:live message off the interval grid is dropped without a
// repair storm. In between, a generator restart with --reset (a new epoch)
// closes the gateway's clients with 1012.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { encode } from '@msgpack/msgpack';
import { readStream, checkSeries, startTicking } from '../lib/redis.js';
import { startGenerator } from '../lib/procs.js';
import { startGateway, WsClient, metrics, stopStack } from '../lib/gateway.js';

const DT = 1;
let redis, client, gen, gw;
const clients = [];

before(async () => {
  // 1 ms ticks: a few thousand rows of history in a few seconds.
  // More than one repair chunk (2,000 rows), less than the ring (10,000).
  ({ redis, client, gen } = await startTicking(['--interval-ms', String(DT), '--instruments', '10', '--reset'], 'ticker_00', 3000, 20000));
  gw = await startGateway(redis.url, ['--ring', '10s']);
});

after(() => stopStack({ clients, gateways: [gw], procs: [gen], client, redis }));

test('ring fill over a history shorter than the ring: the gateway goes live, series = XRANGE', { timeout: 40000 }, async () => {
  const c = await WsClient.open(gw.ws);
  clients.push(c);
  c.sub('ticker_03', 0);
  await c.waitLive('ticker_03', 300, 20000);
  const got = c.series('ticker_03');
  assert.equal(checkSeries(got, DT), null, 'no hole, no duplicate, ±1 steps');
  const stream = await readStream(client, 'ticker_03', '-', String(got[got.length - 1].t));
  assert.equal(got[0].t, stream[0].t, 'starts at the stream start');
  assert.equal(got.length, stream.length, 'as many ticks as the stream holds up to the last one received');
  const m = await metrics(gw);
  assert.ok(m.tickgw_repaired_ticks_total > 0, 'the ring was filled from the streams');
});

test('new epoch: clients closed 1012; then a ts:live message off the grid is dropped without a repair', { timeout: 40000 }, async () => {
  const old = clients[0];
  await gen.stop();
  gen = startGenerator(redis.url, ['--interval-ms', '10', '--instruments', '10', '--reset']);
  const closed = await Promise.race([
    old.closed,
    new Promise((_, reject) => setTimeout(() => reject(new Error('no close after the epoch change within 15 s')), 15000)),
  ]);
  assert.equal(closed.code, 1012, `closed ${closed.code} ${closed.reason}`);

  const c = await WsClient.open(gw.ws);
  clients.push(c);
  c.sub('ticker_05', Date.now());
  await c.waitLive('ticker_05', 20);
  const before = await metrics(gw);
  const meta = await client.hgetall('ts:meta');
  const s = c.series('ticker_05');
  const n = s.live;
  // 5 ms after the last tick: between two 10 ms grid points.
  const t = s[s.length - 1].t + 5;
  await client.publish('ts:live', Buffer.from(encode({ e: Number(meta.epoch), t, p: new Array(10).fill(0) })));
  await c.waitLive('ticker_05', n + 50);
  const after = await metrics(gw);
  assert.equal(after.tickgw_live_gaps_total, before.tickgw_live_gaps_total, 'the off-grid message is not a hole');
  assert.equal(checkSeries(c.series('ticker_05'), 10), null, 'no hole, no duplicate, nothing off the grid');
});
