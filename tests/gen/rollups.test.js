// tests/gen/rollups.test.js — the candles tickgen writes (docs/REDIS.md
// "Rollups") against a real redis-server: every closed candle of every level
// equals the aggregate of the raw ticks in its bucket, and none is missing —
// through a kill -9 and restart (the open candles are rebuilt from Redis),
// and after --rebuild-rollups over a history written without candles.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGenerator } from '../lib/procs.js';
import { RedisServer, readStream, stallGenerator, waitStreamLength } from '../lib/redis.js';
import { bucketsOf, readCandles } from '../lib/candles.js';

const IV = 10;
const N = 3;
const NAMES = Array.from({ length: N }, (_, i) => `ticker_0${i}`);
const LADDER = [['50ms', 50], ['200ms', 200], ['1s', 1000]];
const ROLLUPS = LADDER.map(([l]) => `${l}:1h`).join(',');
const ARGS = ['--interval-ms', String(IV), '--instruments', String(N), '--rollups', ROLLUPS];

/** Asserts every level's candles are exactly the closed buckets of the raw ticks. */
async function assertCandles(client, { minPerLevel = 1 } = {}) {
  for (const name of NAMES) {
    const ticks = await readStream(client, name);
    for (const [label, w] of LADDER) {
      const candles = await readCandles(client, label, name);
      // The last bucket may still be open (its candle not written yet).
      const want = bucketsOf(ticks, w).filter((b) => b.t + w <= ticks.at(-1).t);
      const got = candles.filter((c) => c.t + w <= ticks.at(-1).t);
      assert.ok(got.length >= minPerLevel, `${name} ${label}: ${got.length} candles`);
      assert.deepEqual(got, want, `${name} ${label}: candles differ from the raw ticks' aggregate`);
      // Nothing written beyond the ticks: only closed buckets have candles.
      assert.ok(candles.every((c) => c.t + w <= ticks.at(-1).t), `${name} ${label}: a candle of an open bucket`);
    }
  }
}

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

  test('a bad --rollups is refused with one line naming the flag', async () => {
    for (const bad of ['1m:1d,90s:1d', '15ms:1h', '1m', '50ms:10ms']) {
      const gen = startGenerator(redis.url, [...ARGS.slice(0, -2), '--rollups', bad]);
      const r = await gen.exited;
      assert.equal(r.code, 2, `--rollups ${bad}: ${gen.tail()}`);
      assert.match(gen.tail(), /^tickgen: --rollups: .+\n$/m);
    }
  });
});
