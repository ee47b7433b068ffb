// view.js — asks the gateway for the window the chart shows and keeps its
// Frame (buckets.js) exact: one `range` request for the window at the
// chart's pixel width, then, for a window that reaches the live edge, the
// tail requests of buckets.js and the subscription's raw ticks.
//
// Only the newest request counts: an answer to an older one (the user
// zoomed again meanwhile) is dropped. Range answers and errors carry the
// request's id (docs/PROTOCOL.md).
import { Frame, parseLadder, tailChain, tailPlan } from './buckets.js';

// The gateway's clock may be behind ours; a piece's `to` must not pass its
// "now" (it would be clamped and the piece would no longer be aligned).
const CLOCK_MARGIN_MS = 1000;
// The finest tail piece holds at most about this many raw ticks.
const TAIL_TICKS = 600;

export class View {
  /**
   * series: the live ticks; send(msg): sends over the WebSocket; needTicks(since): the page must
   * hold every tick > since (re-subscribes when it does not);
   * onFrame(frame): a new window arrived; onError(err): the gateway's `err`
   * for the current window.
   */
  constructor({ series, send, needTicks, onFrame, onError }) {
    this.series = series; // the live ticks (series.js), fed by the subscription
    this.send = send;
    this.needTicks = needTicks;
    this.onFrame = onFrame;
    this.onError = onError;
    this.cfg = null;
    this.ladder = [];
    this.sym = null;
    this.frame = null;
    this.nextId = 1;
    this.main = null; // {id, live, win} of the request in flight for the window
    this.tail = null; // {ids: Map(id → index), answers, frame, ticksFrom, reqs}
    this.skew = 0; // gateway clock − ours, ms (≤ the truth: measured at receipt)
    this.stats = { requests: 0, answers: 0, buckets: 0 };
  }

  setConfig(cfg) {
    this.cfg = cfg;
    this.ladder = parseLadder(cfg.rollups);
  }

  /** Forget everything (a new instrument, or a new epoch). */
  reset(sym) {
    this.sym = sym;
    this.frame = null;
    this.main = null;
    this.tail = null;
  }

  /**
   * Asks for the window [from, to] (to null: up to the live edge) in about
   * `points` buckets, or in buckets of exactly `width` ms (a timeframe).
   */
  load({ from, to = null, points, width = 0 }) {
    const id = this.nextId++;
    const msg = { op: 'range', sym: this.sym, from: Math.max(0, Math.floor(from)), points: Math.max(1, Math.min(10000, Math.round(points))), id };
    if (width > 0) {
      // Aligned on the width, and ending on a bucket's end: then the gateway's
      // target is the width itself, so its buckets are exactly that wide.
      const safe = this.serverNow() - CLOCK_MARGIN_MS;
      let end = Math.floor(((to === null ? safe : Math.min(to, safe)) + 1) / width) * width;
      let start = Math.floor(msg.from / width) * width;
      if (end - start > 10000 * width) start = end - 10000 * width;
      if (end <= start) end = start + width;
      Object.assign(msg, { from: start, to: end - 1, points: (end - start) / width });
    } else if (to !== null) msg.to = Math.max(msg.from, Math.floor(to));
    this.main = { id, live: to === null, width, msg, at: Date.now() };
    this.tail = null;
    this.send(msg);
    this.stats.requests++;
    return id;
  }

  /**
   * The gateway had 8 of this connection's range reads going (answers to
   * windows the user already left): the request is sent again a little later.
   */
  retry(id) {
    let msg = null;
    if (this.main && this.main.id === id) msg = this.main.msg;
    else if (this.tail && this.tail.ids.has(id)) msg = this.tail.reqs[this.tail.ids.get(id)].msg;
    if (msg) setTimeout(() => this.send(msg), 100);
    return msg !== null;
  }

  serverNow() {
    return Date.now() + this.skew;
  }

  /** A `range` answer or an `err` with an id; returns true when it was ours. */
  onMessage(m) {
    if (m.sym !== this.sym) return false;
    if (m.op === 'err' && m.code === 'busy' && this.retry(m.id)) return true;
    if (this.main && m.id === this.main.id) {
      if (m.op === 'err') {
        this.main = null;
        this.onError(m);
      } else this.onMain(m);
      return true;
    }
    if (this.tail && this.tail.ids.has(m.id)) {
      if (m.op === 'err') {
        this.onError(m);
        this.tailFallback();
      } else this.onTail(m);
      return true;
    }
    return false; // an answer to a request overtaken by a newer one
  }

  onMain(m) {
    const { live, width } = this.main;
    this.main = null;
    this.stats.answers++;
    this.stats.buckets += m.t.length;
    if (live && width === 0) this.skew = Math.min(0, m.to - Date.now()); // `to` was the gateway's now
    const frame = new Frame(m, { live });
    this.frame = frame;
    // false: the page asks for another window at once (the first answer showed how far the history goes).
    if (this.onFrame(frame) === false) return;
    if (live) this.askTail(frame);
  }

  /** The tail of a live window, in one batch: pieces and where ticks take over. */
  askTail(frame) {
    const iv = this.cfg.interval_ms || 1000;
    const chain = tailChain(frame.w, iv, this.ladder, iv * TAIL_TICKS);
    const { reqs, ticksFrom } = tailPlan(frame.b, chain, this.serverNow() - CLOCK_MARGIN_MS - 2 * iv);
    this.tail = { ids: new Map(), answers: new Array(reqs.length), left: reqs.length, frame, ticksFrom, reqs };
    this.needTicks(ticksFrom - 1);
    reqs.forEach((r, i) => {
      const id = this.nextId++;
      this.tail.ids.set(id, i);
      r.msg = { op: 'range', sym: this.sym, from: r.from, to: r.to, points: r.points, id };
      this.send(r.msg);
      this.stats.requests++;
    });
    if (reqs.length === 0) this.tailDone();
  }

  onTail(m) {
    const t = this.tail, i = t.ids.get(m.id), r = t.reqs[i];
    this.stats.answers++;
    this.stats.buckets += m.t.length;
    // A piece the gateway answered at another width or window (its clock
    // behind ours, or the level's retention) would not add up: fall back
    // to the raw ticks of the whole newest bucket.
    if (m.width !== r.width || m.from !== r.from || m.to !== r.to) return this.tailFallback();
    t.answers[i] = m;
    if (--t.left === 0) this.tailDone();
  }

  tailFallback() {
    const t = this.tail;
    t.answers = [];
    t.ticksFrom = t.frame.b;
    t.left = 0;
    t.ids.clear();
    this.needTicks(t.ticksFrom - 1);
    this.tailDone();
  }

  tailDone() {
    const t = this.tail;
    if (t.frame !== this.frame) return;
    t.done = true;
    this.foldAll();
  }

  /** (Re)builds the live part from the tail and every tick held; after a tail, or a restarted series. */
  foldAll() {
    const t = this.tail;
    if (t && t.done) t.frame.setTail(t.answers, t.ticksFrom, this.series);
  }

  /** Ticks newer than `after` were appended to the series. */
  ticksAdded(after) {
    const t = this.tail, series = this.series;
    if (!t || !t.done) return;
    for (let i = series.lowerBound(after + 1); i < series.end; i++) t.frame.addTick(series.t[i], series.p[i]);
  }
}
