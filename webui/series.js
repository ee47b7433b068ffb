// series.js — one instrument's ticks in two growable typed arrays.
//
// A day at 1 s is 86,400 points and a live tick arrives every interval, so
// appending must not copy the series: the buffers keep spare capacity and
// grow by doubling (amortised O(1) per tick), and the chart is handed
// subarray() views, which share memory with the buffers. Old points fall out
// of the retention window by moving `start` forward; the live part is slid
// back to index 0 only when the dead prefix is as big as the live part, so
// that copy is amortised too.

export class Series {
  constructor(capacity = 4096) {
    this.t = new Float64Array(capacity); // tick time, ms since the epoch
    this.p = new Float64Array(capacity); // price
    this.start = 0; // first live index
    this.end = 0; // one past the last
  }

  get length() {
    return this.end - this.start;
  }

  get firstT() {
    return this.end > this.start ? this.t[this.start] : null;
  }

  get lastT() {
    return this.end > this.start ? this.t[this.end - 1] : null;
  }

  get lastP() {
    return this.end > this.start ? this.p[this.end - 1] : null;
  }

  clear() {
    this.start = this.end = 0;
  }

  /** Room for `n` more points at the end. */
  reserve(n) {
    if (this.end + n <= this.t.length) return;
    const live = this.length;
    if (this.start >= live && live + n <= this.t.length) {
      this.t.copyWithin(0, this.start, this.end);
      this.p.copyWithin(0, this.start, this.end);
    } else {
      let cap = this.t.length;
      while (cap < 2 * (live + n)) cap *= 2;
      const t = new Float64Array(cap), p = new Float64Array(cap);
      t.set(this.t.subarray(this.start, this.end));
      p.set(this.p.subarray(this.start, this.end));
      this.t = t;
      this.p = p;
    }
    this.start = 0;
    this.end = live;
  }

  /** Appends one tick unless it is not newer than the last (dedupe by t). */
  push(t, p) {
    if (this.end > this.start && t <= this.t[this.end - 1]) return false;
    this.reserve(1);
    this.t[this.end] = t;
    this.p[this.end] = p;
    this.end++;
    return true;
  }

  /** Appends a run (tick i at t0 + i*dt), skipping ticks it already holds. */
  pushRun(t0, dt, prices) {
    let i = 0;
    const last = this.lastT;
    if (last !== null && t0 <= last) i = Math.floor((last - t0) / dt) + 1;
    if (i >= prices.length) return 0;
    this.reserve(prices.length - i);
    let e = this.end;
    for (; i < prices.length; i++, e++) {
      this.t[e] = t0 + i * dt;
      this.p[e] = prices[i];
    }
    const added = e - this.end;
    this.end = e;
    return added;
  }

  /** Drops the points older than `tmin`. */
  trimBefore(tmin) {
    const i = this.lowerBound(tmin);
    if (i > this.start) this.start = i;
  }

  /** First index with t >= x (in [start, end]). */
  lowerBound(x) {
    let lo = this.start, hi = this.end;
    while (lo < hi) {
      const m = (lo + hi) >>> 1;
      if (this.t[m] < x) lo = m + 1;
      else hi = m;
    }
    return lo;
  }

  /** [times, prices] as views on the buffers: no copy. Valid until the next append. */
  views() {
    return [this.t.subarray(this.start, this.end), this.p.subarray(this.start, this.end)];
  }

  /** Copies for whoever must not hold the live buffers (tests, exports). */
  copy() {
    return { t: Array.from(this.t.subarray(this.start, this.end)), p: Array.from(this.p.subarray(this.start, this.end)) };
  }
}
