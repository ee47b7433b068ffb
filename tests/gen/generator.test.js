// tests/gen/generator.test.js — tickgen against a real redis-server.
//
// Each test starts its own redis-server on a free loopback port and a real
// tickgen at a 10 ms interval with 5 instruments, then checks the streams:
// consecutive IDs exactly 10 ms apart (no hole, no duplicate) and every step
// the move the walk prescribes for that time.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decode } from '@msgpack/msgpack';
import { startGenerator, waitFor } from '../lib/procs.js';
import { RedisServer, checkSeries, readStream, waitStreamLength } from '../lib/redis.js';
import { DEFAULT_SEED, move } from '../lib/walk.js';

const IV = 10;
const N = 5;
const NAMES = Array.from({ length: N }, (_, i) => `ticker_0${i}`);
const ARGS = ['--interval-ms', String(IV), '--instruments', String(N)];

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
      await waitStreamLength(client, 'ticker_00', 20);
      gen.signal_('SIGSTOP');
      const stoppedAt = Date.now();
      await waitFor('300 ms to pass', () => Date.now() - stoppedAt >= 300);
      gen.signal_('SIGCONT');
      const len = await client.xlen('ts:tick:{ticker_00}');
      await waitStreamLength(client, 'ticker_00', len + 40);
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
});
