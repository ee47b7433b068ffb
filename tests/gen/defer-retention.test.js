// tests/gen/defer-retention.test.js — candles that wait (--candle-budget,
// generator/gen_defer.h) with raw ticks kept for less than two widths of a
// level (--retention), where a candle rebuilt from the raw ticks would be
// short: against a real redis-server that trims exactly
// (--stream-node-max-entries 1, so MINID ~ drops every tick it may):
//  - restarts rebuild nothing Redis already holds: a coarse candle equals
//    the fold of the finer ones after many restarts;
//  - --rebuild-rollups after a kill -9 with candles waiting writes none of
//    them from trimmed ticks (the restore after it takes them from the
//    finer level);
//  - a level that only the raw ticks could rebuild never waits, so a
//    ladder upgrade under it leaves no hole.
// (Found by review: each fails on the first version of the budget.)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGenerator, waitFor } from '../lib/procs.js';
import { RedisServer, waitStreamLength } from '../lib/redis.js';
import { newestTick, readCandles } from '../lib/candles.js';

const names = (n) => Array.from({ length: n }, (_, i) => `ticker_${String(i).padStart(2, '0')}`);

/** Every 1s candle whose ten 100ms candles are all there equals their fold. */
async function assertFolds(client, n) {
  const bad = [];
  for (const name of names(n)) {
    const fine = await readCandles(client, '100ms', name);
    for (const c of await readCandles(client, '1s', name)) {
      const parts = fine.filter((f) => f.t >= c.t && f.t < c.t + 1000);
      if (parts.length !== 10) continue;
      const want = { t: c.t, o: parts[0].o, h: Math.max(...parts.map((p) => p.h)), l: Math.min(...parts.map((p) => p.l)),
        c: parts.at(-1).c, n: parts.reduce((s, p) => s + p.n, 0) };
      if (JSON.stringify(want) !== JSON.stringify(c)) bad.push(`${name} 1s ${c.t}: ${JSON.stringify(c)}, its 100ms candles ${JSON.stringify(want)}`);
    }
  }
  assert.deepEqual(bad.slice(0, 3), [], `${bad.length} 1s candles differ from their 100ms candles`);
}

/** Waits until instrument 0's newest tick is `ms` past what it is now. */
async function waitMore(client, ms, what = `${ms / 1000} s more`, timeout = 10000) {
  const at = await newestTick(client, 'ticker_00');
  await waitFor(what, async () => (await newestTick(client, 'ticker_00')) > at + ms, { timeout });
}

/** Waits until instrument 0's newest tick lies `lo`-`hi` ms into a second. */
async function waitPhase(client, lo, hi) {
  await waitFor(`the newest tick ${lo}-${hi} ms into a second`, async () => {
    const phase = (await newestTick(client, 'ticker_00')) % 1000;
    return phase >= lo && phase < hi;
  }, { timeout: 10000, every: 5 });
}

describe('tickgen --candle-budget with a short --retention', () => {
  let redis, client;
  before(async () => {
    redis = await RedisServer.start({ args: ['--stream-node-max-entries', '1'] });
    client = redis.client();
  });
  after(async () => {
    client.disconnect();
    await redis.stop();
  });

  test('restarts rebuild only what Redis lacks: 1s candles stay the fold of the 100ms ones (retention 150 ms)', async () => {
    await client.flushall();
    const args = ['--interval-ms', '10', '--instruments', '2', '--retention', '150ms', '--rollups', '100ms:1h,1s:1h'];
    let gen = startGenerator(redis.url, args);
    try {
      await waitStreamLength(client, 'ticker_00', 10);
      // Restarts late in a 100 ms bucket (more than retention - width, 50 ms,
      // into it: the raw ticks of the bucket before are partly trimmed) and
      // not in a second's first one (so that bucket is inside the open 1s one).
      for (const k of [1, 3, 5, 7, 2, 4, 6, 8]) {
        await waitPhase(client, 100 * k + 60, 100 * k + 90);
        await gen.stop();
        gen = startGenerator(redis.url, args);
        await gen.waitOutput(/open candles restored/);
      }
      await waitMore(client, 2000);
    } finally {
      await gen.stop();
    }
    await assertFolds(client, 2);
  });

  test('--rebuild-rollups after a kill -9 with 1s candles waiting writes none from trimmed ticks (retention 1.5 s)', async () => {
    await client.flushall();
    const base = ['--interval-ms', '10', '--instruments', '20', '--retention', '1500ms', '--rollups', '100ms:1h,1s:1h'];
    let gen = startGenerator(redis.url, [...base, '--candle-budget', '1']);
    try {
      await waitStreamLength(client, 'ticker_00', 150);
      // Late in a second, with a 1s candle of the second before still waiting.
      await waitFor('a 1s candle waiting 550+ ms into a second', async () => {
        const m = client.multi().xrevrange('ts:tick:{ticker_00}', '+', '-', 'COUNT', 1);
        for (const n of names(20)) m.xrevrange(`ts:candle:1s:{${n}}`, '+', '-', 'COUNT', 1);
        const rows = (await m.exec()).map(([, r]) => r);
        const T = Number(rows[0][0][0].split('-')[0]), B = Math.floor(T / 1000) * 1000;
        return T - B > 550 && rows.slice(1).some((r) => r.length && Number(r[0][0].split('-')[0]) < B - 1000);
      }, { timeout: 15000, every: 2 });
      gen.signal_('SIGSTOP'); // the snapshot as it was
    } finally {
      await gen.stop('SIGKILL');
    }
    gen = startGenerator(redis.url, [...base, '--rebuild-rollups']);
    try {
      await gen.waitOutput(/rollups rebuilt/, 20000);
      await gen.waitOutput(/open candles restored from redis; [1-9]\d* closed candles it lacked wait to be written/);
      await waitMore(client, 1000);
    } finally {
      await gen.stop();
    }
    await assertFolds(client, 20);
  });

  test('a level only the raw ticks could rebuild never waits: an upgrade under it leaves no hole (retention 1.5 s)', async () => {
    await client.flushall();
    const base = ['--interval-ms', '10', '--instruments', '100', '--retention', '1500ms', '--candle-budget', '1'];
    let gen = startGenerator(redis.url, [...base, '--rollups', '1s:1h']);
    try {
      await waitStreamLength(client, 'ticker_00', 100);
      await waitMore(client, 1500, '1.5 s more (the first 1s candles closed)');
      await waitPhase(client, 600, 800);
    } finally {
      await gen.stop();
    }
    gen = startGenerator(redis.url, [...base, '--rollups', '100ms:1h,1s:1h']);
    try {
      await gen.waitOutput(/open candles restored/, 20000);
      await waitMore(client, 3000, '3 s more', 15000);
    } finally {
      await gen.stop();
    }
    const holes = [];
    for (const name of names(100)) {
      const c = await readCandles(client, '1s', name);
      for (let i = 1; i < c.length; i++) if (c[i].t !== c[i - 1].t + 1000) holes.push(`${name} 1s: no candle ${c[i - 1].t + 1000}`);
    }
    assert.deepEqual(holes.slice(0, 3), [], `${holes.length} holes`);
  });
});
