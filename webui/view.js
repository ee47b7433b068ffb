// view.js — asks the gateway for the window the chart shows and keeps its
// Frame (buckets.js) exact: one `range` request for the window at the
// chart's pixel width, then, for a window that reaches the live edge, the
// tail requests of buckets.js and the subscription's raw ticks.
//
// Only the newest request counts: an answer to an older one (the user
// zoomed again meanwhile) is dropped. The requests go through
// tickstream.js's range(), which matches answers to requests by id.
import { Frame, parseLadder, tailChain, tailPlan } from './buckets.js';

// The gateway's clock may be behind ours; a piece's `to` must not pass its
// "now" (it would be clamped and the piece would no longer be aligned).
const CLOCK_MARGIN_MS = 1000;
// The finest tail piece holds at most about this many raw ticks.
const TAIL_TICKS = 600;

export class View {
  /**
   * series: the live ticks (series.js), fed by the subscription;
   * range(sym, win): a range request, a promise of its answer (tickstream.js);
   * needTicks(since): the page must hold every tick > since (re-subscribes
   * when it does not); onFrame(frame): a new window arrived; onTail(): its
   * live part was made from the tail (draw it again: no tick may come for
   * a while); onError(err): the gateway's `err` for the current window.
   */
  constructor({ series, range, needTicks, onFrame, onTail, onError }) {
    this.series = series;
    this.range = range;
    this.needTicks = needTicks;
    this.onFrame = onFrame;
    this.onTail = onTail;
    this.onError = onError;
    this.cfg = null;
    this.ladder = [];
    this.sym = null;
    this.frame = null;
    this.gen = 0; // bumped by every load: answers of an older one are dropped
    this.main = null; // {gen, live, width, at} of the request in flight for the window
    this.tail = null; // {frame, answers, ticksFrom, reqs, done}
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
    this.gen++;
  }

  /** True while the window or its tail is being read. */
  get pending() {
    return this.main !== null || (this.tail !== null && !this.tail.done);
  }

  /** One request of this instrument; its answer (counted), or null when a newer load overtook it. */
  async ask(win) {
    const gen = this.gen;
    this.stats.requests++;
    const m = await this.range(this.sym, win);
    if (gen !== this.gen) return null;
    this.stats.answers++;
    this.stats.buckets += m.t.length;
    return m;
  }

  /**
   * Asks for the window [from, to] (from null: from where the stored history
   * starts, to null: up to the live edge) in about `points` buckets, or in
   * buckets of exactly `width` ms (a timeframe, which needs a from).
   */
  load({ from = null, to = null, points, width = 0 }) {
    const win = { from: from === null ? null : Math.max(0, Math.floor(from)), points: Math.max(1, Math.min(10000, Math.round(points))) };
    let live = to === null;
    if (width > 0) {
      // Aligned on the width, from the candle holding `from` to the one
      // holding `to`: then the gateway's target is the width itself, so its
      // buckets are exactly that wide. Never up to the end of a candle still
      // open: that end is after the gateway's now, which `to` would be moved
      // back to, and the target would shrink (an hour 40 min old came as one
      // 45-min bucket). Such a window ends before the open candle and is
      // live: its tail makes the open one.
      const safe = this.serverNow() - CLOCK_MARGIN_MS;
      let end = Math.ceil(((live ? safe : Math.min(to, safe)) + 1) / width) * width;
      if (live || end > safe + 1) {
        end = Math.floor((safe + 1) / width) * width;
        live = true;
      }
      let start = Math.min(Math.floor(win.from / width) * width, end - width);
      if (end - start > 10000 * width) start = end - 10000 * width;
      Object.assign(win, { from: start, to: end - 1, points: (end - start) / width });
    } else if (!live) win.to = Math.max(win.from, Math.floor(to));
    this.gen++;
    const main = { gen: this.gen, live, width, at: Date.now() };
    this.main = main;
    this.tail = null;
    this.ask(win).then(
      (m) => m && this.onMain(m, main),
      (e) => {
        if (this.main !== main) return;
        this.main = null;
        if (e.code !== 'closed') this.onError(e); // 'closed': the page asks again when the connection is back
      },
    );
  }

  serverNow() {
    return Date.now() + this.skew;
  }

  onMain(m, { live, width }) {
    this.main = null;
    if (live && width === 0) this.skew = Math.min(0, m.to - Date.now()); // `to` was the gateway's now
    const frame = new Frame(m, { live });
    this.frame = frame;
    this.onFrame(frame);
    if (live) this.askTail(frame);
  }

  /** The tail of a live window, in one batch: pieces and where ticks take over. */
  askTail(frame) {
    const iv = this.cfg.interval_ms || 1000;
    const chain = tailChain(frame.w, iv, this.ladder, iv * TAIL_TICKS);
    const { reqs, ticksFrom } = tailPlan(frame.b, chain, this.serverNow() - CLOCK_MARGIN_MS - 2 * iv);
    const t = { frame, answers: [], ticksFrom, reqs, done: false };
    this.tail = t;
    this.needTicks(ticksFrom - 1);
    Promise.all(reqs.map((r) => this.ask(r))).then(
      (answers) => {
        if (this.tail !== t || answers.includes(null)) return;
        // A piece the gateway answered at another width or window (its clock
        // behind ours, or the level's retention) would not add up: fall back
        // to the raw ticks of the whole newest bucket.
        if (answers.some((m, i) => m.width !== reqs[i].width || m.from !== reqs[i].from || m.to !== reqs[i].to)) return this.tailFallback(t);
        t.answers = answers;
        this.tailDone(t);
      },
      (e) => {
        if (this.tail !== t) return;
        if (e.code === 'closed') t.done = true; // the page asks for the window again on reconnect
        else this.tailFallback(t);
      },
    );
  }

  tailFallback(t) {
    t.answers = [];
    t.ticksFrom = t.frame.b;
    this.needTicks(t.ticksFrom - 1);
    this.tailDone(t);
  }

  tailDone(t) {
    t.done = true;
    this.foldAll();
    this.onTail();
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
