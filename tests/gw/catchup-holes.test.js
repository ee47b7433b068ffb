// tests/gw/catchup-holes.test.js — pipelined catch-up over a stream with holes.
//
// After a seek of --chunk (100) entries the gateway sends time windows of 100
// ticks, several at once. Entries deleted from the history (as after a data
// loss) put holes where a window must notice them: at a window's last tick
// (the window comes back short and the windows behind it are dropped), a
// whole window, a run inside a window, a single tick. Each client's series
// must still equal XRANGE of the stream after since — every tick once, in
// order, each hist run without a hole inside — then go on live.
// Also: unsub, re-sub and close while XRANGEs are in flight (the orphaned
// subscription is freed by its last reply; `make test SAN=1` checks that).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readStream, startTicking } from '../lib/redis.js';
import { startGateway, WsClient, metrics, stopStack } from '../lib/gateway.js';

const DT = 5;
const SYM = 'ticker_01';
let redis, client, gen, gw;
const clients = [];

before(async () => {
  ({ redis, client, gen } = await startTicking(['--interval-ms', String(DT), '--instruments', '4', '--reset'], SYM, 1100, 20000));
  // Holes by entry index, counted from the first entry: the seek reads 0..99,
  // so the windows are 100..199, 200..299, … while the stream is dense.
  const ids = (await client.xrange(`ts:tick:{${SYM}}`, '-', '+', 'COUNT', 1000)).map(([id]) => id);
  const del = [199, ...range(350, 360), ...range(400, 500), 650, 799, 800];
  await client.xdel(`ts:tick:{${SYM}}`, ...del.map((i) => ids[i]));
  gw = await startGateway(redis.url, ['--ring', '1s', '--chunk', '100']);
});

after(() => stopStack({ clients, gateways: [gw], procs: [gen], client, redis }));

function range(a, b) {
  return Array.from({ length: b - a }, (_, i) => a + i);
}

async function open(json) {
  const c = await WsClient.open(gw.ws, { json });
  clients.push(c);
  return c;
}

/** The client's series equals the stream after since, up to its last tick. */
async function assertMatchesStream(c, since) {
  const s = c.series(SYM);
  assert.ok(s.final && s.live >= 50, `final hist and ${s.live} live ticks`);
  const want = await readStream(client, SYM, String(since + 1), String(s[s.length - 1].t));
  assert.equal(s.length, want.length, `since ${since}: ${s.length} ticks, XRANGE has ${want.length}`);
  assert.deepEqual(s.map(({ t, p }) => ({ t, p })), want);
  for (let i = 1; i < s.length; i++) assert.ok(s[i].t > s[i - 1].t, `ascending at ${i}`);
}

test('holes inside, at the end of, and as a whole pipelined window: exactly once, in order', { timeout: 60000 }, async () => {
  const x0 = (await metrics(gw)).tickgw_catchup_xrange_total;
  const all = await open(false), js = await open(true);
  all.sub(SYM, 0);
  const first = (await readStream(client, SYM, '-', '+'))[0].t;
  const mid = first + 150 * DT + 2; // off the dt grid, before the first hole
  js.sub(SYM, mid);
  await Promise.all([all.waitLive(SYM, 50), js.waitLive(SYM, 50)]);
  await assertMatchesStream(all, 0);
  await assertMatchesStream(js, mid);
  const hists = all.series(SYM).hists;
  assert.ok(hists >= 12, `${hists} hists: the holes split the runs`);
  assert.ok((await metrics(gw)).tickgw_catchup_xrange_total >= x0 + 12, 'the history came in many XRANGEs');
});

test('unsub and re-sub while windows are in flight', { timeout: 30000 }, async () => {
  const c = await open(false);
  for (let i = 0; i < 5; i++) {
    c.sub(SYM, 0);
    c.send({ op: 'unsub', sym: SYM });
  }
  c.sub(SYM, 0);
  await c.waitLive(SYM, 50);
  // An unsubscribed catch-up may have sent some hists first (each from the
  // first tick); the last catch-up starts at the last hist from there.
  const first = (await readStream(client, SYM, '-', '+'))[0].t;
  const start = c.msgs.findLastIndex((m) => m.op === 'hist' && m.t0 === first);
  c.msgs = c.msgs.slice(start);
  // Ticks counted live before the cut may have belonged to the messages cut
  // away (a run 1 short was seen once): wait for 50 in what is left.
  await c.waitLive(SYM, 50);
  await assertMatchesStream(c, 0);
});

test('connections closed right after their first hist, windows still in flight', { timeout: 30000 }, async () => {
  for (let i = 0; i < 10; i++) {
    const c = await open(i % 2 === 1);
    c.ws.on('message', () => c.ws.terminate());
    c.sub(SYM, 0);
    await c.closed;
  }
  const c = await open(false); // the gateway still serves, and exactly
  c.sub(SYM, 0);
  await c.waitLive(SYM, 50);
  await assertMatchesStream(c, 0);
});
