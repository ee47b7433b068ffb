// buckets.js — what the chart draws: exact buckets of one window, made of
// range answers (docs/PROTOCOL.md "Ranges") and the live ticks. Pure: no
// DOM, no socket (tests/browser/buckets.test.js runs it in node).
//
// Why the live edge stays exact. A range answer is a snapshot: its newest
// bucket holds the ticks written up to the read, and the answer does not
// say up to which tick. So the newest bucket is never taken from it.
// Instead the window is cut at b, the start of the bucket holding the
// answer's `to`:
//   - buckets before b are closed: taken from the answer as they are;
//   - [b, now) is asked for again at finer widths that divide the bucket
//     width (a chain such as 45 min → 15 min → 1 min), each piece closed
//     and aligned, so the pieces add up exactly (tailPlan);
//   - the rest, from the last piece's end on, is made of raw ticks from the
//     ordinary subscription (sub since = that end − 1), which the page gets
//     anyway and folds in one by one (Frame.addTick).
// So the page downloads about one pixel column's worth of raw ticks at most
// (the finest piece), whatever the width of the buckets.

/** '15m' → 900000 (labels of /api/config's `rollups`: ms, s, m, h, d). */
export function parseDur(s) {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(s);
  if (!m) return null;
  return Number(m[1]) * { ms: 1, s: 1000, m: 60000, h: 3600000, d: 86400000 }[m[2]];
}

/** /api/config's `rollups` ('1m:30d,15m:365d' or 'off') as [{width, retention}], finest first. */
export function parseLadder(rollups) {
  if (!rollups || rollups === 'off') return [];
  const out = [];
  for (const part of String(rollups).split(',')) {
    const [w, r] = part.split(':');
    const width = parseDur(w), retention = parseDur(r);
    if (width && retention) out.push({ width, retention });
  }
  return out.sort((a, b) => a.width - b.width);
}

/**
 * The widths finer than `w` that the gateway can answer exactly and that
 * divide it, coarsest first, down to the first that is at most `fine` ms
 * (about a pixel column's worth of raw ticks): a chunk of the chain of
 * stored widths (the raw interval, then the ladder's).
 */
export function tailChain(w, interval, ladder, fine) {
  const chain = [];
  let cur = w;
  while (cur > fine) {
    const g = [interval, ...ladder.map((l) => l.width)].filter((x) => x < cur && cur % x === 0).pop();
    if (!g) break;
    chain.push(g);
    cur = g;
  }
  return chain;
}

/**
 * The range requests that cover [b, ~now) in closed, aligned pieces of the
 * chain's widths, and `ticksFrom`, where the raw ticks take over. `safe`
 * is a time at or before the gateway's clock (the requests' `to` must not
 * be clamped, or the pieces would not be aligned).
 */
export function tailPlan(b, chain, safe) {
  const reqs = [];
  let from = b;
  for (const g of chain) {
    const end = Math.floor((safe + 1) / g) * g;
    if (end <= from) continue;
    reqs.push({ from, to: end - 1, points: (end - from) / g, width: g });
    from = end;
  }
  return { reqs, ticksFrom: from };
}

/** Columns of buckets: start, open, high, low, close, count. */
export class Cols {
  constructor() {
    this.t = [];
    this.o = [];
    this.h = [];
    this.l = [];
    this.c = [];
    this.n = [];
  }

  get length() {
    return this.t.length;
  }

  push(t, o, h, l, c, n) {
    this.t.push(t);
    this.o.push(o);
    this.h.push(h);
    this.l.push(l);
    this.c.push(c);
    this.n.push(n);
  }

  /** Folds a piece (a bucket, or a tick with n = 1) into the bucket of width w holding t. */
  fold(w, t, o, h, l, c, n) {
    const s = Math.floor(t / w) * w, i = this.t.length - 1;
    if (i >= 0 && this.t[i] === s) {
      if (h > this.h[i]) this.h[i] = h;
      if (l < this.l[i]) this.l[i] = l;
      this.c[i] = c;
      this.n[i] += n;
    } else if (i < 0 || s > this.t[i]) this.push(s, o, h, l, c, n);
  }

  /** An answer's buckets with start < end (all when end is null). */
  static of(ans, end = null) {
    const x = new Cols();
    for (let i = 0; i < ans.t.length; i++) if (end === null || ans.t[i] < end) x.push(ans.t[i], ans.o[i], ans.h[i], ans.l[i], ans.c[i], ans.n[i]);
    return x;
  }
}

/**
 * One window's buckets of width `w`: `closed` from the main answer, then
 * `live` — the tail pieces and the raw ticks from `ticksFrom` on — once
 * the tail is known (until then the main answer's newest bucket is shown
 * as it was read).
 */
export class Frame {
  constructor(ans, { live }) {
    this.w = ans.width;
    this.from = ans.from;
    this.to = ans.to;
    this.source = ans.source;
    this.isLive = live;
    // The bucket holding `to` is the one the read may have caught half-way.
    this.b = live ? Math.floor(ans.to / this.w) * this.w : Infinity;
    this.closed = Cols.of(ans);
    this.live = new Cols();
    this.ticksFrom = null; // ticks at or after this are folded in; null: none yet
    this.end = ans.to; // the newest time the buckets speak for (no point is drawn after it)
    this.version = 0;
  }

  /** The tail's answers (oldest first) and the ticks held from ticksFrom on. */
  setTail(answers, ticksFrom, series) {
    const all = this.closed;
    this.closed = new Cols();
    for (let i = 0; i < all.length; i++) if (all.t[i] < this.b) this.closed.push(all.t[i], all.o[i], all.h[i], all.l[i], all.c[i], all.n[i]);
    this.live = new Cols();
    for (const a of answers) for (let i = 0; i < a.t.length; i++) this.live.fold(this.w, a.t[i], a.o[i], a.h[i], a.l[i], a.c[i], a.n[i]);
    this.ticksFrom = ticksFrom;
    for (let i = series.lowerBound(ticksFrom); i < series.end; i++) this.addTick(series.t[i], series.p[i]);
    this.version++;
  }

  /** A live tick: folded into its bucket (ticks come in increasing t). */
  addTick(t, p) {
    if (this.ticksFrom === null || t < this.ticksFrom) return false;
    this.live.fold(this.w, t, p, p, p, p, 1);
    if (t > this.end) this.end = t;
    this.version++;
    return true;
  }

  get length() {
    return this.closed.length + this.live.length;
  }

  /** Bucket i of the closed part then the live part, as {t, o, h, l, c, n}. */
  at(i) {
    const x = i < this.closed.length ? this.closed : this.live;
    const j = i < this.closed.length ? i : i - this.closed.length;
    return { t: x.t[j], o: x.o[j], h: x.h[j], l: x.l[j], c: x.c[j], n: x.n[j] };
  }

  /** Every bucket as columns (copies; for tests and the console). */
  cols() {
    const out = new Cols();
    for (const x of [this.closed, this.live]) for (let i = 0; i < x.length; i++) out.push(x.t[i], x.o[i], x.h[i], x.l[i], x.c[i], x.n[i]);
    return out;
  }

  /**
   * The line: through each bucket's open, low and high (in the order that
   * leaves the smaller jump first) and close, so each pixel column's min
   * and max are the true extremes of its ticks (M4). A one-tick bucket is
   * one point at its start.
   */
  line() {
    const n = this.length, w = this.w, end = this.end;
    const xs = [], ys = [];
    const at = (t) => (t < end ? t : end);
    for (const x of [this.closed, this.live]) {
      for (let i = 0; i < x.length; i++) {
        const t = x.t[i], o = x.o[i], c = x.c[i];
        if (x.n[i] === 1 || x.h[i] === x.l[i]) {
          xs.push(t);
          ys.push(o);
          if (x.n[i] > 1 && w > 1 && at(t + w - 1) > t) xs.push(at(t + w - 1)), ys.push(c);
          continue;
        }
        const lowFirst = o - x.l[i] <= x.h[i] - o;
        const span = Math.max(3, at(t + w - 1) - t);
        xs.push(t, t + span / 3, t + (2 * span) / 3, t + span);
        ys.push(o, lowFirst ? x.l[i] : x.h[i], lowFirst ? x.h[i] : x.l[i], c);
      }
    }
    return n ? [xs, ys] : [[], []];
  }
}
