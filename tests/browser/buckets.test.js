// tests/browser/buckets.test.js — the page's window arithmetic in node
// (webui/buckets.js): the tail chain and plan that keep the live edge
// exact, the folding of tail pieces and ticks into a window's buckets, and
// the M4 line's promise (each bucket's extremes are on the line). No
// browser, no sockets; checked against a brute-force aggregate of ticks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDur, parseLadder, tailChain, tailPlan, Frame } from '../../webui/buckets.js';
import { Series } from '../../webui/series.js';
import { bucketsOf } from '../lib/candles.js';

const LADDER = parseLadder('1m:30d,15m:365d,4h:1825d,1d:3650d');

test('durations and the ladder of /api/config', () => {
  assert.equal(parseDur('250ms'), 250);
  assert.equal(parseDur('15m'), 900000);
  assert.equal(parseDur('2x'), null);
  assert.deepEqual(parseLadder('off'), []);
  assert.deepEqual(LADDER.map((l) => l.width), [60000, 900000, 14400000, 86400000]);
});

test('the tail chain: widths that divide the bucket, coarsest first, down to a pixel column of ticks', () => {
  assert.deepEqual(tailChain(45 * 60000, 1000, LADDER, 600000), [900000, 60000]);
  assert.deepEqual(tailChain(86400000, 100, LADDER, 60000), [14400000, 900000, 60000]);
  assert.deepEqual(tailChain(7 * 60000, 1000, LADDER, 60000), [60000]);
  assert.deepEqual(tailChain(7 * 60000, 1000, LADDER, 600000), []); // 420 ticks: few enough
  assert.deepEqual(tailChain(30000, 1000, LADDER, 600000), []); // ticks are few enough already
  assert.deepEqual(tailChain(3000, 10, [], 6000), []);
  assert.deepEqual(tailChain(120000, 10, [], 6000), [10]); // no ladder: raw ticks at the interval
});

test('the tail plan: closed aligned pieces, each a whole number of its width, then ticks', () => {
  const b = 1795435200000; // a multiple of a day
  const { reqs, ticksFrom } = tailPlan(b, [14400000, 900000, 60000], b + 5 * 3600000 + 17 * 60000 + 42000);
  for (const r of reqs) {
    assert.equal(r.from % r.width, 0);
    assert.equal((r.to + 1) % r.width, 0);
    assert.equal(r.points, (r.to + 1 - r.from) / r.width);
  }
  assert.deepEqual(reqs.map((r) => [r.from - b, r.to + 1 - b]), [[0, 14400000], [14400000, 18900000], [18900000, 19020000]]);
  assert.equal(ticksFrom, b + 19020000);
});

/** ±1 walk ticks every `dt` from t0, as [{t, p}]. */
function walk(t0, dt, n, seed = 3) {
  let x = seed, p = 0;
  return Array.from({ length: n }, (_, i) => {
    x = (x * 1103515245 + 12345) % 2147483648;
    p += x & 65536 ? 1 : -1;
    return { t: t0 + i * dt, p };
  });
}

const asAnswer = (bs, w, from, to) => ({ width: w, from, to, source: 'test', t: bs.map((b) => b.t), o: bs.map((b) => b.o), h: bs.map((b) => b.h), l: bs.map((b) => b.l), c: bs.map((b) => b.c), n: bs.map((b) => b.n) });

test('a live frame: closed buckets, tail pieces and ticks add up to the aggregate of every tick', () => {
  const dt = 1000, w = 600000, ticks = walk(1795435200000, dt, 20000);
  const now = ticks.at(-1).t;
  // The main answer was read half-way through its newest bucket.
  const readAt = now - 250 * dt;
  const seen = ticks.filter((x) => x.t <= readAt);
  const frame = new Frame(asAnswer(bucketsOf(seen, w), w, ticks[0].t, readAt), { live: true });
  assert.equal(frame.b, Math.floor(readAt / w) * w);
  const { reqs, ticksFrom } = tailPlan(frame.b, tailChain(w, dt, LADDER, 60 * dt), readAt - 2000);
  const answers = reqs.map((r) => asAnswer(bucketsOf(ticks.filter((x) => x.t >= r.from && x.t <= r.to), r.width), r.width, r.from, r.to));
  // The subscription holds every tick from ticksFrom on, the first ones before the tail is known.
  const series = new Series();
  const held = ticks.filter((x) => x.t >= ticksFrom);
  for (const x of held.slice(0, 100)) series.push(x.t, x.p);
  frame.setTail(answers, ticksFrom, series);
  for (const x of held.slice(100)) {
    series.push(x.t, x.p);
    frame.addTick(x.t, x.p);
  }
  const c = frame.cols();
  const got = c.t.map((t, i) => ({ t, o: c.o[i], h: c.h[i], l: c.l[i], c: c.c[i], n: c.n[i] }));
  assert.deepEqual(got, bucketsOf(ticks, w));
});

test('the M4 line goes through every bucket\'s open, high, low and close, within the bucket, in time order', () => {
  const w = 60000, ticks = walk(1795435200000, 1000, 3000, 9);
  const bs = bucketsOf(ticks, w);
  const frame = new Frame(asAnswer(bs, w, ticks[0].t, ticks.at(-1).t), { live: false });
  const [xs, ys] = frame.line();
  for (let i = 1; i < xs.length; i++) assert.ok(xs[i] >= xs[i - 1], `x goes back at ${i}`);
  for (const b of bs) {
    const inB = ys.filter((_, i) => xs[i] >= b.t && xs[i] < b.t + w);
    assert.equal(Math.max(...inB), b.h);
    assert.equal(Math.min(...inB), b.l);
    assert.equal(inB[0], b.o);
    assert.equal(inB.at(-1), b.c);
  }
});

test('a timeframe\'s window never ends after now: one inside the open candle asks for the closed one before it, live', async () => {
  const { View } = await import('../../webui/view.js');
  const asked = [];
  const view = new View({ series: new Series(), range: (sym, win) => (asked.push(win), new Promise(() => {})), needTicks() {}, onFrame() {}, onError() {} });
  view.setConfig({ interval_ms: 1000, rollups: '1m:30d,15m:365d,1h:730d,1d:3650d' });
  view.reset('ticker_07');
  const H = 3600000, hour = Math.floor(Date.now() / H) * H, safe = Date.now() - 1000;
  const cases = [
    // Everything from a tick in the open hour (a young history), up to now.
    { from: Date.now() - 1000, to: null },
    // Everything from a day ago, and a closed hour in the past.
    { from: Date.now() - 86400000, to: null },
    { from: hour - 2 * H + 60000, to: hour - 2 * H + 120000 },
  ];
  // A fixed window inside the open hour (once it is old enough to hold one).
  if (safe - hour > 60000) cases.push({ from: hour + 10000, to: safe - 30000 });
  // A fixed window ending half-way through a closed hour: that hour too.
  cases.push({ from: hour - 5 * H + 1000, to: hour - 3 * H + H / 2 });
  for (const c of cases) {
    view.load({ ...c, points: 500, width: H });
    const win = asked.at(-1), what = JSON.stringify({ c, win });
    // From the candle holding `from` (or the closed one before the open one) ...
    assert.ok(win.from <= c.from, `the window's first candle is missing: ${what}`);
    // ... to the one holding `to` when it is closed.
    if (c.to !== null && c.to < hour) assert.ok(win.to >= c.to, `the window's last candle is missing: ${what}`);
    assert.ok(win.to < safe + 1000, `a window past now (the gateway would cut it): ${what}`);
    assert.equal(win.from % H, 0, what);
    assert.equal((win.to + 1) % H, 0, what);
    assert.equal((win.to + 1 - win.from) / win.points, H, `the target is the width: ${what}`);
    assert.ok(win.to + 1 - win.from >= H, what);
    // A window that reaches into the open hour is live (its tail makes that hour).
    assert.equal(view.main.live, c.to === null || c.to >= hour, what);
  }
});
