// tests/gen/generator.test.js — tickgen against a real redis-server.
//
// Each test starts its own redis-server on a free loopback port and a real
// tickgen at a 10 ms interval with 5 instruments, then checks the streams:
// consecutive IDs exactly 10 ms apart (no hole, no duplicate) and every step
// the move the walk prescribes for that time. The last tests are about what
// tickgen finds in Redis when it starts: malformed newest entries
// (docs/REDIS.md "Malformed entries"), a ts:meta it must not continue,
// AUTH/SELECT from the URL, and the reserved price.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decode } from '@msgpack/msgpack';
import { startGenerator, waitFor } from '../lib/procs.js';
import { RedisServer, checkSeries, readStream, stallGenerator, waitStreamLength } from '../lib/redis.js';
import { DEFAULT_SEED, move } from '../lib/walk.js';

const IV = 10;
const N = 5;
const NAMES = Array.from({ length: N }, (_, i) => `ticker_0${i}`);
const ARGS = ['--interval-ms', String(IV), '--instruments', String(N)];
const key = (i) => `ts:tick:{${NAMES[i]}}`;

/** Asserts every stream is one run of the walk; returns the series by name. */
async function assertWalks(client, { minLength = 1 } = {}) {
  const all = {};
  let end;
  for (const [i, name] of NAMES.entries()) {
    const s = await readStream(client, name);
    assert.ok(s.length >= minLength, `${name} has ${s.length} entries, want >= ${minLength}`);
    assert.equal(checkSeries(s, IV), null, `${name}: ${checkSeries(s, IV)}`);
    for (let k = 1; k < s.length; k++) {
      assert.equal(s[k].p - s[k - 1].p, move(DEFAULT_SEED, i, s[k].t / IV), `${name} at ${s[k].t}: not the seeded walk`);
    }
    // Ticks are written one tick time for all instruments at once.
    if (end === undefined) end = s.at(-1).t;
    assert.ok(Math.abs(s.at(-1).t - end) <= IV, `${name} ends at ${s.at(-1).t}, others at ${end}`);
    all[name] = s;
  }
  return all;
}

describe('tickgen', () => {
  let redis, client;
  before(async () => {
    redis = await RedisServer.start();
    client = redis.client();
  });
  after(async () => {
    client.disconnect();
    await redis.stop();
  });

  test('writes consecutive 10 ms ticks with ±1 steps and publishes the same ticks', async () => {
    await client.flushall();
    const sub = redis.client();
    const published = [];
    await sub.subscribe('ts:live');
    sub.on('messageBuffer', (ch, buf) => published.push(decode(buf)));
    const gen = startGenerator(redis.url, ARGS);
    try {
      await waitStreamLength(client, 'ticker_04', 100);
      await waitFor('40 published batches', () => published.length >= 40);
    } finally {
      assert.deepEqual(await gen.stop('SIGTERM'), { code: 0, signal: null }, gen.tail());
      sub.disconnect();
    }
    const all = await assertWalks(client, { minLength: 100 });
    const meta = await client.hgetall('ts:meta');
    assert.equal(meta.interval_ms, String(IV));
    assert.equal(meta.instruments, String(N));
    assert.deepEqual(await client.lrange('ts:instruments', 0, -1), NAMES);
    // Every published batch equals the stream entries at its time.
    const byTime = NAMES.map((n) => new Map(all[n].map((e) => [e.t, e.p])));
    for (const m of published) {
      assert.equal(m.e, Number(meta.epoch), 'published epoch differs from ts:meta');
      assert.equal(m.p.length, N);
      m.p.forEach((p, i) => assert.equal(p, byTime[i].get(m.t), `published ${NAMES[i]}@${m.t}=${p} differs from its stream`));
    }
    for (let k = 1; k < published.length; k++) assert.equal(published[k].t - published[k - 1].t, IV, 'published batches not consecutive');
  });

  test('a 300 ms SIGSTOP leaves no hole: the missed intervals are backfilled', async () => {
    await client.flushall();
    const gen = startGenerator(redis.url, ARGS);
    try {
      await stallGenerator(gen, client, { first: 20, ms: 300, more: 40 });
    } finally {
      await gen.stop();
    }
    await assertWalks(client, { minLength: 60 });
  });

  test('kill -9 and restart continues the same walk with no hole and no duplicate', async () => {
    await client.flushall();
    let gen = startGenerator(redis.url, ARGS);
    await waitStreamLength(client, 'ticker_00', 30);
    await gen.stop('SIGKILL');
    const epoch = await client.hget('ts:meta', 'epoch');
    const before = (await readStream(client, 'ticker_00')).length;
    gen = startGenerator(redis.url, ARGS);
    try {
      await gen.waitOutput(/resuming after tick/);
      await waitStreamLength(client, 'ticker_00', before + 30);
    } finally {
      await gen.stop();
    }
    await assertWalks(client, { minLength: before + 30 });
    assert.equal(await client.hget('ts:meta', 'epoch'), epoch, 'restart changed the epoch');
  });

  test('redis killed and restarted mid-run: the generator reconnects and leaves no hole', async () => {
    await client.flushall();
    await client.config('SET', 'appendfsync', 'always');
    const gen = startGenerator(redis.url, ARGS);
    try {
      await waitStreamLength(client, 'ticker_00', 30);
      await redis.kill();
      await gen.waitOutput(/redis connection lost/);
      await redis.restart();
      await gen.waitOutput(/resuming after tick/);
      const len = await client.xlen('ts:tick:{ticker_00}');
      await waitStreamLength(client, 'ticker_00', len + 30);
    } finally {
      await gen.stop();
    }
    await assertWalks(client, { minLength: 60 });
  });

  test('redis down at start: the generator waits, then writes', async () => {
    await client.flushall();
    await redis.kill();
    const gen = startGenerator(redis.url, ARGS);
    try {
      await gen.waitOutput(/unreachable/);
      assert.ok(gen.running, 'tickgen exited while redis was down');
      await redis.restart();
      await waitStreamLength(client, 'ticker_00', 20);
    } finally {
      await gen.stop();
    }
    await assertWalks(client, { minLength: 20 });
  });

  test('retention trims old entries', async () => {
    await client.flushall();
    const gen = startGenerator(redis.url, [...ARGS, '--retention', '500ms']);
    try {
      await waitStreamLength(client, 'ticker_00', 1);
      const [first] = await readStream(client, 'ticker_00', '-', '+');
      // Run 3 s: 300 ticks untrimmed. MINID ~ trims whole stream nodes of
      // 100 entries, so up to one node beyond the 50-tick window may remain.
      await waitFor('3 s of ticks', async () => (await client.xrevrange('ts:tick:{ticker_00}', '+', '-', 'COUNT', 1))[0][0].split('-')[0] >= first.t + 3000, { timeout: 15000 });
      const s = await readStream(client, 'ticker_00');
      assert.ok(s.length <= 50 + 100 + 10, `ticker_00 holds ${s.length} entries, want <= 160 with 500 ms retention`);
      assert.ok(s[0].t > first.t + 1000, `oldest entry ${s[0].t} was not trimmed (first written ${first.t})`);
    } finally {
      await gen.stop();
    }
    await assertWalks(client);
  });

  test('a restart with another instrument count is refused with what differs; --reset starts over', async () => {
    await client.flushall();
    await client.set('unrelated', 'kept');
    let gen = startGenerator(redis.url, ARGS);
    await waitStreamLength(client, 'ticker_00', 5);
    await gen.stop();
    gen = startGenerator(redis.url, ['--interval-ms', String(IV), '--instruments', '7']);
    const { code } = await gen.exited;
    assert.equal(code, 1, gen.tail());
    assert.match(gen.output, /instruments=5/);
    assert.match(gen.output, /instruments=7/);
    assert.match(gen.output, /--reset/);
    const epoch = await client.hget('ts:meta', 'epoch');
    gen = startGenerator(redis.url, ['--interval-ms', String(IV), '--instruments', '7', '--reset']);
    try {
      await waitStreamLength(client, 'ticker_06', 5);
    } finally {
      await gen.stop();
    }
    assert.equal(await client.hget('ts:meta', 'instruments'), '7');
    assert.notEqual(await client.hget('ts:meta', 'epoch'), epoch, '--reset kept the old epoch');
    assert.equal(await client.get('unrelated'), 'kept', '--reset deleted a key that is not ours');
  });

  test('bad flags exit 2 with one line naming the flag', async () => {
    for (const [args, flag] of [[['--interval-ms', '0'], '--interval-ms'], [['--retention', '24'], '--retention'],
      [['--redis', 'http://x'], '--redis'], [['--min-price', '5', '--max-price', '5'], '--min-price']]) {
      const gen = startGenerator(redis.url, args);
      const { code } = await gen.exited;
      assert.equal(code, 2, `${args.join(' ')}: ${gen.output}`);
      assert.ok(gen.output.includes(flag), `${args.join(' ')}: ${gen.output}`);
      assert.equal(gen.output.trim().split('\n').length, 1, gen.output);
    }
  });

  test('malformed newest entries: resume after their IDs, prices from the newest well-formed entry', async () => {
    await client.flushall();
    let gen = startGenerator(redis.url, ARGS);
    await waitStreamLength(client, 'ticker_00', 20);
    assert.deepEqual(await gen.stop(), { code: 0, signal: null }, gen.tail());
    const last = (await readStream(client, 'ticker_00')).at(-1).t;
    const before = [];
    for (let i = 0; i < N; i++) {
      const s = await readStream(client, `ticker_0${i}`);
      assert.equal(s.at(-1).t, last, 'streams end together');
      before.push(s.at(-1).p);
    }
    // ticker_00 untouched; 01: p not a number; 02: no p; 04: p = INT32_MIN
    // (reserved); 03: 17 malformed entries, more than the 16 searched.
    await client.xadd(key(1), `${last + IV}-0`, 'p', 'abc');
    await client.xadd(key(2), `${last + IV}-0`, 'q', '5');
    await client.xadd(key(4), `${last + IV}-0`, 'p', '-2147483648');
    for (let k = 1; k <= 17; k++) await client.xadd(key(3), `${last + k * IV}-0`, 'p', '');
    const head = last + 17 * IV;

    gen = startGenerator(redis.url, ARGS);
    try {
      await gen.waitOutput(new RegExp(`resuming after tick ${head}\\b`));
      await waitFor('20 new ticks', async () => (await readStream(client, 'ticker_00', String(head + 1))).length >= 20);
    } finally {
      assert.deepEqual(await gen.stop(), { code: 0, signal: null }, gen.tail());
    }
    assert.match(gen.output, /ticker_01: newest entry is malformed/);
    assert.match(gen.output, /4 streams end in malformed entries/);
    assert.match(gen.output, /ticker_03: none of its newest 16 entries is well-formed; restarting its walk at 0/);
    for (let i = 0; i < N; i++) {
      const s = await readStream(client, `ticker_0${i}`, String(head + 1));
      assert.ok(s.length >= 20, `ticker_0${i}: ${s.length} new entries`);
      assert.equal(s[0].t, head + IV, `ticker_0${i} resumes right after the newest ID`);
      const from = i === 3 ? 0 : before[i];
      assert.equal(s[0].p - from, move(DEFAULT_SEED, i, s[0].t / IV), `ticker_0${i}: first new price ${s[0].p} after ${from}`);
      assert.equal(checkSeries(s, IV), null, `ticker_0${i}: ${checkSeries(s, IV)}`);
      for (let k = 1; k < s.length; k++) assert.equal(s[k].p - s[k - 1].p, move(DEFAULT_SEED, i, s[k].t / IV));
    }
    // The malformed entries are still there, untouched.
    assert.deepEqual((await client.xrange(key(1), last + IV, last + IV))[0][1], ['p', 'abc']);
  });

  test('a ts:meta that is not a complete layout-1 history is refused, naming the field', async () => {
    for (const [fields, why] of [
      [['interval_ms', '10', 'instruments', '5'], /retention_ms/],
      [['interval_ms', '10', 'retention_ms', '86400000', 'instruments', '5', 'epoch', 'x', 'version', '1'], /epoch/],
      [['interval_ms', '10', 'retention_ms', '86400000', 'instruments', '5', 'epoch', '7', 'version', '2'], /version is 2/],
    ]) {
      await client.flushall();
      await client.hset('ts:meta', ...fields);
      const gen = startGenerator(redis.url, ARGS);
      const { code } = await gen.exited;
      assert.equal(code, 1, gen.tail());
      assert.match(gen.output, /refusing to start/);
      assert.match(gen.output, why);
      assert.match(gen.output, /--reset/);
      assert.equal(await client.exists(key(0)), 0, 'wrote ticks into a history it refused');
    }
  });

  test('a password and a database in the URL: AUTH and SELECT before anything else', async () => {
    await client.flushall();
    // Connections made before requirepass stay authenticated.
    const authed = redis.client();
    await authed.select(3);
    // A password with the URL's delimiters in it, percent-encoded in the URL.
    await client.config('SET', 'requirepass', 'se@k:r/e?t%');
    try {
      // A wrong password is the configuration's: one clear line, exit 1
      // (issue 11), rather than retrying forever.
      const bad = startGenerator(`redis://:wrong@127.0.0.1:${redis.port}/3`, ARGS);
      const { code } = await bad.exited;
      assert.equal(code, 1, 'a refused AUTH ends the process with 1');
      const lines = bad.output.split('\n').filter((l) => /refused AUTH\/SELECT: WRONGPASS/.test(l));
      assert.equal(lines.length, 1, `one line says why:\n${bad.output}`);
      assert.match(lines[0], /check the password, user and db in --redis \/ TS_REDIS_URL/);
      assert.doesNotMatch(bad.output, /wrong/, 'the password is not logged');
      const gen = startGenerator(`redis://:se%40k%3Ar%2Fe%3Ft%25@127.0.0.1:${redis.port}/3`, ARGS);
      try {
        await waitStreamLength(authed, 'ticker_00', 10);
      } finally {
        await gen.stop();
      }
      assert.equal(await authed.hget('ts:meta', 'instruments'), String(N));
      await authed.select(0);
      assert.equal(await authed.exists('ts:meta'), 0, 'wrote into db 0');
    } finally {
      await client.config('SET', 'requirepass', '');
      authed.disconnect();
    }
  });

  test('-2147483648 is no price: --min-price and --start-price stop one above it', async () => {
    for (const flag of ['--min-price', '--start-price']) {
      const gen = startGenerator(redis.url, [flag, '-2147483648']);
      const { code } = await gen.exited;
      assert.equal(code, 2, gen.output);
      assert.ok(gen.output.includes(flag), gen.output);
    }
    const help = startGenerator(redis.url, ['--help']);
    assert.equal((await help.exited).code, 0);
    assert.match(help.output, /--min-price[^\n]*\n[^\n]*default -2147483647\n/);
  });
});
