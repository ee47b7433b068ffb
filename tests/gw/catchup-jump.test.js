// tests/gw/catchup-jump.test.js — a catch-up with nothing to send, then a hole.
//
// PROTOCOL.md: a `tick` is exactly dt after what the client holds; after a
// hole the stored history cannot fill, the next tick comes as a one-price
// `hist`, never as a silent jump. Here ticker_00's stream ends at T while the
// other instruments go on to T+5dt (ticker_00 lost those ticks), and no
// generator runs: the test publishes ts:live rows itself. A client
// subscribed to ticker_00 since T before the ring exists gets an empty final
// hist (last = T) as the ring starts; its cursor then passes the rows
// ticker_00 lacks. The tick at T+6dt must come as a hist run, and T+7dt as a
// plain tick.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { encode } from '@msgpack/msgpack';
import { RedisServer, readStream, waitStreamLength } from '../lib/redis.js';
import { startGenerator, waitFor } from '../lib/procs.js';
import { startGateway, WsClient, metrics, stopStack } from '../lib/gateway.js';

const DT = 100;
const N = 4;
let redis, client, gw, T, epoch, price;
const clients = [];

before(async () => {
  redis = await RedisServer.start();
  client = redis.client();
  const gen = startGenerator(redis.url, ['--interval-ms', String(DT), '--instruments', String(N), '--reset']);
  await waitStreamLength(client, 'ticker_00', 10, 20000);
  await gen.stop();
  assert.equal(gen.exitCode, 0, `generator exit: ${gen.tail()}`);
  const last = await Promise.all(Array.from({ length: N }, (_, i) => readStream(client, sym(i), '-', '+')));
  T = last[0].at(-1).t;
  for (const s of last) assert.equal(s.at(-1).t, T, 'one MULTI per tick time: every stream ends at T');
  price = last.map((s) => s.at(-1).p);
  epoch = Number(await client.hget('ts:meta', 'epoch'));
  // ticker_00 lacks T+dt .. T+5dt; the others have them.
  for (let k = 1; k <= 5; k++) {
    for (let i = 1; i < N; i++) await client.xadd(`ts:tick:{${sym(i)}}`, `${T + k * DT}-0`, 'p', String(++price[i]));
  }
  gw = await startGateway(redis.url, ['--ring', '10s']);
});

after(() => stopStack({ clients, gateways: [gw], client, redis }));

function sym(i) {
  return `ticker_${String(i).padStart(2, '0')}`;
}

/** Writes tick time t as the generator does: the XADDs, then the PUBLISH, in one MULTI. */
async function publish(t) {
  const m = client.multi();
  for (let i = 0; i < N; i++) m.xadd(`ts:tick:{${sym(i)}}`, `${t}-0`, 'p', String(++price[i]));
  m.publish('ts:live', Buffer.from(encode({ e: epoch, t, p: price })));
  await m.exec();
}

/**
 * Checks the promise behind every message of `name`: a hist run never holds a
 * hole, an empty hist repeats what the client holds, and a tick is exactly
 * dt after what the client holds. Returns the messages.
 */
function checkTold(c, name, since) {
  let held = since;
  const msgs = c.msgs.filter((m) => m.sym === name);
  for (const m of msgs) {
    if (m.op === 'hist') {
      if (m.p.length === 0) assert.equal(m.last, held, `empty hist: last ${m.last}, the client holds ${held}`);
      else held = m.last;
    } else if (m.op === 'tick') {
      assert.equal(m.t, held + DT, `${name}: tick ${m.t} after ${held} is a silent jump`);
      held = m.t;
    }
  }
  return msgs;
}

test('nothing to catch up, then a hole: the next tick is a new hist run, not a silent jump', { timeout: 30000 }, async () => {
  const c = await WsClient.open(gw.ws, { json: true });
  clients.push(c);
  const x0 = (await metrics(gw)).tickgw_catchup_xrange_total;
  c.sub('ticker_00', T);
  c.sub('ticker_01', T);
  // Both seeks are sent (the ring is empty: no live row yet), so their
  // replies come before the ring's first fill, which reads on the same
  // connection behind them: both subscriptions wait for the ring.
  await waitFor('the catch-up XRANGEs', async () => (await metrics(gw)).tickgw_catchup_xrange_total >= x0 + 2);
  await publish(T + 6 * DT);
  await c.next((m) => m.sym === 'ticker_00' && (m.t === T + 6 * DT || m.t0 === T + 6 * DT), { what: 'ticker_00 at T+6dt' });
  await c.next((m) => m.sym === 'ticker_01' && m.t === T + 6 * DT, { what: 'ticker_01 at T+6dt' });
  await publish(T + 7 * DT);
  await c.next((m) => m.sym === 'ticker_00' && m.t === T + 7 * DT, { what: 'ticker_00 tick at T+7dt' });
  await c.next((m) => m.sym === 'ticker_01' && m.t === T + 7 * DT, { what: 'ticker_01 tick at T+7dt' });

  const m0 = checkTold(c, 'ticker_00', T);
  const runs = m0.filter((m) => m.op === 'hist' && m.p.length > 0);
  assert.deepEqual(runs.map((m) => [m.t0, m.p.length]), [[T + 6 * DT, 1]], 'T+6dt starts a new run');
  assert.deepEqual(m0.filter((m) => m.op === 'tick').map((m) => m.t), [T + 7 * DT]);
  checkTold(c, 'ticker_01', T);
  for (const name of ['ticker_00', 'ticker_01']) {
    const s = c.series(name);
    assert.deepEqual(s.map(({ t, p }) => ({ t, p })), await readStream(client, name, String(T + 1), String(T + 7 * DT)));
  }
});

test('more unreadable entries than a chunk: the catch-up passes them over and ends', { timeout: 30000 }, async () => {
  // ticker_02's stream is rewritten with 10,050 entries whose p is not a
  // number (a chunk is 10,000) before its history, older than the ring
  // (10 s), so the catch-up has to read through them with XRANGE.
  const name = 'ticker_02';
  const key = `ts:tick:{${name}}`;
  const history = await client.xrange(key, '-', '+');
  const w = client.multi().del(key);
  for (let k = 0; k < 10050; k++) w.xadd(key, `${T - 200 * DT}-${k}`, 'p', 'not-a-number');
  for (const [id, f] of history) w.xadd(key, id, ...f);
  await w.exec();
  const c = await WsClient.open(gw.ws);
  clients.push(c);
  c.sub(name, 0);
  await publish(T + 8 * DT);
  // Before the fix the cursor never passed them: the seek was re-read forever.
  await c.next((m) => m.sym === name && m.op === 'hist' && !m.more, { what: `${name}'s final hist`, timeout: 15000 });
  await c.next((m) => m.sym === name && (m.t === T + 8 * DT || (m.op === 'hist' && m.last === T + 8 * DT)),
    { what: `${name} at T+8dt`, timeout: 10000 });
  const rows = await client.xrange(key, '-', String(T + 8 * DT));
  const good = rows.filter(([, f]) => /^-?\d+$/.test(f[1])).map(([id, f]) => ({ t: Number(id.split('-')[0]), p: Number(f[1]) }));
  const got = c.series(name).map(({ t, p }) => ({ t, p }));
  assert.deepEqual(got, good, 'every readable tick, once, in order');
});

test('unreadable entries are one rule for every reader: skipped by /api/history too, counted in /metrics, logged once', { timeout: 30000 }, async () => {
  // ticker_02 holds the 10,050 unreadable entries of the test above, all in
  // one ms: the catch-up counted the first (the rest repeat its time).
  const m = await metrics(gw);
  assert.ok(m.tickgw_malformed_entries_total >= 1, `counted: ${m.tickgw_malformed_entries_total}`);
  const key = 'ts:tick:{ticker_02}';
  const rows = await client.xrange(key, '-', '+');
  const good = rows.filter(([, f]) => /^-?\d+$/.test(f[1])).map(([id, f]) => [Number(id.split('-')[0]), Number(f[1])]);
  const since = T - 201 * DT; // just before the unreadable run
  const r = await fetch(`${gw.http}/api/history?sym=ticker_02&since=${since}`);
  assert.equal(r.status, 200);
  const h = await r.json();
  // The first readable tick after the run starts the answer; no price 0 from an unreadable p.
  assert.ok(h.p.length > 0, 'readable ticks after the unreadable ones');
  const want = good.filter(([t]) => t > since);
  assert.equal(h.t0, want[0][0]);
  assert.deepEqual(h.p, want.slice(0, h.p.length).map(([, p]) => p));
  const after = await metrics(gw);
  assert.ok(after.tickgw_malformed_entries_total > m.tickgw_malformed_entries_total, 'the history read counted them too');
  // Logged once per worker thread (2 here), however many there were.
  const logged = (gw.output.match(/skipped an unreadable entry/g) || []).length;
  assert.ok(logged >= 1 && logged <= 2, `logged ${logged} times`);
});
