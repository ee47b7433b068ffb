// tests/gw/candles-live.test.js — live candle subscriptions (a `sub` with a
// width, docs/PROTOCOL.md "Live candles") against a real redis-server,
// tickgen (10 ms ticks, candles of 50 ms, 200 ms, 1 s) and tickgw: for stored
// widths, combined widths and widths only raw ticks make, in JSON and
// msgpack, from all history and from the middle of a bucket, the candles a
// client holds equal the aggregate of the raw ticks (XRANGE) across many
// bucket closes; after a gateway kill -9 a client resumes with its last
// `last` on a new gateway and still holds exactly those candles (the open
// one replaced, not counted twice); a generator kill -9 and its backfill
// leave them exact too; bad requests get err frames on a connection that
// stays usable; and a Redis emptied under them (a new epoch) closes them
// with 1012, as it does tick subscribers.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../lib/procs.js';
import { readStream, startTicking, waitStreamLength } from '../lib/redis.js';
import { startGenerator } from '../lib/procs.js';
import { startGateway, stopStack, WsClient } from '../lib/gateway.js';
import { candleView, checkCandleView } from '../lib/candles.js';

const IV = 10;
const SYM = 'ticker_01';
// --candle-budget 1: most closed candles wait a few ticks to be written
// (generator/gen_defer.h), so the answers must read the newest closed
// bucket of every level from the level below.
const GEN_ARGS = ['--interval-ms', String(IV), '--instruments', '3', '--rollups', '50ms:1h,200ms:1h,1s:1h',
  '--candle-budget', '1'];
// Stored levels, combinations of one (150 ms of 50 ms, 400 ms of 200 ms, 2 s of 1 s), and 30 ms (raw ticks only).
const WIDTHS = [['50ms', 50], [150, 150], ['200ms', 200], ['400ms', 400], ['1s', 1000], ['2s', 2000], [30, 30]];
const GW_ARGS = ['--ring', '1s', '--max-subs', '12'];
let redis, client, gen, gw;
const clients = [], gateways = [];

before(async () => {
  ({ redis, client, gen } = await startTicking(GEN_ARGS, SYM, 300));
  gw = await startGateway(redis.url, GW_ARGS);
  gateways.push(gw);
});

after(async () => {
  await stopStack({ clients, gateways, procs: [gen], client, redis });
});

async function open(url, json) {
  const c = await WsClient.open(url, { json });
  clients.push(c);
  return c;
}

async function oldestTick() {
  return (await readStream(client, SYM, '-', '+'))[0].t;
}

/** Waits until every width's view on c is final and its last has passed t. */
async function waitPast(c, t, what, timeout = 20000) {
  await waitFor(what, () => WIDTHS.every(([, w]) => {
    const v = candleView(c.msgs, SYM, w);
    return v.final && v.last > t;
  }), { timeout, every: 20 });
}

test('every width, JSON and msgpack, from all history and mid-bucket: the candles equal the raw ticks across many closes', { timeout: 60000 }, async () => {
  const since = Date.now() - 1500 + 7; // inside a bucket of every width, partly older than the ring
  const runs = [];
  for (const json of [true, false]) {
    for (const s of [0, since]) {
      const c = await open(gw.ws, json);
      for (const [width] of WIDTHS) c.send({ op: 'sub', sym: SYM, since: s, width });
      runs.push({ c, s });
    }
  }
  const t0 = Date.now();
  for (const { c } of runs) await waitPast(c, t0 + 2500, 'live candles 2.5 s on');
  const oldest = await oldestTick();
  for (const { c, s } of runs) {
    for (const [, w] of WIDTHS) {
      const v = candleView(c.msgs, SYM, w);
      assert.ok(v.updates > 20, `${w}: ${v.updates} live updates`);
      assert.ok(v.byT.size >= 2500 / w, `${w}: ${v.byT.size} candles`);
      await checkCandleView(client, SYM, w, v, s === 0 ? oldest : s + 1);
      // The first candle is the one holding since + 1, whole (or the oldest).
      const first = Math.min(...v.byT.keys());
      assert.equal(first, Math.floor((s === 0 ? oldest : s + 1) / w) * w, `${w}: first candle`);
    }
  }
});

test('a gateway kill -9: the client resumes with its last on another gateway; no candle missed or counted twice', { timeout: 60000 }, async () => {
  const gw1 = await startGateway(redis.url, GW_ARGS);
  gateways.push(gw1);
  const since = Date.now() - 800;
  const c1 = await open(gw1.ws, false);
  for (const [width] of WIDTHS) c1.send({ op: 'sub', sym: SYM, since, width });
  await waitPast(c1, Date.now() + 700, 'live candles on the first gateway');
  await gw1.stop('SIGKILL');
  await c1.closed;
  const held = new Map(WIDTHS.map(([, w]) => [w, candleView(c1.msgs, SYM, w)]));
  // Each view's last is mid-bucket: the open candle the client holds is partial.
  assert.ok([...held].some(([w, v]) => (v.last + IV) % w !== 0), `a resume from the middle of a bucket: ${[...held].map(([w, v]) => `${w}:${v.last}`)}`);
  await waitStreamLength(client, SYM, (await client.xlen(`ts:tick:{${SYM}}`)) + 30); // ticks the client did not see
  const c2 = await open(gw.ws, true);
  for (const [width, w] of WIDTHS) c2.send({ op: 'sub', sym: SYM, since: held.get(w).last, width });
  const t1 = Date.now();
  await waitFor('resumed candles 1.5 s on', () => WIDTHS.every(([, w]) => {
    const v = candleView(c2.msgs, SYM, w, held.get(w));
    return v.final && v.last > t1 + 1500;
  }), { timeout: 20000, every: 20 });
  for (const [, w] of WIDTHS) {
    const v = candleView(c2.msgs, SYM, w, held.get(w));
    await checkCandleView(client, SYM, w, v, since + 1);
    // The resumed stream starts with the candle holding last + 1, whole.
    const first = c2.msgs.find((m) => m.op === 'candles' && m.width === w);
    assert.equal(first.t[0], Math.floor((held.get(w).last + 1) / w) * w, `${w}: first resumed candle`);
  }
});

test('a generator kill -9 and its backfill: live candles stay exact', { timeout: 60000 }, async () => {
  const c = await open(gw.ws, false);
  const since = Date.now() - 300;
  for (const [width] of WIDTHS) c.send({ op: 'sub', sym: SYM, since, width });
  await waitPast(c, Date.now() + 300, 'live candles before the kill');
  await gen.stop('SIGKILL');
  const killedAt = Date.now();
  await waitFor('1.5 s without a generator', () => Date.now() - killedAt >= 1500);
  gen = startGenerator(redis.url, GEN_ARGS);
  await waitPast(c, Date.now() + 1000, 'live candles after the backfill', 30000);
  const filled = await readStream(client, SYM, killedAt + 500, killedAt + 1000);
  assert.equal(filled.length, 500 / IV + (killedAt % IV === 0 ? 1 : 0), 'the generator backfilled the time it was dead');
  for (const [, w] of WIDTHS) {
    const v = candleView(c.msgs, SYM, w);
    await checkCandleView(client, SYM, w, v, since + 1);
    const inGap = [...v.byT.values()].filter((x) => x.t + w > killedAt + 500 && x.t < killedAt + 1000);
    assert.ok(inGap.length > 0 && inGap.every((x) => x.n > 0), `${w}: candles of the backfilled time`);
  }
});

test('bad requests get err frames; the connection stays usable; unsub ends a subscription', { timeout: 30000 }, async () => {
  for (const json of [true, false]) {
    const c = await open(gw.ws, json);
    const ask = async (req, code) => {
      const from = c.msgs.length;
      c.send(req);
      const m = await c.next((x) => x.op === 'err', { from, what: `err ${code} for ${JSON.stringify(req)}` });
      assert.equal(m.code, code, JSON.stringify(m));
      assert.ok(m.msg.length > 0);
    };
    await ask({ op: 'sub', sym: SYM, since: 0, width: '1x' }, 'bad_width');
    await ask({ op: 'sub', sym: SYM, since: 0, width: '15ms' }, 'bad_width'); // not a multiple of the 10 ms interval
    await ask({ op: 'sub', sym: SYM, since: 0, width: 0 }, 'bad_width');
    await ask({ op: 'sub', sym: SYM, since: 0, width: '367d' }, 'bad_width');
    await ask({ op: 'sub', sym: 'ticker_99', since: 0, width: '1s' }, 'unknown_sym');
    await ask({ op: 'sub', sym: SYM, width: '1s' }, 'bad_since');
    await ask({ op: 'unsub', sym: SYM, width: '1s' }, 'not_subscribed');
    // --max-subs 12 counts tick and candle subscriptions together.
    for (let k = 1; k <= 11; k++) c.send({ op: 'sub', sym: SYM, since: Date.now(), width: k * 10 });
    c.sub('ticker_00', Date.now());
    await ask({ op: 'sub', sym: SYM, since: 0, width: 120 }, 'too_many_subs');
    await ask({ op: 'sub', sym: 'ticker_02', since: 0 }, 'too_many_subs');
    // Still usable: an unsub, then a new subscription works.
    c.send({ op: 'unsub', sym: SYM, width: 10 });
    const from = c.msgs.length;
    c.send({ op: 'sub', sym: SYM, since: Date.now() - 500, width: '200ms' });
    await c.next((m) => m.op === 'candle' && m.width === 200, { from, what: 'a live 200 ms candle' });
    const n10 = c.msgs.filter((m) => m.width === 10).length, later = Date.now() + 200;
    await c.next((m) => m.op === 'candle' && m.width === 200 && m.last > later, { from, what: 'more live candles' });
    assert.ok(c.msgs.filter((m) => m.width === 10).length <= n10 + 1, 'no 10 ms candles after its unsub (one may have been queued)');
    await c.close();
  }
});

test('Redis emptied (a new epoch): candle clients are closed 1012 as tick clients are; a new subscription is exact in the new history', { timeout: 60000 }, async () => {
  const c = await open(gw.ws, true);
  c.send({ op: 'sub', sym: SYM, since: 0, width: '200ms' });
  const old = (await c.next((m) => m.op === 'candles', { what: 'candles before the reset' })).epoch;
  await gen.stop('SIGKILL');
  await client.flushall();
  gen = startGenerator(redis.url, GEN_ARGS);
  const closed = await Promise.race([
    c.closed,
    new Promise((_, reject) => setTimeout(() => reject(new Error('no close after the epoch change within 15 s')), 15000)),
  ]);
  assert.equal(closed.code, 1012, `closed ${closed.code} ${closed.reason}`);
  const c2 = await open(gw.ws, false);
  c2.send({ op: 'sub', sym: SYM, since: 0, width: '200ms' });
  const t = Date.now();
  await waitFor('candles of the new history', () => {
    const v = candleView(c2.msgs, SYM, 200);
    return v.final && v.last > t + 500;
  }, { timeout: 20000 });
  const v = candleView(c2.msgs, SYM, 200);
  assert.notEqual(v.epoch, old, 'a new epoch');
  await checkCandleView(client, SYM, 200, v, await oldestTick());
});
