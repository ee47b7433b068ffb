// tests/gen/defer.test.js — candles past --candle-budget (generator/gen_defer.h)
// against a real redis-server: a tick time writes at most that many candles,
// the rest wait for the next tick times, each before its level's next bucket
// closes. So in every snapshot only the newest closed bucket of a level may
// lack its candle; every candle that is written equals the aggregate of its
// raw ticks, in time order — through a stall and its backfill, and through
// a kill -9 with candles waiting (the restart rebuilds them from the level
// below and writes them).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort, startGenerator, waitFor } from '../lib/procs.js';
import { RedisServer, stallGenerator, waitStreamLength } from '../lib/redis.js';
import { assertClosedCandles } from '../lib/candles.js';

const IV = 10;
const LADDER = [['50ms', 50], ['200ms', 200], ['1s', 1000]];
const ROLLUPS = LADDER.map(([l]) => `${l}:1h`).join(',');
const names = (n) => Array.from({ length: n }, (_, i) => `ticker_${String(i).padStart(2, '0')}`);
const args = (n, budget) => ['--interval-ms', String(IV), '--instruments', String(n), '--rollups', ROLLUPS,
  '--candle-budget', String(budget)];

/** Every level's candles are the closed buckets of the raw ticks, the
 * newest closed one allowed to be still waiting; returns how many waited. */
const assertCandles = (client, n, opts) => assertClosedCandles(client, names(n), LADDER, { ...opts, waiting: true });

/** One snapshot (MULTI): the newest tick of instrument 0 and every level's
 * newest candle of every instrument; asserts none lags more than one
 * closed bucket behind; returns how many lagged one. */
async function snapshot(client, n) {
  const m = client.multi().xrevrange('ts:tick:{ticker_00}', '+', '-', 'COUNT', 1);
  for (const name of names(n)) for (const [label] of LADDER) m.xrevrange(`ts:candle:${label}:{${name}}`, '+', '-', 'COUNT', 1);
  const rows = (await m.exec()).map(([err, r]) => { assert.ifError(err); return r; });
  const T = Number(rows[0][0][0].split('-')[0]);
  let lagging = 0, r = 1;
  for (const name of names(n)) {
    for (const [label, w] of LADDER) {
      const row = rows[r++];
      if (row.length === 0) continue; // the level's first bucket has not closed yet
      const newest = Number(row[0][0].split('-')[0]);
      const closed = Math.floor(T / w) * w - w; // the newest closed bucket
      assert.ok(newest >= closed - w, `${name} ${label}: newest candle ${newest}, newest closed bucket ${closed}: more than one missing`);
      lagging += newest < closed;
    }
  }
  return lagging;
}

describe('tickgen --candle-budget', () => {
  let redis, client;
  before(async () => {
    redis = await RedisServer.start();
    client = redis.client();
  });
  after(async () => {
    client.disconnect();
    await redis.stop();
  });

  test('a budget of 1: candles wait, at most the newest closed bucket is missing, every candle exact', async () => {
    await client.flushall();
    const port = await freePort();
    const gen = startGenerator(redis.url, [...args(3, 1), '--metrics-listen', `127.0.0.1:${port}`]);
    let lagged = 0;
    try {
      await waitStreamLength(client, 'ticker_00', 120);
      for (let k = 0; k < 150; k++) lagged += await snapshot(client, 3);
      await waitFor('tickgen_candles_waiting > 0 on /metrics', async () => {
        const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        return Number(/^tickgen_candles_waiting (\S+)$/m.exec(text)?.[1]) > 0;
      }, { timeout: 5000 });
    } finally {
      await gen.stop();
    }
    assert.ok(lagged > 0, 'no snapshot saw a candle waiting: the budget did not defer anything');
    await assertCandles(client, 3, { minPerLevel: 1 });
  });

  test('the default budget: nothing waits at a few instruments (every candle in its tick\'s transaction)', async () => {
    await client.flushall();
    const gen = startGenerator(redis.url, ['--interval-ms', String(IV), '--instruments', '3', '--rollups', ROLLUPS]);
    try {
      await waitStreamLength(client, 'ticker_00', 120);
      for (let k = 0; k < 60; k++) assert.equal(await snapshot(client, 3), 0, 'a candle waited under the default budget');
    } finally {
      await gen.stop();
    }
    assert.equal(await assertCandles(client, 3, { minPerLevel: 1 }), 0);
  });

  test('more closing than the budget can write: the overdue ones go out anyway; a stall is backfilled exact', async () => {
    // 20 instruments close 20 candles every 50 ms and 60 at a second, at 3 a tick.
    await client.flushall();
    const gen = startGenerator(redis.url, args(20, 3));
    try {
      await stallGenerator(gen, client, { first: 60, ms: 1200, more: 250 });
      for (let k = 0; k < 40; k++) await snapshot(client, 20);
    } finally {
      await gen.stop();
    }
    await assertCandles(client, 20, { minPerLevel: 1 });
  });

  test('a kill -9 with candles waiting: the restart writes them, exact, and goes on', async () => {
    await client.flushall();
    let gen = startGenerator(redis.url, args(20, 3));
    await waitStreamLength(client, 'ticker_00', 130);
    let waiting = 0;
    for (let k = 0; k < 20 && waiting === 0; k++) waiting = await snapshot(client, 20);
    assert.ok(waiting > 0, 'no candle was waiting before the kill');
    await gen.stop('SIGKILL');
    const killedAt = await client.xlen('ts:tick:{ticker_00}');
    const lacked = await assertCandles(client, 20, { minPerLevel: 0 });
    assert.ok(lacked > 0, 'Redis lacked no candle after the kill');
    gen = startGenerator(redis.url, args(20, 3));
    try {
      const re = /open candles restored from redis; (\d+) closed candles it lacked wait to be written/;
      await gen.waitOutput(re);
      assert.equal(Number(re.exec(gen.output)[1]), lacked, 'the restart rebuilt other candles than Redis lacked');
      await waitStreamLength(client, 'ticker_00', killedAt + 150);
    } finally {
      await gen.stop();
    }
    await assertCandles(client, 20, { minPerLevel: 1 });
  });
});
