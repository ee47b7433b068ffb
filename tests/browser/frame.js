// tests/browser/frame.js — what the page draws (tickstream.frame(): the
// buckets of the window it asked for, the live ticks folded in) checked
// against the raw ticks in Redis.
import assert from 'node:assert/strict';
import { readStream } from '../lib/redis.js';
import { bucketsOf } from '../lib/candles.js';

/**
 * Waits until the page shows `sym` live with every range answer in, and
 * its window painted (not only held: uPlot paints on a scale change);
 * `until` is the test's page waiter.
 */
export async function settled(until, sym, timeout = 15000) {
  await until(`${sym} live and drawn`, (s) => {
    const f = tickstream.frame(), p = tickstream.draw.painted;
    return tickstream.sym === s && tickstream.state === 'live' && f !== null && !tickstream.ranges.pending
      && p && p.w === f.w && p.from === f.from && p.to === f.to && p.version === f.version && p.kind === tickstream.kind;
  }, sym, timeout);
}

/** The page's frame and, read in the same task, its newest tick and subscription start. */
export async function pageFrame(page) {
  return page.evaluate(() => ({ ...tickstream.frame(), sym: tickstream.sym, lastT: tickstream.lastT, since: tickstream.since }));
}

/**
 * Every bucket the page holds equals the aggregate of XRANGE over it — for
 * a live window, of the ticks up to the page's newest one (the live edge is
 * exact) — and no bucket that has ticks is missing. Returns the frame.
 */
export async function checkFrame(client, f) {
  assert.ok(f.t.length > 0, `no buckets: ${JSON.stringify({ ...f, t: undefined })}`);
  const last = f.live ? f.lastT : f.t.at(-1) + f.w - 1;
  const ticks = await readStream(client, f.sym, String(f.t[0]), String(last));
  const want = bucketsOf(ticks, f.w);
  const got = f.t.map((t, i) => ({ t, o: f.o[i], h: f.h[i], l: f.l[i], c: f.c[i], n: f.n[i] }));
  assert.equal(got.length, want.length, `${f.sym}: ${got.length} buckets of ${f.w} ms drawn, the raw ticks make ${want.length}`);
  for (let i = 0; i < got.length; i++) assert.deepEqual(got[i], want[i], `${f.sym}: bucket ${i} of ${got.length} (${f.w} ms, source ${f.source}, live ${f.live})`);
  return f;
}

/** The page's live ticks equal XRANGE from its subscription start to its newest tick. */
export async function checkTicks(client, page, sym) {
  const s = await page.evaluate(() => ({ sym: tickstream.sym, since: tickstream.since, ...tickstream.series() }));
  assert.equal(s.sym, sym);
  assert.ok(s.t.length > 0, 'no live ticks held');
  const want = await readStream(client, sym, String(s.since + 1), String(s.t.at(-1)));
  const got = s.t.map((t, i) => ({ t, p: s.p[i] }));
  assert.equal(got.length, want.length, `page holds ${got.length} ticks of ${sym} since ${s.since}, Redis ${want.length}`);
  assert.deepEqual(got, want);
  return got;
}
