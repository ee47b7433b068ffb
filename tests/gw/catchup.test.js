// tests/gw/catchup.test.js — catch-up by `since` then live, against real
// redis-server, tickgen at 10 ms and two tickgw.
//
// Gateway A keeps a 1 s ring and reads history in 100-tick XRANGE chunks, so
// every path runs: XRANGE chunks → ring → live (since=0, since older than
// the ring), ring only (since inside it), nothing then live (future). Each
// client's series must equal XRANGE of the stream for t > since up to its
// last tick, every step exactly interval_ms, over ≥ 300 live ticks.
// Gateway B runs the defaults; the same sub on both must give the same series.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readStream, checkSeries, startTicking } from '../lib/redis.js';
import { startGateway, WsClient, metrics, stopStack } from '../lib/gateway.js';

const DT = 10;
const LIVE = 300;
let redis, client, gen, gwA, gwB, epoch;
const clients = [];

async function lastTime(sym) {
  const [[id]] = await client.xrevrange(`ts:tick:{${sym}}`, '+', '-', 'COUNT', 1);
  return Number(id.split('-')[0]);
}

/** The client's series of sym equals the stream after since, and steps by DT. */
async function assertMatchesStream(c, sym, since) {
  const s = c.series(sym);
  assert.ok(s.final, `${sym}: a final hist (more: false) arrived`);
  assert.ok(s.live >= LIVE, `${sym}: ${s.live} live ticks, want >= ${LIVE}`);
  const last = s[s.length - 1].t;
  const want = await readStream(client, sym, String(since + 1), String(last));
  assert.equal(s.length, want.length, `${sym} since ${since}: ${s.length} ticks, XRANGE has ${want.length}`);
  assert.deepEqual(s, Object.assign([...want], { live: s.live, hists: s.hists, final: s.final }));
  assert.equal(checkSeries(s, DT), null);
  const h = c.msgs.find((m) => m.op === 'hist' && m.sym === sym);
  assert.equal(h.epoch, epoch, 'hist carries the ts:meta epoch');
  assert.equal(h.dt, DT);
  return s;
}

before(async () => {
  ({ redis, client, gen } = await startTicking(['--interval-ms', String(DT), '--reset'], 'ticker_99', 350, 15000));
  epoch = Number(await client.hget('ts:meta', 'epoch'));
  gwA = await startGateway(redis.url, ['--ring', '1s', '--chunk', '100']);
  gwB = await startGateway(redis.url);
});

after(() => stopStack({ clients, gateways: [gwA, gwB], procs: [gen], client, redis }));

async function open(gw, json) {
  const c = await WsClient.open(gw.ws, { json });
  clients.push(c);
  return c;
}

test('since = 0, inside the ring, older than the ring, in the future: XRANGE, then live, exactly once', { timeout: 60000 }, async () => {
  const x0 = (await metrics(gwA)).tickgw_catchup_xrange_total;
  // Inside the ring first, alone, so the XRANGE counter shows it used none.
  const ring = await open(gwA, true);
  const sinceRing = (await lastTime('ticker_02')) - 500;
  ring.sub('ticker_02', sinceRing);
  await ring.next((m) => m.op === 'hist' && !m.more, { what: 'final hist from the ring' });
  assert.equal((await metrics(gwA)).tickgw_catchup_xrange_total, x0, 'a since inside the ring reads no stream');
  assert.equal(ring.series('ticker_02').hists, 1, 'the ring part is one hist');

  const all = await open(gwA, false);
  all.sub('ticker_01', 0);
  const old = await open(gwA, false);
  const sinceOld = (await lastTime('ticker_03')) - 3000;
  old.sub('ticker_03', sinceOld);
  const fut = await open(gwA, true);
  const sinceFut = Date.now() + 1000;
  fut.sub('ticker_04', sinceFut);
  const empty = await fut.next((m) => m.op === 'hist', { what: 'hist for a future since' });
  assert.deepEqual([empty.p, empty.last, empty.more], [[], sinceFut, false], 'nothing to catch up: p [] and last = since');

  const s0 = all.series('ticker_01');
  await all.next((m) => m.op === 'hist' && !m.more, { what: 'final hist of since=0' });
  assert.ok(all.series('ticker_01').hists >= 4, 'since=0 came in several 100-tick chunks');
  assert.ok((await metrics(gwA)).tickgw_catchup_xrange_total >= x0 + 4, 'since=0 read the stream');
  void s0;

  await Promise.all([
    ring.waitLive('ticker_02', LIVE), all.waitLive('ticker_01', LIVE),
    old.waitLive('ticker_03', LIVE), fut.waitLive('ticker_04', LIVE),
  ]);
  await assertMatchesStream(ring, 'ticker_02', sinceRing);
  const full = await assertMatchesStream(all, 'ticker_01', 0);
  assert.equal(full[0].t, (await readStream(client, 'ticker_01', '-', '+'))[0].t, 'since=0 starts at the first tick');
  await assertMatchesStream(old, 'ticker_03', sinceOld);
  const f = await assertMatchesStream(fut, 'ticker_04', sinceFut);
  assert.ok(f[0].t > sinceFut, 'future since: first tick after since');
});

test('two gateways give the same series for the same sub', { timeout: 30000 }, async () => {
  const a = await open(gwA, false), b = await open(gwB, true);
  const since = (await lastTime('ticker_05')) - 2000;
  a.sub('ticker_05', since);
  b.sub('ticker_05', since);
  await Promise.all([a.waitLive('ticker_05', LIVE), b.waitLive('ticker_05', LIVE)]);
  const sa = a.series('ticker_05'), sb = b.series('ticker_05');
  const n = Math.min(sa.length, sb.length);
  assert.ok(n > 400, `${n} common ticks`);
  assert.deepEqual(sa.slice(0, n), sb.slice(0, n));
  assert.equal(sa[0].t, sb[0].t);
  await assertMatchesStream(b, 'ticker_05', since);
});

test('re-sub restarts the catch-up; unsub stops the ticks', { timeout: 30000 }, async () => {
  const c = await open(gwA, true);
  c.sub('ticker_06', 0);
  await c.waitLive('ticker_06', 20);
  const mark = c.msgs.length;
  const since = (await lastTime('ticker_06')) - 300;
  c.sub('ticker_06', since);
  const h = await c.next((m) => m.op === 'hist' && m.sym === 'ticker_06', { from: mark, what: 'hist of the re-sub' });
  assert.ok(h.t0 > since && h.t0 <= since + DT, `re-sub hist starts after its since (t0 ${h.t0}, since ${since})`);
  c.send({ op: 'unsub', sym: 'ticker_06' });
  // Messages already queued may still arrive; after a quiet period nothing more does.
  await new Promise((r) => setTimeout(r, 200));
  const n = c.msgs.length;
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(c.msgs.length, n, 'no ticks after unsub');
});
