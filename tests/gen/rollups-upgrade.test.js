// tests/gen/rollups-upgrade.test.js — a new ladder on an old history, then a
// restart soon after (docs/REDIS.md "Rollups", "An upgrade"): every candle
// every level writes from the upgrade on must hold its whole bucket. The
// restart is the case that matters: the levels the upgrade added have
// candles only from the bucket the upgrade fell in, so a coarser bucket
// that began before it cannot be read from them (it was, before
// ts:meta's rollups_from kept when each level began: one short candle).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGenerator, waitFor } from '../lib/procs.js';
import { RedisServer, readStream, waitStreamLength } from '../lib/redis.js';
import { bucketsOf, newestTick, readCandles } from '../lib/candles.js';

const IV = 10;
const N = 3;
const NAMES = Array.from({ length: N }, (_, i) => `ticker_0${i}`);
const COARSE = 5000; // the coarsest width: the restart must fall in its bucket of the upgrade
const NEW = [['50ms', 50], ['1s', 1000], ['5s', COARSE]];
const args = (ladder) => ['--interval-ms', String(IV), '--instruments', String(N), '--rollups', ladder];
const spec = (levels) => levels.map(([l]) => `${l}:1h`).join(',');

describe('tickgen rollups: a restart soon after a ladder upgrade', () => {
  let redis, client;
  before(async () => {
    redis = await RedisServer.start();
    client = redis.client();
  });
  after(async () => {
    client.disconnect();
    await redis.stop();
  });

  /**
   * Runs the old ladder, stops it 1.3–1.8 s into a 5 s bucket (so the finer
   * new levels begin after that bucket did, and mid-second), starts the new ladder, stops it
   * after 30 ticks and starts it again — all in the same 5 s bucket — then
   * checks every candle of every level against the raw ticks once that
   * bucket has closed.
   */
  async function upgradeAndRestart(t, oldLevels) {
    await client.flushall();
    let gen = startGenerator(redis.url, args(spec(oldLevels)));
    try {
      await waitStreamLength(client, 'ticker_00', 50);
      await waitFor('the newest tick 1.3-1.8 s into a 5 s bucket', async () => {
        const phase = (await newestTick(client, 'ticker_00')) % COARSE;
        return phase >= 1300 && phase < 1800;
      }, { timeout: 10000, every: 5 });
    } finally {
      await gen.stop();
    }
    const upgradedAt = await newestTick(client, 'ticker_00');
    gen = startGenerator(redis.url, args(spec(NEW)));
    try {
      await gen.waitOutput(/open candles restored/);
      await waitFor('30 ticks after the upgrade', async () => (await newestTick(client, 'ticker_00')) >= upgradedAt + 30 * IV);
    } finally {
      await gen.stop();
    }
    const restartedAt = await newestTick(client, 'ticker_00');
    const bucket = Math.floor(upgradedAt / COARSE) * COARSE;
    // Not an assertion (the machine's load decides it), but the test shows
    // nothing when the restart fell in the next bucket: say so.
    if (restartedAt >= bucket + COARSE) t.diagnostic(`the restart (${restartedAt}) fell after the 5 s bucket of the upgrade (${upgradedAt})`);
    gen = startGenerator(redis.url, args(spec(NEW)));
    try {
      await gen.waitOutput(/open candles restored/);
      await waitFor('the 5 s bucket of the upgrade to close', async () => (await newestTick(client, 'ticker_00')) >= bucket + COARSE + 200, { timeout: 15000 });
    } finally {
      await gen.stop();
    }
    const meta = await client.hget('ts:meta', 'rollups_from');
    for (const name of NAMES) {
      const ticks = await readStream(client, name);
      const end = ticks.at(-1).t;
      for (const [label, w] of NEW) {
        const isNew = !oldLevels.some(([l]) => l === label);
        const want = bucketsOf(ticks, w).filter((b) => b.t + w <= end && (!isNew || b.t >= Math.floor(upgradedAt / w) * w));
        const got = (await readCandles(client, label, name)).filter((c) => c.t + w <= end);
        const where = `${name} ${label} (${isNew ? 'new' : 'kept'}; upgrade at ${upgradedAt}, restart at ${restartedAt}, rollups_from ${meta})`;
        assert.ok(got.length >= 1, `${where}: no candle`);
        // A new level is written from the bucket the upgrade fell in, that bucket whole.
        if (isNew) assert.equal(got[0].t, Math.floor(upgradedAt / w) * w, `${where}: the first candle`);
        assert.deepEqual(got, want, `${where}: candles differ from the raw ticks' aggregate`);
      }
    }
  }

  test('a level added between old ones: the coarser level read across the restart is whole', async (t) => {
    // 1s and 5s are new over 50ms: at the restart, 5s's bucket began before 1s existed.
    await upgradeAndRestart(t, [['50ms', 50]]);
  });

  test('levels added under an old one: read from the raw ticks, whole from the bucket of the upgrade', async (t) => {
    // 50ms and 1s are new under 5s: 1s has no finer level that holds its bucket.
    await upgradeAndRestart(t, [['5s', COARSE]]);
  });
  test('a level added under an old one when the raw ticks no longer hold its bucket: whole only from its next bucket', async () => {
    // --retention 500ms, and the upgrade 600-900 ms into a second: 1s's
    // bucket of the upgrade began before the oldest tick surely kept, so its
    // candle counts what is left and rollups_from says 1s is whole from the
    // next second (a later restart must not rebuild a 5s bucket from it).
    await client.flushall();
    const short = (ladder) => [...args(ladder), '--retention', '500ms'];
    let gen = startGenerator(redis.url, short(spec([['5s', COARSE]])));
    try {
      await waitStreamLength(client, 'ticker_00', 30);
      await waitFor('the newest tick 600-900 ms into a second', async () => {
        const phase = (await newestTick(client, 'ticker_00')) % 1000;
        return phase >= 600 && phase < 900;
      }, { timeout: 10000, every: 5 });
    } finally {
      await gen.stop();
    }
    const upgradedAt = await newestTick(client, 'ticker_00');
    gen = startGenerator(redis.url, short(spec(NEW)));
    try {
      await gen.waitOutput(/new level 1s: its bucket holding the last tick began before the raw ticks kept/);
      await gen.waitOutput(/open candles restored/);
    } finally {
      await gen.stop();
    }
    const from = Object.fromEntries((await client.hget('ts:meta', 'rollups_from')).split(',').map((x) => x.split(':')));
    assert.equal(Number(from['1s']), Math.floor(upgradedAt / 1000) * 1000 + 1000, `rollups_from ${JSON.stringify(from)}, upgrade at ${upgradedAt}`);
    assert.equal(Number(from['50ms']), Math.floor(upgradedAt / 50) * 50, '50ms: its bucket is all kept');
    assert.equal(Number(from['5s']), 0, 'the old level');
  });
});
