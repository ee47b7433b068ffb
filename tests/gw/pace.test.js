// tests/gw/pace.test.js — write pacing (--write-pace, gateway/net/gw_pace.h).
// At 5 ms ticks with a 15 ms pace a client still gets every tick exactly
// once and in order (= XRANGE), but in fewer socket reads than ticks:
// ticks that came close together shared one write. Replies and catch-ups
// do not wait for the pace. At a slow interval no tick
// waits at all: the gateway counts no paced write and every tick is its own
// read.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readStream, checkSeries, startTicking } from '../lib/redis.js';
import { startGenerator, waitFor } from '../lib/procs.js';
import { startGateway, WsClient, metrics, stopStack } from '../lib/gateway.js';

let redis, client, gen, gw;
const clients = [];

before(async () => {
  ({ redis, client, gen } = await startTicking(['--interval-ms', '5', '--instruments', '4', '--reset'], 'ticker_00', 50));
  gw = await startGateway(redis.url, ['--write-pace', '15ms']);
});

after(() => stopStack({ clients, gateways: [gw], procs: [gen], client, redis }));

test('5 ms ticks, 15 ms pace: every tick once and in order, in fewer reads than ticks', { timeout: 40000 }, async () => {
  const c = await WsClient.open(gw.ws);
  clients.push(c);
  c.sub('ticker_01', Date.now());
  await c.waitLive('ticker_01', 1);
  const r0 = c.reads, n0 = c.series('ticker_01').live;
  await c.waitLive('ticker_01', n0 + 400);
  const reads = c.reads - r0, got = c.series('ticker_01'), ticks = got.live - n0;
  assert.equal(checkSeries(got, 5), null, 'no hole, no duplicate, ±1 steps');
  const stream = await readStream(client, 'ticker_01', String(got[0].t), String(got[got.length - 1].t));
  assert.deepEqual(got.map((x) => [x.t, x.p]), stream.map((x) => [x.t, x.p]), 'the series is the stream');
  // One write per tick without pacing; a write per 15 ms at most with it (~3 ticks each).
  assert.ok(reads * 2 <= ticks, `${ticks} ticks came in ${reads} reads: want at most half as many reads`);
  assert.ok((await metrics(gw)).tickgw_writes_paced_total > 0, 'the gateway counted paced writes');
});

test('an err reply and a catch-up from Redis are written at once, not at the pacing point', { timeout: 40000 }, async () => {
  const g = await startGateway(redis.url, ['--write-pace', '1000ms', '--ring', '1s']);
  try {
    const c = await WsClient.open(g.ws);
    c.sub('ticker_02', Date.now());
    await c.waitLive('ticker_02', 1);
    const x0 = (await metrics(g)).tickgw_catchup_xrange_total;
    for (let i = 0; i < 3; i++) {
      for (const [req, pred, what] of [
        // answered in the turn that reads the request
        [['ticker_99x', 0], (m) => m.op === 'err' && m.code === 'unknown_sym', 'err unknown_sym'],
        // answered when Redis' XRANGE reply comes, a later turn: 3 s back is past the 1 s ring
        [['ticker_03', Date.now() - 3000], (m) => m.op === 'hist' && m.sym === 'ticker_03' && !m.more, 'the final hist'],
      ]) {
        // Right after a paced write: the next is ~1 s away.
        const r = c.reads;
        await waitFor('a paced write', () => c.reads > r, { timeout: 5000, every: 1 });
        const from = c.msgs.length, sent = Date.now();
        c.sub(...req);
        await c.next(pred, { from, what });
        const ms = Date.now() - sent;
        assert.ok(ms < 500, `${what} came after ${ms} ms: it waited for the 1 s pace`);
        if (req[0] === 'ticker_03') c.send({ op: 'unsub', sym: 'ticker_03' });
      }
    }
    assert.ok((await metrics(g)).tickgw_catchup_xrange_total > x0, 'the catch-ups read Redis');
    assert.equal(checkSeries(c.series('ticker_02'), 5), null, 'the ticks that waited came in order, none lost');
    c.ws.terminate();
  } finally {
    await g.stop();
  }
  assert.equal(g.exitCode, 0, g.tail());
});

test('500 ms ticks, 15 ms pace: no tick waits, each is its own write', { timeout: 40000 }, async () => {
  await gen.stop();
  gen = startGenerator(redis.url, ['--interval-ms', '500', '--instruments', '4', '--reset']);
  await waitFor('the old clients closed 1012 (new epoch)', () => clients.every((c) => c.ws.readyState === 3), { timeout: 15000 });
  const c = await WsClient.open(gw.ws);
  clients.push(c);
  c.sub('ticker_03', Date.now());
  await c.waitLive('ticker_03', 1);
  const r0 = c.reads, n0 = c.series('ticker_03').live, m0 = await metrics(gw);
  await c.waitLive('ticker_03', n0 + 6);
  const m1 = await metrics(gw), got = c.series('ticker_03');
  assert.equal(m1.tickgw_writes_paced_total, m0.tickgw_writes_paced_total, 'no client write waited for a pacing point');
  assert.ok(c.reads - r0 >= got.live - n0, `${got.live - n0} ticks in ${c.reads - r0} reads: one write each`);
  assert.equal(checkSeries(got, 500), null, 'no hole, no duplicate');
});
