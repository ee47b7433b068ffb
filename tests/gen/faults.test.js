// tests/gen/faults.test.js — Redis refusing the generator's writes while up
// (maxmemory reached: OOM; a failed save: MISCONF), a Redis paused past the
// lease, and the generator's wall clock stepped back (libfaketime). Each
// checks one log line for the fault, the metric, that every stream stays
// one consecutive ±1 series (nothing accepted lost, nothing written twice
// or out of order) and that the generator recovers by itself.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { fakeClock, freePort, startGenerator, waitFor } from '../lib/procs.js';
import { RedisServer, checkSeries, readStream, waitStreamLength } from '../lib/redis.js';

const IV = 100;
const NAMES = ['ticker_00', 'ticker_01', 'ticker_02'];
const stack = [];
after(async () => {
  for (const p of stack.reverse()) await p.stop();
});

async function scrape(base) {
  const out = {};
  for (const line of (await (await fetch(`${base}/metrics`)).text()).split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out[line.slice(0, i)] = Number(line.slice(i + 1));
  }
  return out;
}

async function setup(redisArgs = [], env = {}) {
  const redis = await RedisServer.start({ args: redisArgs });
  const client = redis.client();
  const port = await freePort();
  const gen = startGenerator(redis.url, ['--interval-ms', String(IV), '--instruments', '3', '--metrics-listen', `127.0.0.1:${port}`], { env });
  stack.push(redis, { stop: () => client.quit() }, gen);
  await waitStreamLength(client, 'ticker_02', 10);
  return { redis, client, gen, base: `http://127.0.0.1:${port}` };
}

/** Every stream is one series, consecutive and ±1, holding `before` as its start, and live again. */
async function checkStreams(client, before) {
  await waitFor('the generator to be live again', async () => {
    const [[id]] = await client.xrevrange('ts:tick:{ticker_00}', '+', '-', 'COUNT', 1);
    return Date.now() - Number(id.split('-')[0]) < 10 * IV;
  }, { timeout: 15000 });
  for (const name of NAMES) {
    const s = await readStream(client, name);
    assert.equal(checkSeries(s, IV), null, name);
    assert.deepEqual(s.slice(0, before[name].length), before[name], `${name}: what Redis accepted before the fault is kept`);
  }
}

async function snapshot(client) {
  const out = {};
  for (const name of NAMES) out[name] = await readStream(client, name);
  return out;
}

/** Runs `fault`, waits for the refusal (metric and line), ends it, checks recovery and the streams. */
async function refusal(fault, cure, why) {
  const { client, gen, base } = await setup(['--enable-protected-configs', 'local']);
  const before = await snapshot(client);
  await fault(client);
  const first = await waitFor('refusals to be counted', async () => {
    const m = await scrape(base);
    return m.tickgen_writes_refused === 1 && m.tickgen_write_refusals_total >= 5 && m;
  }, { timeout: 10000 });
  // One probe per interval, counted, for longer than the lease (2 s): the
  // generator stays the leader through the fault (under MISCONF the lease
  // lapses, since its renewal is refused too, and the probe takes it again).
  const later = await waitFor('refusals to go on past the lease', async () => {
    const m = await scrape(base);
    return m.tickgen_write_refusals_total >= first.tickgen_write_refusals_total + 30 && m;
  }, { timeout: 20000 });
  assert.equal(later.tickgen_leader, 1, 'still the leader');
  assert.equal(later.tickgen_writes_refused, 1);
  const lines = gen.output.match(/redis refuses writes: .*/g);
  assert.equal(lines.length, 1, `one line for the whole fault:\n${gen.tail()}`);
  assert.match(lines[0], why);
  assert.ok((gen.output.match(/dropping the connection \(batch refused\)/g) || []).length <= 1, 'no reconnect per interval');
  await cure(client);
  await gen.waitOutput(/redis accepts writes again after [\d.]+ s/);
  assert.doesNotMatch(gen.output, /leader -> standby/, 'never fenced: nobody else could write either');
  assert.equal((await scrape(base)).tickgen_writes_refused, 0);
  await checkStreams(client, before);
}

test('maxmemory reached: OOM is one line and a metric; the ticks held back are backfilled', { timeout: 40000 }, async () => {
  await refusal((c) => c.config('SET', 'maxmemory', '1'), (c) => c.config('SET', 'maxmemory', '0'), /^redis refuses writes: OOM /);
});

// A failed save: /proc takes no file, even for root, so a snapshot there
// fails and Redis, with a save point set, refuses writes as after a failed
// AOF write (MISCONF). cureSaves puts the directory back and saves.
const saveStatus = async (c) => /rdb_last_bgsave_status:(\w+)/.exec(await c.info('persistence'))[1];
let savedDir;
async function failSaves(c) {
  savedDir = (await c.config('GET', 'dir'))[1];
  await c.config('SET', 'save', '3600 1');
  await c.config('SET', 'dir', '/proc');
  await c.bgsave();
  await waitFor('the save to fail', async () => (await saveStatus(c)) === 'err', { timeout: 5000 });
}
async function cureSaves(c) {
  await c.config('SET', 'dir', savedDir);
  await waitFor('a save to succeed', async () => {
    await c.bgsave().catch(() => {});
    return (await saveStatus(c)) === 'ok';
  }, { timeout: 5000 });
}

test('a failed save (MISCONF): one line and a metric; backfilled once saves work again', { timeout: 40000 }, async () => {
  await refusal(failSaves, cureSaves, /^redis refuses writes: .*MISCONF/);
});

test('MISCONF with a standby: the lease lapses, nobody writes; afterwards one generator writes on, with no hole', { timeout: 40000 }, async () => {
  const { redis, client, base } = await setup(['--enable-protected-configs', 'local']);
  const port = await freePort();
  const standby = startGenerator(redis.url, ['--interval-ms', String(IV), '--instruments', '3', '--metrics-listen', `127.0.0.1:${port}`]);
  stack.push(standby);
  await standby.waitOutput(/role: standby/);
  const before = await snapshot(client);
  await failSaves(client);
  const first = await waitFor('refusals to be counted', async () => {
    const m = await scrape(base);
    return m.tickgen_write_refusals_total >= 5 && m;
  }, { timeout: 10000 });
  await waitFor('refusals to go on past the lease', async () =>
    (await scrape(base)).tickgen_write_refusals_total >= first.tickgen_write_refusals_total + 30, { timeout: 20000 });
  const len = await client.xlen('ts:tick:{ticker_00}');
  await cureSaves(client);
  await waitStreamLength(client, 'ticker_00', len + 20, 15000);
  // Whichever took the lapsed lease first leads; the other is (or, at its
  // next probe, becomes) the standby.
  await waitFor('exactly one leader after the fault', async () =>
    (await scrape(base)).tickgen_leader + (await scrape(`http://127.0.0.1:${port}`)).tickgen_leader === 1, { timeout: 10000 });
  await checkStreams(client, before);
  assert.ok(standby.running);
});

test('Redis paused (CLIENT PAUSE ALL) past the lease: the generator takes up again and backfills', { timeout: 40000 }, async () => {
  const { client, gen } = await setup();
  const before = await snapshot(client);
  await client.client('PAUSE', '3000', 'ALL');
  const len = await client.xlen('ts:tick:{ticker_00}');
  await waitStreamLength(client, 'ticker_00', len + 40, 15000);
  await checkStreams(client, before);
  assert.ok(gen.running);
});

test('the clock stepped back 10 s: nothing written twice or out of order; ticks resume when it passes the last', { timeout: 40000 }, async () => {
  const clock = fakeClock();
  stack.push({ stop: () => clock.remove() });
  const { client, gen } = await setup([], clock.env);
  const before = await snapshot(client);
  clock.set('-10');
  const len = await client.xlen('ts:tick:{ticker_00}');
  // Wall time runs 10 s behind: the streams must simply wait, then go on.
  await waitStreamLength(client, 'ticker_00', len + 20, 25000);
  for (const name of NAMES) {
    const s = await readStream(client, name);
    assert.equal(checkSeries(s, IV), null, name);
    assert.deepEqual(s.slice(0, before[name].length), before[name]);
  }
  assert.ok(gen.running);
});
