// tests/gen/metrics.test.js — tickgen --metrics-listen: /healthz, /metrics
// counting what Redis holds (ticks, the batch round-trip histogram, the lag
// of the last tick), a bad address refused with the flag named, the
// progress lines of a backfill longer than one batch, and the Redis memory
// estimate against a real maxmemory.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { BUILD, freePort, startGenerator, waitFor } from '../lib/procs.js';
import { RedisServer, waitStreamLength } from '../lib/redis.js';

const stack = [];
after(async () => {
  for (const p of stack.reverse()) await p.stop();
});

/** /metrics as {sample name with labels: value}. */
async function scrape(url) {
  const res = await fetch(url);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  const out = {};
  for (const line of (await res.text()).split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out[line.slice(0, i)] = Number(line.slice(i + 1));
  }
  return out;
}

test('/metrics and /healthz on --metrics-listen follow what is written', { timeout: 30000 }, async () => {
  const redis = await RedisServer.start();
  const client = redis.client();
  const port = await freePort();
  // No candles: a 10 s candle closing during the test adds its entries to
  // tickgen_entries_written_total, and 3 per tick would not hold (a run
  // that crossed a 10 s boundary failed so: 72 != 69).
  const gen = startGenerator(redis.url, ['--interval-ms', '20', '--instruments', '3', '--rollups', 'off', '--metrics-listen', `127.0.0.1:${port}`]);
  stack.push(redis, { stop: () => client.quit() }, gen);
  await gen.waitOutput(/serving \/metrics and \/healthz on 127\.0\.0\.1:\d+/);
  const base = `http://127.0.0.1:${port}`;
  await waitStreamLength(client, 'ticker_02', 20);
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
  assert.equal(await (await fetch(`${base}/healthz`)).text(), 'ok\n');
  const nf = await fetch(`${base}/nope`);
  assert.equal(nf.status, 404);
  assert.match(await nf.text(), /\/metrics and \/healthz/);

  const m1 = await scrape(`${base}/metrics`);
  assert.ok(m1.tickgen_ticks_written_total >= 20, `ticks ${m1.tickgen_ticks_written_total}`);
  assert.equal(m1.tickgen_entries_written_total, 3 * m1.tickgen_ticks_written_total);
  assert.equal(m1.tickgen_redis_up, 1);
  assert.equal(m1.tickgen_leader, 1, 'the only generator leads');
  assert.equal(m1.tickgen_standby, 0);
  assert.equal(m1.tickgen_redis_reconnects_total, 0);
  assert.ok(m1.tickgen_lag_seconds >= 0 && m1.tickgen_lag_seconds < 5, `lag ${m1.tickgen_lag_seconds}`);
  const [[id]] = await client.xrevrange('ts:tick:{ticker_00}', '+', '-', 'COUNT', 1);
  assert.ok(Math.abs(m1.tickgen_last_tick_timestamp_seconds * 1000 - Number(id.split('-')[0])) <= 200, 'last tick = the stream head');
  const h = 'tickgen_redis_batch_seconds';
  assert.equal(m1[`${h}_bucket{le="+Inf"}`], m1[`${h}_count`]);
  assert.ok(m1[`${h}_count`] > 0 && m1[`${h}_sum`] > 0);
  await waitFor('ticks to grow', async () => (await scrape(`${base}/metrics`)).tickgen_ticks_written_total > m1.tickgen_ticks_written_total + 5, { timeout: 5000 });
});

test('a bad --metrics-listen exits 2 naming the flag; --help lists it with its env var', () => {
  for (const bad of ['nope', '127.0.0.1:', ':9100', '127.0.0.1:99999']) {
    const r = spawnSync(path.join(BUILD, 'tickgen'), ['--metrics-listen', bad], { encoding: 'utf8', timeout: 5000 });
    assert.equal(r.status, 2, bad);
    assert.match(r.stderr, /^tickgen: --metrics-listen: .* is not host:port\n/, bad);
    assert.doesNotMatch(r.stderr, /instruments every/, 'it does not start');
  }
  const help = spawnSync(path.join(BUILD, 'tickgen'), ['--help'], { encoding: 'utf8' });
  assert.match(help.stdout, /--metrics-listen[^\n]*\n\s+env TS_METRICS_LISTEN/);
});

test('a backfill longer than one batch logs its start, progress and end', { timeout: 40000 }, async () => {
  // 100 instruments: 636 intervals per batch; a 2 s stop at 2 ms is ~1,000 due.
  const redis = await RedisServer.start({ aof: false });
  const client = redis.client();
  stack.push(redis, { stop: () => client.quit() });
  const args = ['--interval-ms', '2', '--instruments', '100'];
  const first = startGenerator(redis.url, args);
  await waitStreamLength(client, 'ticker_99', 5);
  await first.stop();
  await new Promise((r) => setTimeout(r, 2000));
  const port = await freePort();
  const gen = startGenerator(redis.url, [...args, '--metrics-listen', `127.0.0.1:${port}`]);
  stack.push(gen);
  await gen.waitOutput(/backfill: done, \d+ intervals in [\d.]+ s/, 20000);
  await gen.stop();
  const start = /backfill: (\d+) intervals due \((\d+) s\), in batches of (\d+)/.exec(gen.output);
  assert.ok(start, gen.tail());
  assert.ok(Number(start[1]) >= 900 && Number(start[3]) === 636, start[0]);
  const done = Number(/backfill: done, (\d+) intervals/.exec(gen.output)[1]);
  assert.ok(done >= Number(start[1]), `done ${done} of ${start[1]} due at the start`);
});

test('a second generator on the same Redis reports itself standby, the first one leader', { timeout: 30000 }, async () => {
  const redis = await RedisServer.start();
  const client = redis.client();
  const [p1, p2] = [await freePort(), await freePort()];
  const args = ['--interval-ms', '50', '--instruments', '2'];
  const g1 = startGenerator(redis.url, [...args, '--metrics-listen', `127.0.0.1:${p1}`]);
  stack.push(redis, { stop: () => client.quit() }, g1);
  await waitStreamLength(client, 'ticker_01', 5);
  const g2 = startGenerator(redis.url, [...args, '--metrics-listen', `127.0.0.1:${p2}`]);
  stack.push(g2);
  await g2.waitOutput(/role: standby/);
  const [m1, m2] = [await scrape(`http://127.0.0.1:${p1}/metrics`), await scrape(`http://127.0.0.1:${p2}/metrics`)];
  assert.deepEqual([m1.tickgen_leader, m1.tickgen_standby], [1, 0], 'the first one leads');
  assert.deepEqual([m2.tickgen_leader, m2.tickgen_standby], [0, 1], 'the second one waits');
});

test('the Redis memory the configuration needs: logged, a gauge, and a warning when maxmemory is below it', { timeout: 30000 }, async () => {
  // 3 instruments at 20 ms, 24 h of raw ticks, the default ladder. By hand
  // (generator/gen_sizing.h: 16 B a tick, 27 B a candle, 4,400 B a stream,
  // one node of 100 entries more per stream):
  //   ticks   (86,400,000 / 20 + 100) × 16 × 3 = 207,364,800
  //   candles (196,760 + 7 × 100) × 27 × 3     =  15,994,260
  //   streams 3 × 8 × 4,400                    =     105,600
  const ESTIMATE = 207364800 + 15994260 + 105600;
  const redis = await RedisServer.start({ aof: false, args: ['--maxmemory', '2mb'] });
  const client = redis.client();
  stack.push(redis, { stop: () => client.quit() });
  const args = ['--interval-ms', '20', '--instruments', '3'];
  const run = async (want) => {
    const port = await freePort();
    const gen = startGenerator(redis.url, [...args, '--metrics-listen', `127.0.0.1:${port}`]);
    try {
      await gen.waitOutput(/redis memory this configuration needs once every retention is full: about 213\.1 MiB, 71\.0 MiB per instrument \(raw ticks 197\.8 MiB, candles 15\.3 MiB, and 103\.1 KiB that its 24 streams take even when empty\)/);
      await gen.waitOutput(want);
      const m = await scrape(`http://127.0.0.1:${port}/metrics`);
      assert.equal(m.tickgen_redis_memory_estimate_bytes, ESTIMATE);
      return { gen, m };
    } finally {
      await gen.stop();
    }
  };
  // maxmemory 2 MiB, the default policy: writes will be refused.
  let { gen, m } = await run(/WARN  tickgen: redis maxmemory is 2\.0 MiB, below the 213\.1 MiB this configuration needs: once it is reached Redis refuses every write \(OOM; maxmemory-policy noeviction\): tickgen holds the ticks back and backfills them/);
  assert.equal(m.tickgen_redis_maxmemory_bytes, 2 * 1024 * 1024);
  assert.equal((gen.output.match(/redis maxmemory is/g) || []).length, 1, 'said once');
  // An allkeys-* policy evicts instead: the warning says so.
  await client.config('SET', 'maxmemory-policy', 'allkeys-lru');
  ({ gen, m } = await run(/WARN  tickgen: redis maxmemory is 2\.0 MiB, below the 213\.1 MiB this configuration needs: once it is reached Redis evicts whole keys \(maxmemory-policy allkeys-lru\)/));
  // No maxmemory: no warning, the gauge 0.
  await client.config('SET', 'maxmemory', '0');
  ({ gen, m } = await run(/INFO  tickgen: redis has no maxmemory: it will grow to about 213\.1 MiB/));
  assert.equal(m.tickgen_redis_maxmemory_bytes, 0);
  assert.doesNotMatch(gen.output, /WARN .*maxmemory/);
});
