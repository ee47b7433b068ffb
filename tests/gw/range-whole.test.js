// tests/gw/range-whole.test.js — a range request without `from`: the whole
// stored history in one round trip (docs/PROTOCOL.md "Ranges"), against a
// real redis-server, tickgen (10 ms ticks, 3 s of raw ticks, candles of
// 50 ms, 200 ms, 1 s kept 1 h) and tickgw.
//   - While the raw stream still holds the first tick ever written, the
//     answer's `from` is that tick's time (XRANGE - + COUNT 1) and every
//     bucket equals the aggregate of the raw ticks in it, over HTTP and the
//     WebSocket.
//   - Once the raw ticks of the start are trimmed, `from` is the start of
//     the oldest 50 ms candle (the finest source that still holds the
//     start), the first bucket equals the aggregate of the stored candles
//     in it, and the buckets count every tick from the first one on.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../lib/procs.js';
import { readStream, startTicking } from '../lib/redis.js';
import { startGateway, stopStack, WsClient } from '../lib/gateway.js';
import { checkRange, newestTick, readCandles } from '../lib/candles.js';

const IV = 10;
const SYM = 'ticker_01';
const RETENTION_MS = 3000;
const GEN_ARGS = ['--interval-ms', String(IV), '--instruments', '3', '--retention', '3s', '--rollups', '50ms:1h,200ms:1h,1s:1h'];
let redis, client, gen, gw, t0;
const clients = [];

before(async () => {
  ({ redis, client, gen } = await startTicking(GEN_ARGS, SYM, 50));
  gw = await startGateway(redis.url);
  t0 = (await readStream(client, SYM, '-', '+'))[0].t;
});

after(async () => {
  await stopStack({ clients, gateways: [gw], procs: [gen], client, redis });
});

async function http(points) {
  const r = await fetch(`${gw.http}/api/range?sym=${SYM}&points=${points}`);
  const body = await r.json();
  assert.equal(r.status, 200, JSON.stringify(body));
  return body;
}

test('young history: from is the first tick, every bucket equals the raw ticks (HTTP and WebSocket)', async () => {
  await waitFor('1 s of history', () => Date.now() - t0 > 1000, { timeout: 10000 });
  assert.equal((await readStream(client, SYM, '-', '+'))[0].t, t0, 'the first tick is still stored');
  for (const points of [1, 7, 100, 1280]) {
    const before = await newestTick(client, SYM);
    const body = await http(points);
    assert.equal(body.from, t0, `points=${points}: from is the oldest stored tick`);
    assert.ok(body.to >= before, `points=${points}: to (${body.to}) is the gateway's now`);
    assert.equal(body.t[0], Math.floor(t0 / body.width) * body.width, 'the first bucket holds the first tick');
    await checkRange(client, SYM, body, { from: t0, to: body.to, points, before });
  }
  for (const json of [true, false]) {
    const c = await WsClient.open(gw.ws, { json });
    clients.push(c);
    const before = await newestTick(client, SYM);
    c.send({ op: 'range', sym: SYM, points: 300, id: 5 });
    const m = await c.next((x) => x.id === 5, { what: 'the answer to a range without from' });
    assert.equal(m.op, 'range', JSON.stringify(m));
    assert.equal(m.from, t0);
    await checkRange(client, SYM, m, { from: t0, to: m.to, points: 300, before });
    c.close();
  }
});

test('raw ticks trimmed: from is the oldest 50 ms candle, and no tick since the first is missing', async () => {
  await waitFor('the first raw ticks trimmed', async () => {
    const first = (await client.xrange(`ts:tick:{${SYM}}`, '-', '+', 'COUNT', 1))[0];
    return Number(first[0].split('-')[0]) > t0 + IV * 200 && Date.now() - t0 > RETENTION_MS + 1000;
  }, { timeout: 20000 });
  const oldest = (await readCandles(client, '50ms', SYM, '-', '+'))[0].t;
  assert.equal(oldest, Math.floor(t0 / 50) * 50, 'the 50 ms level holds the first tick');
  const before = await newestTick(client, SYM);
  const body = await http(40);
  const newest = await newestTick(client, SYM);
  assert.equal(body.from, oldest, 'from: the finest source that holds the start');
  assert.notEqual(body.source, 'ticks');
  // The first bucket is older than the raw retention: compare it with the stored candles in it.
  const w = body.width, first = body.t[0];
  assert.equal(first, Math.floor(oldest / w) * w);
  const inFirst = (await readCandles(client, '50ms', SYM, String(first), String(first + w - 1)));
  const want = inFirst.reduce((x, c) => (x === null ? { ...c, t: first } : { ...x, h: Math.max(x.h, c.h), l: Math.min(x.l, c.l), c: c.c, n: x.n + c.n }), null);
  assert.deepEqual({ t: first, o: body.o[0], h: body.h[0], l: body.l[0], c: body.c[0], n: body.n[0] }, want, 'the first bucket');
  // Ticks come every IV ms with no hole: from the first one to the answer's newest, every one counted once.
  const n = body.n.reduce((a, b) => a + b, 0);
  assert.ok(n >= (before - t0) / IV + 1 && n <= (newest - t0) / IV + 1, `${n} ticks counted; ${(before - t0) / IV + 1}..${(newest - t0) / IV + 1} written`);
});
