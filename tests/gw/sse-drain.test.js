// tests/gw/sse-drain.test.js — a live candle stream over SSE with a history
// larger than --send-queue, read slower than Redis answers: the history is
// read no faster than the client takes it (as a tick catch-up is), so the
// client gets every candle and goes live instead of being closed as slow
// (it was, after about 18,000 of 40,000 one-tick candles: review of 2026-11-30).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fakeClock, startGenerator, waitFor } from '../lib/procs.js';
import { RedisServer, waitStreamLength } from '../lib/redis.js';
import { startGateway, stopStack } from '../lib/gateway.js';
import { SseClient } from '../lib/sse.js';

const N = 40000; // one-millisecond ticks of history, ~160 bytes an SSE candle: ~6.4 MB against the 4 MiB --send-queue
let redis, client, gen, gw, clock, sse;

before(async () => {
  redis = await RedisServer.start();
  client = redis.client();
  // The generator starts 50 s in the past, then its clock is set right: it
  // backfills the 50,000 tick times at once.
  clock = fakeClock('-50');
  gen = startGenerator(redis.url, ['--interval-ms', '1', '--instruments', '1', '--rollups', 'off', '--reset'], { env: clock.env });
  await waitStreamLength(client, 'ticker_00', 10, 15000);
  clock.set('+0');
  await waitStreamLength(client, 'ticker_00', N, 60000);
  gw = await startGateway(redis.url, ['--threads', '1']);
});

after(async () => {
  sse?.stop();
  await stopStack({ gateways: [gw], procs: [gen], client, redis });
  clock?.remove();
});

test('a slow reader of a long SSE candle history gets all of it, then live', { timeout: 120000 }, async () => {
  const [[first]] = await client.xrange('ts:tick:{ticker_00}', '-', '+', 'COUNT', 1);
  sse = new SseClient(`${gw.http}/sse?sym=ticker_00&width=1ms&since=0`, { reconnect: false });
  // Slower than Redis: each chunk read waits 10 ms before the next (at most
  // 64 KB a read, so a few MB a second).
  await waitFor('the stream open', () => sse.res, { timeout: 10000 });
  sse.res.on('data', () => {
    sse.res.pause();
    setTimeout(() => sse.res.resume(), 10);
  });
  await waitFor('event: live', () => sse.events.some((e) => e.type === 'live') || sse.ends > 0, { timeout: 90000, every: 50 });
  const types = new Set(sse.events.map((e) => e.type));
  assert.ok(!types.has('close'), `closed as a slow client after ${sse.events.length} events: ${gw.tail(300)}`);
  assert.equal(sse.ends, 0, 'the stream did not end');
  const candles = sse.events.filter((e) => e.type === 'candle').map((e) => JSON.parse(e.data));
  const before = candles.filter((c) => c.t < candles.at(-1).t);
  assert.ok(before.length >= N - 1, `${before.length} candles before the live edge`);
  assert.equal(candles[0].t, Number(first.split('-')[0]), 'from the first tick');
  for (let i = 1; i < before.length; i++) assert.equal(before[i].t, before[i - 1].t + 1, `candle ${i} follows ${i - 1}`);
  assert.doesNotMatch(gw.output, /closing a slow client/);
});
