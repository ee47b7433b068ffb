// tests/gw/range-ws.test.js — the range request over the WebSocket
// (docs/PROTOCOL.md "Ranges") against a real redis-server, tickgen (10 ms
// ticks, candles of 50 ms, 200 ms, 1 s) and tickgw: for random windows and
// point counts, in JSON and msgpack, every bucket equals the aggregate of
// the raw ticks (tests/lib/candles.js checkRange) and the id is echoed; bad
// requests get an err with that id on a connection that stays usable; and
// across a Redis kill -9 and restart, answers are refused while it is away
// and exact again after (over HTTP too).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../lib/procs.js';
import { readStream, startTicking, waitStreamLength } from '../lib/redis.js';
import { startGateway, stopStack, waitReady, WsClient } from '../lib/gateway.js';
import { checkRange, newestTick } from '../lib/candles.js';

const IV = 10;
const SYM = 'ticker_02';
// --candle-budget 1: closed candles wait a few ticks (generator/gen_defer.h),
// also across the Redis restart, after which tickgen rebuilds the waiting ones.
const GEN_ARGS = ['--interval-ms', String(IV), '--instruments', '3', '--rollups', '50ms:1h,200ms:1h,1s:1h',
  '--candle-budget', '1'];
let redis, client, gen, gw;
const clients = [];
let rnd = 4242;
const random = () => ((rnd = (rnd * 1103515245 + 12345) % 2147483648) / 2147483648);
let nextId = 1;

before(async () => {
  ({ redis, client, gen } = await startTicking(GEN_ARGS, SYM, 250));
  gw = await startGateway(redis.url);
});

after(async () => {
  await stopStack({ clients, gateways: [gw], procs: [gen], client, redis });
});

async function open(json) {
  const c = await WsClient.open(gw.ws, { json });
  clients.push(c);
  return c;
}

/** Sends a range request with a fresh id; resolves with its answer (range or err). */
async function ask(c, req) {
  const id = nextId++;
  const from = c.msgs.length;
  c.send({ op: 'range', sym: SYM, ...req, id });
  const m = await c.next((x) => x.id === id, { from, what: `the answer to range request ${id}` });
  assert.ok(m.op === 'range' || m.op === 'err', `answer ${JSON.stringify(m)}`);
  return m;
}

/** One random window over c, checked against the raw ticks; returns its source. */
async function checkOne(c, oldest) {
  const now = Date.now();
  const from = oldest + Math.floor(random() * (now - oldest));
  const to = random() < 0.5 ? now + 1000 : from + Math.floor(random() * (now - from));
  const points = 1 + Math.floor(random() * 120);
  const before = await newestTick(client, SYM);
  const m = await ask(c, { from, to, points });
  assert.equal(m.op, 'range', JSON.stringify(m));
  assert.equal(m.sym, SYM);
  await checkRange(client, SYM, m, { from, to, points, before });
  return m.source;
}

test('random windows over the WebSocket, JSON and msgpack: every bucket equals the raw ticks', async () => {
  const oldest = (await readStream(client, SYM, '-', '+'))[0].t;
  await waitFor('3 s of history', () => Date.now() - oldest > 3000, { timeout: 15000 });
  const sources = new Set();
  for (const json of [true, false]) {
    const c = await open(json);
    for (let j = 0; j < 30; j++) sources.add(await checkOne(c, oldest));
  }
  assert.ok(sources.has('ticks') && (sources.has('200ms') || sources.has('1s')), `sources used: ${[...sources]}`);
});

test('the same window over HTTP and the WebSocket: the same plan and the same closed buckets', async () => {
  const c = await open(false);
  const now = Date.now();
  const from = now - 2500, to = now - 500; // closed buckets only: both reads see the same ones
  const m = await ask(c, { from, to, points: 40 });
  const h = await (await fetch(`${gw.http}/api/range?sym=${SYM}&from=${from}&to=${to}&points=40`)).json();
  delete m.id;
  assert.deepEqual(m, h);
  // to and points may be left out: to = now, points = 1000
  const d = await ask(c, { from: now - 3000 });
  assert.equal(d.op, 'range');
  assert.ok(d.to >= now && d.t.length > 0 && d.t.length <= 1001, JSON.stringify(d).slice(0, 200));
});

test('bad range requests get an err with the id, and the connection stays usable', async () => {
  const c = await open(true);
  const now = Date.now();
  for (const [req, code] of [
    [{ to: -1 }, 'bad_range'], [{ from: -5 }, 'bad_range'], [{ from: 'x' }, 'bad_range'],
    [{ from: now, to: now - 5 }, 'bad_range'], [{ from: now - 1000, points: 0 }, 'bad_range'],
    [{ from: now - 1000, points: 10001 }, 'bad_range'], [{ from: 1, to: 2 }, 'bad_range'],
    [{ from: now - 1000, sym: 'nope' }, 'unknown_sym'],
  ]) {
    const m = await ask(c, req);
    assert.equal(m.op, 'err', `${JSON.stringify(req)}: ${JSON.stringify(m)}`);
    assert.equal(m.code, code, `${JSON.stringify(req)}: ${m.msg}`);
    assert.ok(m.msg.length > 0);
  }
  const from = c.msgs.length;
  c.send({ op: 'range', sym: SYM, from: now, id: 'q' });
  const e = await c.next((x) => x.op === 'err', { from });
  assert.equal(e.code, 'bad_request');
  // Many at once: each gets exactly one answer, a range or "busy" (at most 8 in flight per connection).
  const ids = [];
  const start = c.msgs.length;
  for (let k = 0; k < 20; k++) {
    ids.push(nextId);
    c.send({ op: 'range', sym: SYM, from: now - 2000, points: 50, id: nextId++ });
  }
  await waitFor('20 answers', () => ids.every((id) => c.msgs.slice(start).some((x) => x.id === id)));
  for (const id of ids) {
    const got = c.msgs.slice(start).filter((x) => x.id === id);
    assert.equal(got.length, 1, `request ${id}: one answer`);
    assert.ok(got[0].op === 'range' || got[0].code === 'busy', JSON.stringify(got[0]));
  }
  assert.ok(c.msgs.slice(start).filter((x) => x.op === 'range').length >= 8);
  assert.equal((await ask(c, { from: now - 500 })).op, 'range');
});

test('across a Redis kill -9 and restart: refused while it is away, exact again after', { timeout: 60000 }, async () => {
  const oldest = (await readStream(client, SYM, '-', '+'))[0].t;
  const c = await open(true);
  await redis.kill();
  const down = Date.now();
  await waitFor('/readyz 503', async () => (await fetch(`${gw.http}/readyz`)).status === 503, { timeout: 5000 });
  const e = await ask(c, { from: down - 2000, points: 10 });
  assert.equal(e.op, 'err');
  assert.equal(e.code, 'internal');
  assert.equal((await fetch(`${gw.http}/api/range?sym=${SYM}&from=${down - 2000}`)).status, 503);
  await waitFor('0.5 s without Redis', () => Date.now() - down > 500);
  await redis.restart();
  await waitReady(gw, 15000);
  const len = await client.xlen(`ts:tick:{${SYM}}`);
  await waitStreamLength(client, SYM, len + 150, 15000);
  const sources = new Set();
  for (let j = 0; j < 25; j++) sources.add(await checkOne(c, oldest));
  // buckets across the outage, over both
  const before = await newestTick(client, SYM);
  const m = await ask(c, { from: down - 1500, to: down + 1500, points: 7 });
  await checkRange(client, SYM, m, { from: down - 1500, to: down + 1500, points: 7, before });
  const h = await (await fetch(`${gw.http}/api/range?sym=${SYM}&from=${down - 3000}&points=9`)).json();
  await checkRange(client, SYM, h, { from: down - 3000, to: Date.now(), points: 9, before });
  assert.ok(sources.size >= 2, `sources used: ${[...sources]}`);
});
