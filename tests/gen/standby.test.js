// tests/gen/standby.test.js — standby generators and the fenced lease
// (docs/REDIS.md, "Standby generators"), with a real redis-server and real
// tickgen processes at 100 ms ticks.
//
// Rounds, alternating: kill -9 the leader (a fresh standby replaces it), or
// SIGSTOP it for several lease times and SIGCONT it. In both the standby
// must take the lease and write; the paused one, woken, must have every
// write refused (it logs "fenced") and wait as a standby. Throughout, a
// subscriber of ts:live checks that every tick time is published once, in
// order, with no hole, and at the end every stream must be one unbroken run
// of the seeded walk equal to what was published.
//
// TS_HA_ROUNDS (default 4) sets the rounds; `make test-ha-long` runs a minute.
//
// Then SIGTERM of the leader with a 20 s lease: it gives the lease up as it
// exits, so the standby takes over at its next poll — within a wait of half
// the lease, which a takeover by expiry could not meet — with no hole.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { decode } from '@msgpack/msgpack';
import { startGenerator, waitFor } from '../lib/procs.js';
import { RedisServer, checkSeries, readStream } from '../lib/redis.js';
import { walkError } from '../lib/walk.js';

const IV = 100;
const N = 5;
const LEASE = 500;
const NAMES = Array.from({ length: N }, (_, i) => `ticker_0${i}`);
const ARGS = ['--interval-ms', String(IV), '--instruments', String(N), '--lease', `${LEASE}ms`, '--rollups', '1s:1h,10s:1h'];
const ROUNDS = Number(process.env.TS_HA_ROUNDS || 4);
const DURATION_MS = Number(process.env.TS_HA_DURATION_MS || 0);

let redis, client, sub;
const published = [];
const gens = new Set();

before(async () => {
  redis = await RedisServer.start({ aof: false });
  client = redis.client();
  sub = redis.client();
  await sub.subscribe('ts:live');
  sub.on('messageBuffer', (ch, buf) => published.push(decode(buf)));
});

after(async () => {
  for (const g of gens) await g.stop('SIGKILL');
  sub.disconnect();
  client.disconnect();
  await redis.stop();
});

function spawnGen(args = ARGS) {
  const g = startGenerator(redis.url, args);
  gens.add(g);
  return g;
}

/** The generator whose id is in ts:lease:generator (id = host:pid:random). */
async function leader() {
  const id = await client.get('ts:lease:generator');
  const pid = id ? Number(id.split(':').at(-2)) : 0;
  return [...gens].find((g) => g.pid === pid && g.running);
}

const head = async () => (await client.xrevrange('ts:tick:{ticker_00}', '+', '-', 'COUNT', 1))[0]?.[0];

/** Waits until a generator other than `old` leads and has written `more` tick times after `since`. */
async function takeover(old, since, more) {
  const start = Date.now();
  const g = await waitFor('another generator to take the lease', async () => {
    const l = await leader();
    return l && l !== old ? l : null;
  }, { timeout: 15000 });
  const took = Date.now() - start;
  await waitFor(`${more} ticks after ${since}`, async () => {
    const h = await head();
    return h && Number(h.split('-')[0]) >= since + more * IV;
  }, { timeout: 15000 });
  return { g, took };
}

test('kill -9 and SIGSTOP of the leader: the standby takes over, the paused one is fenced, no tick lost or doubled', async () => {
  let a = spawnGen();
  await a.waitOutput(/role: leader/);
  let b = spawnGen();
  await b.waitOutput(/role: standby/);
  await waitFor('10 ticks', async () => (await client.xlen('ts:tick:{ticker_00}')) >= 10);
  const until = Date.now() + DURATION_MS;
  const takeovers = [];
  for (let round = 0; round < ROUNDS || Date.now() < until; round++) {
    const l = await waitFor('a leader', leader);
    const last = Number((await head()).split('-')[0]);
    if (round % 2 === 0) {
      // kill -9: the standby takes over and backfills from where Redis stands.
      const killedAt = Date.now();
      await l.stop('SIGKILL');
      gens.delete(l);
      const { took } = await takeover(l, last, 3);
      takeovers.push({ kind: 'kill', ms: Date.now() - killedAt, lease_ms: took });
      const fresh = spawnGen();
      await fresh.waitOutput(/role: standby/);
    } else {
      // SIGSTOP for several lease times: the standby takes over; SIGCONT: the
      // old leader's writes are refused and it waits.
      const before = l.output.length;
      l.signal_('SIGSTOP');
      const stoppedAt = Date.now();
      const { took } = await takeover(l, last, 3);
      takeovers.push({ kind: 'stop', ms: Date.now() - stoppedAt, lease_ms: took });
      await waitFor('3 lease times to pass', () => Date.now() - stoppedAt >= 3 * LEASE);
      l.signal_('SIGCONT');
      await l.waitOutput(/fenced/, 15000).catch(() => assert.fail(`the paused leader was not fenced:\n${l.output.slice(before)}`));
      await waitFor('the woken leader to wait as a standby', () => /role: standby/.test(l.output.slice(before)), { timeout: 15000 });
      assert.notEqual(await leader(), l, 'the woken leader took the lease back');
    }
  }
  // Let the last leader write a few more ticks, then stop everything.
  const last = Number((await head()).split('-')[0]);
  await waitFor('5 more ticks', async () => Number((await head()).split('-')[0]) >= last + 5 * IV);
  for (const g of gens) await g.stop('SIGTERM');
  await waitFor('the last publish to arrive', async () => published.at(-1)?.t === Number((await head()).split('-')[0]));

  for (const [i, name] of NAMES.entries()) {
    const s = await readStream(client, name);
    assert.equal(checkSeries(s, IV, { steps: false }), null, `${name}: ${checkSeries(s, IV, { steps: false })}`);
    assert.equal(walkError(s, i, IV), null, `${name} is not the seeded walk: ${walkError(s, i, IV)}`);
    const byT = new Map(s.map((e) => [e.t, e.p]));
    for (const m of published) assert.equal(m.p[i], byT.get(m.t), `${name}@${m.t}: published ${m.p[i]}, stream ${byT.get(m.t)}`);
  }
  // Every tick time published exactly once, in order, from the first to the last.
  for (let k = 1; k < published.length; k++) {
    assert.equal(published[k].t - published[k - 1].t, IV, `ts:live: ${published[k - 1].t} then ${published[k].t}`);
  }
  const s0 = await readStream(client, 'ticker_00');
  assert.equal(published[0].t, s0[0].t, 'the first tick was not published');
  assert.equal(published.length, s0.length, 'published count differs from the stream');
  console.log(`# takeovers (ms from kill/stop to 3 ticks written by the new leader; lease_ms = to the lease changing hands): ${JSON.stringify(takeovers)}`);
});

test('SIGTERM of the leader releases the lease: the standby takes over long before the lease would expire, no tick lost or doubled', async () => {
  const LONG = 20000;
  const args = ARGS.map((a, i) => (ARGS[i - 1] === '--lease' ? `${LONG}ms` : a));
  for (const g of gens) await g.stop('SIGTERM');
  const a = spawnGen(args);
  await a.waitOutput(/role: leader/);
  const b = spawnGen(args);
  await b.waitOutput(/role: standby/);
  const start = Number((await head()).split('-')[0]);
  await waitFor('5 ticks from the leader', async () => Number((await head()).split('-')[0]) >= start + 5 * IV);
  const last = Number((await head()).split('-')[0]);
  const termAt = Date.now();
  await a.stop('SIGTERM');
  gens.delete(a);
  assert.equal(a.exitCode, 0, `the leader exits 0 on SIGTERM: ${a.tail()}`);
  assert.match(a.output, /lease ts:lease:generator released/, 'the leader says it gave the lease up');
  await waitFor('the standby to lead and write 3 ticks, within half the lease', async () => {
    const l = await leader();
    return l === b && Number((await head()).split('-')[0]) >= last + 3 * IV;
  }, { timeout: LONG / 2 });
  const took = Date.now() - termAt;
  await b.stop('SIGTERM');
  gens.delete(b);
  await waitFor('the last publish to arrive', async () => published.at(-1)?.t === Number((await head()).split('-')[0]));
  for (const [i, name] of NAMES.entries()) {
    const s = await readStream(client, name);
    assert.equal(checkSeries(s, IV, { steps: false }), null, `${name}: ${checkSeries(s, IV, { steps: false })}`);
    assert.equal(walkError(s, i, IV), null, `${name} is not the seeded walk: ${walkError(s, i, IV)}`);
  }
  for (let k = 1; k < published.length; k++) {
    assert.equal(published[k].t - published[k - 1].t, IV, `ts:live: ${published[k - 1].t} then ${published[k].t}`);
  }
  console.log(`# SIGTERM of the leader to 3 ticks written by the standby: ${took} ms (lease ${LONG} ms)`);
});
