// tests/gen/rollups.test.js — the candles tickgen writes (docs/REDIS.md
// "Rollups") against a real redis-server: every closed candle of every level
// equals the aggregate of the raw ticks in its bucket, and none is missing —
// through a kill -9 and restart (the open candles are rebuilt from Redis),
// and after --rebuild-rollups over a history written without candles.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGenerator } from '../lib/procs.js';
import { RedisServer, readStream, stallGenerator, waitStreamLength } from '../lib/redis.js';
import { assertClosedCandles, bucketsOf, readCandles } from '../lib/candles.js';

const IV = 10;
const N = 3;
const NAMES = Array.from({ length: N }, (_, i) => `ticker_0${i}`);
const LADDER = [['50ms', 50], ['200ms', 200], ['1s', 1000]];
const ROLLUPS = LADDER.map(([l]) => `${l}:1h`).join(',');
const ARGS = ['--interval-ms', String(IV), '--instruments', String(N), '--rollups', ROLLUPS];

/** Asserts every level's candles are exactly the closed buckets of the raw ticks. */
const assertCandles = (client, opts) => assertClosedCandles(client, NAMES, LADDER, opts);

describe('tickgen rollups', () => {
  let redis, client;
  before(async () => {
    redis = await RedisServer.start();
    client = redis.client();
  });
  after(async () => {
    client.disconnect();
    await redis.stop();
  });

  test('every closed candle equals its raw ticks, across a kill -9 and restart', async () => {
    await client.flushall();
    let gen = startGenerator(redis.url, ARGS);
    await waitStreamLength(client, 'ticker_00', 150);
    await gen.stop('SIGKILL');
    const before = await client.xlen('ts:tick:{ticker_00}');
    gen = startGenerator(redis.url, ARGS);
    try {
      await gen.waitOutput(/open candles restored/);
      await waitStreamLength(client, 'ticker_00', before + 250);
    } finally {
      await gen.stop();
    }
    assert.equal(await client.hget('ts:meta', 'rollups'), ROLLUPS);
    await assertCandles(client, { minPerLevel: 3 });
  });

  test('a stall is backfilled with its candles', async () => {
    await client.flushall();
    const gen = startGenerator(redis.url, ARGS);
    try {
      await stallGenerator(gen, client, { first: 50, ms: 1200, more: 150 });
    } finally {
      await gen.stop();
    }
    await assertCandles(client, { minPerLevel: 2 });
  });

  test('--rebuild-rollups writes the candles of a history written without them, and they continue', async () => {
    await client.flushall();
    let gen = startGenerator(redis.url, [...ARGS.slice(0, -2), '--rollups', 'off']);
    await waitStreamLength(client, 'ticker_00', 300);
    await gen.stop();
    assert.equal(await client.hget('ts:meta', 'rollups'), 'off');
    assert.equal(await client.exists('ts:candle:50ms:{ticker_00}'), 0, 'rollups off wrote candles');
    const before = await client.xlen('ts:tick:{ticker_00}');
    gen = startGenerator(redis.url, [...ARGS, '--rebuild-rollups']);
    try {
      await gen.waitOutput(/rollups rebuilt: \d+ ticks read, \d+ candles closed, of which 0 were/);
      await waitStreamLength(client, 'ticker_00', before + 150);
    } finally {
      await gen.stop();
    }
    await assertCandles(client, { minPerLevel: 2 });
    // Run again over a complete history: nothing new, everything refused as already there.
    gen = startGenerator(redis.url, [...ARGS, '--rebuild-rollups']);
    try {
      await gen.waitOutput(/rollups rebuilt: (\d+) ticks read, (\d+) candles closed, of which \2 were already there/);
    } finally {
      await gen.stop();
    }
    await assertCandles(client, { minPerLevel: 2 });
  });

  test('a new ladder on an old history: the kept levels go on exact, the new ones are written forward, and it says how to fill their past', async () => {
    await client.flushall();
    // The ladder before: without 200ms. Killed in the middle of a 1s bucket.
    const OLD = `${LADDER[0][0]}:1h,${LADDER[2][0]}:1h`;
    let gen = startGenerator(redis.url, [...ARGS.slice(0, -2), '--rollups', OLD]);
    await waitStreamLength(client, 'ticker_00', 150);
    await gen.stop('SIGKILL');
    const upgradedAt = (await readStream(client, 'ticker_00')).at(-1).t;
    gen = startGenerator(redis.url, ARGS);
    try {
      await gen.waitOutput(/level\(s\) 200ms are new: written from now on.*DEL their streams.*start once with --rebuild-rollups/);
      await gen.waitOutput(/open candles restored/);
      await waitStreamLength(client, 'ticker_00', 150 + 250);
    } finally {
      await gen.stop();
    }
    assert.equal(await client.hget('ts:meta', 'rollups'), ROLLUPS);
    for (const name of NAMES) {
      const ticks = await readStream(client, name);
      const end = ticks.at(-1).t;
      for (const [label, w] of LADDER) {
        const want = bucketsOf(ticks, w).filter((b) => b.t + w <= end);
        const got = (await readCandles(client, label, name)).filter((c) => c.t + w <= end);
        if (label === '200ms') {
          // Forward only, from the bucket the upgrade fell in (its open candle
          // was read from the 50ms level the old ladder had): exact.
          assert.ok(got.length >= 5, `${name} 200ms: ${got.length} candles`);
          assert.equal(got[0].t, Math.floor(upgradedAt / w) * w, `${name} 200ms: the first candle`);
          assert.deepEqual(got, want.filter((b) => b.t >= got[0].t), `${name} 200ms: candles differ from the ticks`);
        } else {
          // The 1s candle across the upgrade must not be short of the ticks
          // before it (its open candle read from the new, empty 200ms level).
          assert.deepEqual(got, want, `${name} ${label}: candles differ from the raw ticks' aggregate`);
        }
      }
    }
    // As the log says: the new level's streams deleted, --rebuild-rollups
    // fills its past from the raw ticks (Redis appends only after a
    // stream's newest entry, so over the forward candles it could not).
    for (const name of NAMES) await client.del(`ts:candle:200ms:{${name}}`);
    gen = startGenerator(redis.url, [...ARGS, '--rebuild-rollups']);
    try {
      await gen.waitOutput(/rollups rebuilt/);
    } finally {
      await gen.stop();
    }
    for (const name of NAMES) {
      const ticks = await readStream(client, name);
      const got = await readCandles(client, '200ms', name);
      assert.equal(got[0].t, Math.floor(ticks[0].t / 200) * 200, `${name} 200ms: the past is not filled`);
    }
    await assertCandles(client, { minPerLevel: 3 });
  });

  test('--rebuild-rollups over a long history logs done/total, rate and time left as it goes', async () => {
    // 40 instruments at 1 ms without candles: about 100,000 ticks to read,
    // and --progress 10ms so a rebuild of a fraction of a second prints lines.
    await client.flushall();
    const args = ['--interval-ms', '1', '--instruments', '40', '--rollups', 'off'];
    let gen = startGenerator(redis.url, args);
    try {
      await waitStreamLength(client, 'ticker_39', 2500, 20000);
    } finally {
      await gen.stop();
    }
    let total = 0;
    for (let i = 0; i < 40; i++) total += await client.xlen(`ts:tick:{ticker_${String(i).padStart(2, '0')}}`);
    gen = startGenerator(redis.url, [...args.slice(0, -2), '--rollups', ROLLUPS, '--rebuild-rollups', '--progress', '10ms']);
    try {
      await gen.waitOutput(/rollups rebuilt: \d+ ticks read/, 30000);
    } finally {
      await gen.stop();
    }
    const start = /rebuilding the rollups from the raw ticks: (\d+) ticks of 40 instruments/.exec(gen.output);
    assert.ok(start, gen.tail());
    assert.equal(Number(start[1]), total, 'the total is the sum of the streams\' lengths');
    const lines = [...gen.output.matchAll(/rebuilding the rollups: (\d+) of (\d+) ticks read \((\d+)%\), (\d+)\/s, about (\d+) s left/g)];
    assert.ok(lines.length >= 2, `progress lines: ${lines.length}\n${gen.tail()}`);
    let prev = 0;
    for (const [line, done, all, pct, rate] of lines) {
      assert.equal(Number(all), total, line);
      assert.ok(Number(done) >= prev && Number(done) <= total, line);
      assert.ok(Number(rate) > 0, line);
      assert.ok(Math.abs(Number(pct) - (100 * Number(done)) / total) <= 0.51, line);
      prev = Number(done);
    }
    const end = /rollups rebuilt: (\d+) ticks read, \d+ candles closed, of which 0 were already there, in [\d.]+ s \((\d+) ticks\/s\)/.exec(gen.output);
    assert.ok(end, gen.tail());
    assert.equal(Number(end[1]), total);
  });

  test('a bad --rollups is refused with one line naming the flag', async () => {
    for (const bad of ['1m:1d,90s:1d', '15ms:1h', '1m', '50ms:10ms']) {
      const gen = startGenerator(redis.url, [...ARGS.slice(0, -2), '--rollups', bad]);
      const r = await gen.exited;
      assert.equal(r.code, 2, `--rollups ${bad}: ${gen.tail()}`);
      assert.match(gen.tail(), /^tickgen: --rollups: .+\n$/m);
    }
  });
});
