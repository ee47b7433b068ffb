// tests/gw/range.test.js — GET /api/range (docs/PROTOCOL.md "Ranges") against
// a real redis-server, tickgen (10 ms ticks, candles of 50 ms, 200 ms, 1 s)
// and tickgw: for random windows and point counts, every bucket's
// o/h/l/c/n equals the aggregate of XRANGE of the raw ticks in it — the
// newest bucket (the live tail) the aggregate of its first n ticks — and
// no bucket that has ticks is missing; again across a generator kill -9,
// a wait, and the backfill of its restart.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGenerator, waitFor } from '../lib/procs.js';
import { RedisServer, readStream, waitStreamLength } from '../lib/redis.js';
import { startGateway, stopStack } from '../lib/gateway.js';
import { checkRange, newestTick } from '../lib/candles.js';

const IV = 10;
const SYM = 'ticker_01';
// --candle-budget 1: most closed candles wait a few ticks to be written
// (generator/gen_defer.h), so the answers must read the newest closed
// bucket of every level from the level below.
const GEN_ARGS = ['--interval-ms', String(IV), '--instruments', '3', '--rollups', '50ms:1h,200ms:1h,1s:1h',
  '--candle-budget', '1'];
let redis, client, gen, gw;
let rnd = 12345;
const random = () => ((rnd = (rnd * 1103515245 + 12345) % 2147483648) / 2147483648);

before(async () => {
  redis = await RedisServer.start();
  client = redis.client();
  gen = startGenerator(redis.url, GEN_ARGS);
  await waitStreamLength(client, SYM, 250);
  gw = await startGateway(redis.url);
});

after(async () => {
  await stopStack({ gateways: [gw], procs: [gen], client, redis });
});

async function range(q) {
  const r = await fetch(`${gw.http}/api/range?${q}`);
  return { status: r.status, body: await r.json() };
}

/** Checks one answer against the raw ticks; returns its source. */
async function check(from, to, points) {
  // Every tick written before the request must be in the answer (the live tail is not stale).
  const before = await newestTick(client, SYM);
  const { status, body } = await range(`sym=${SYM}&from=${from}&to=${to}&points=${points}`);
  assert.equal(status, 200, JSON.stringify(body));
  await checkRange(client, SYM, body, { from, to, points, before });
  return body.source;
}

async function randomWindows(k, oldest) {
  const sources = new Set();
  for (let j = 0; j < k; j++) {
    const now = Date.now();
    const from = oldest + Math.floor(random() * (now - oldest));
    const to = random() < 0.5 ? now + 1000 : from + Math.floor(random() * (now - from));
    const points = 1 + Math.floor(random() * 120);
    sources.add(await check(from, to, points));
  }
  return sources;
}

test('random windows: every bucket equals the raw ticks, candles and ticks both used', async () => {
  const oldest = (await readStream(client, SYM, '-', '+'))[0].t;
  await waitFor('3 s of history', () => Date.now() - oldest > 3000, { timeout: 15000 });
  const sources = await randomWindows(60, oldest);
  assert.ok(sources.has('ticks') && (sources.has('200ms') || sources.has('1s')), `sources used: ${[...sources]}`);
});

test('across a generator kill -9 and backfill', async () => {
  const oldest = (await readStream(client, SYM, '-', '+'))[0].t;
  await gen.stop('SIGKILL');
  const killed = Date.now();
  await randomWindows(10, oldest); // while the generator is down: the tail is what Redis has
  await waitFor('0.7 s without a generator', () => Date.now() - killed > 700);
  gen = startGenerator(redis.url, GEN_ARGS);
  await gen.waitOutput(/open candles restored/);
  const len = await client.xlen(`ts:tick:{${SYM}}`);
  await waitStreamLength(client, SYM, len + 150);
  await randomWindows(40, oldest);
  await check(killed - 1500, killed + 1500, 7); // buckets across the backfilled stretch
});

test('bad requests get 400 or 404 with a reason, and the gateway stays up', async () => {
  const now = Date.now();
  for (const [q, code] of [
    [`sym=${SYM}&to=-1`, 400], [`sym=${SYM}&from=abc`, 400], [`sym=${SYM}&from=`, 400], [`sym=${SYM}&from=${now}&to=${now - 5}`, 400],
    [`sym=${SYM}&from=${now - 1000}&points=0`, 400], [`sym=${SYM}&from=${now - 1000}&points=10001`, 400],
    [`sym=nope&from=${now - 1000}`, 404], [`from=${now - 1000}`, 400], [`sym=${SYM}&from=1&to=2`, 400],
  ]) {
    const { status, body } = await range(q);
    assert.equal(status, code, `${q}: ${JSON.stringify(body)}`);
    assert.equal(typeof body.error, 'string');
  }
  assert.equal((await fetch(`${gw.http}/healthz`)).status, 200);
});
