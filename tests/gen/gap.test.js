// tests/gen/gap.test.js — a tick time Redis refuses, followed in the same
// pipelined batch by one it accepts: Redis at maxmemory (OOM) or after a
// failed save (MISCONF) refuses tick t1, the fault ends (memory freed: a
// trim, an eviction, an operator; a save that works), and t2 of the same
// batch arrives. Without a guard t2 is written, and t1 never can be (an
// XADD below a stream's last ID is refused): a hole, against the promise
// that the generator skips no time point. The fenced script keeps the
// last tick time written (ts:last_tick, docs/REDIS.md) and refuses a tick
// time whose predecessor is not the one stored.
//
// The batch is cut exactly between the two transactions by a relay
// (tests/lib/proxy.js, splitNextBatch): it holds the rest of the batch, and Redis's
// replies, until the first transaction has been refused and the fault
// ended; every refusal is real Redis behaviour.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { freePort, startGenerator, waitFor } from '../lib/procs.js';
import { RedisServer, checkSeries, readStream, waitStreamLength } from '../lib/redis.js';
import { SilenceProxy } from '../lib/proxy.js';

const IV = 100;
const NAMES = ['ticker_00', 'ticker_01', 'ticker_02'];
const stack = [];
after(async () => {
  for (const p of stack.reverse()) await p.stop();
});

// A failed save, as in faults.test.js: /proc takes no file.
const saveStatus = async (c) => /rdb_last_bgsave_status:(\w+)/.exec(await c.info('persistence'))[1];
const faults = {
  OOM: {
    start: (c) => c.config('SET', 'maxmemory', '1'),
    end: (c) => c.config('SET', 'maxmemory', '0'),
    refused: (r) => r && r.err && /^EXECABORT/.test(r.err), // the EVAL was refused when queued
  },
  MISCONF: {
    async start(c) {
      this.dir = (await c.config('GET', 'dir'))[1];
      await c.config('SET', 'save', '3600 1');
      await c.config('SET', 'dir', '/proc');
      await c.bgsave();
      await waitFor('the save to fail', async () => (await saveStatus(c)) === 'err', { timeout: 5000 });
    },
    async end(c) {
      await c.config('SET', 'dir', this.dir);
      await waitFor('a save to succeed', async () => {
        await c.bgsave().catch(() => {});
        return (await saveStatus(c)) === 'ok';
      }, { timeout: 5000 });
    },
    // The script ran and stopped at its first write (the lease's PEXPIRE).
    refused: (r) => Array.isArray(r) && r.length === 1 && r[0] && /MISCONF/.test(r[0].err),
  },
};

for (const [name, fault] of Object.entries(faults)) {
  test(`${name} refuses a tick time, the fault ends before the next one of the same batch: no hole`, { timeout: 40000 }, async () => {
    const redis = await RedisServer.start({ args: ['--enable-protected-configs', 'local'] });
    const proxy = await SilenceProxy.start(redis.port);
    const client = redis.client();
    const port = await freePort();
    const gen = startGenerator(proxy.url, ['--interval-ms', String(IV), '--instruments', '3', '--metrics-listen', `127.0.0.1:${port}`]);
    stack.push(redis, proxy, { stop: () => client.quit() }, gen);
    await waitStreamLength(client, 'ticker_02', 10);

    // Stopped for six intervals, the generator's next batch holds them all,
    // pipelined: a backfill after a stall.
    gen.signal_('SIGSTOP');
    const stoppedAt = Date.now();
    await waitFor('six intervals to pass', () => Date.now() - stoppedAt >= 6 * IV);
    await fault.start(client);
    const split = proxy.splitNextBatch(() => fault.end(client));
    gen.signal_('SIGCONT');
    const { first, rest } = await split;
    assert.ok(fault.refused(first), `the batch's first tick time is refused: ${JSON.stringify(first)}`);
    assert.ok(rest.length >= 1, 'the same batch holds later tick times');

    // The generator drops the connection on the refusal, comes back,
    // probes, and backfills from where Redis stands.
    await gen.waitOutput(/redis accepts writes again after [\d.]+ s/, 10000);
    const len = await client.xlen('ts:tick:{ticker_00}');
    await waitStreamLength(client, 'ticker_00', len + 10);
    for (const n of NAMES) assert.equal(checkSeries(await readStream(client, n), IV), null, n);
    // What kept it: each later tick time of that batch ran into the guard,
    // so nothing of it was written.
    for (const r of rest)
      assert.ok(Array.isArray(r) && r.length === 1 && r[0] && /^GAP /.test(r[0].err), `refused by the guard: ${JSON.stringify(r)}`);
    // One transaction: the stored time is the streams' head.
    const [[, last], [, [[id]]]] = await client.multi().get('ts:last_tick').xrevrange('ts:tick:{ticker_00}', '+', '-', 'COUNT', 1).exec();
    assert.equal(`${last}-0`, id, 'ts:last_tick is the time every stream ends at');
    assert.equal((gen.output.match(/redis refuses writes: /g) || []).length, 1, gen.tail());
    assert.ok(gen.running);
  });
}

test('ts:last_tick deleted under a running generator (or a history written before it): one GAP, then on with no hole', { timeout: 30000 }, async () => {
  const redis = await RedisServer.start();
  const client = redis.client();
  const gen = startGenerator(redis.url, ['--interval-ms', String(IV), '--instruments', '3']);
  stack.push(redis, { stop: () => client.quit() }, gen);
  await waitStreamLength(client, 'ticker_02', 10);
  await client.del('ts:last_tick');
  await gen.waitOutput(/redis refuses writes: GAP ts:last_tick holds 0, not \d+/);
  await gen.waitOutput(/redis accepts writes again/);
  const len = await client.xlen('ts:tick:{ticker_00}');
  await waitStreamLength(client, 'ticker_00', len + 10);
  for (const n of NAMES) assert.equal(checkSeries(await readStream(client, n), IV), null, n);
});

test('a ts:last_tick that is not a tick time stops start-up, which says what to do', { timeout: 30000 }, async () => {
  const redis = await RedisServer.start();
  const client = redis.client();
  stack.push(redis, { stop: () => client.quit() });
  await client.set('ts:last_tick', 'abc');
  const gen = startGenerator(redis.url, ['--interval-ms', String(IV), '--instruments', '3']);
  stack.push(gen);
  const { code } = await Promise.race([gen.exited, new Promise((_, no) => setTimeout(() => no(new Error('tickgen did not exit')), 10000))]);
  assert.equal(code, 1);
  assert.match(gen.output, /refusing to start: ts:last_tick holds 'abc', not a tick time; DEL it/);
});
