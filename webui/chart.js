// chart.js — the uPlot chart and its view: follow live, zoom, pan, reset;
// a line (M4: through each bucket's open, extremes and close) or candles.
//
// The chart is created once; it draws a Frame (buckets.js) — the buckets
// of the window last asked for plus the live ticks folded in — at most
// once per animation frame however fast ticks arrive. Each change of the
// window is reported (onView) so the page can ask for that window at the
// plot's pixel width. The x view is one of three modes:
//   all    — the whole history; grows with every tick (the default, "reset")
//   follow — a window of fixed width whose right edge is the last tick
//   fixed  — where the user put it; stays put, the page offers "back to live"
import uPlot from './vendor/uPlot.esm.js';
import { attachGestures } from './gestures.js';

export class Chart {
  /**
   * el: container; bounds(): [first, last] time the data spans (the
   * instrument's history up to its newest tick); onView({mode,min,max})
   * after each change of the window.
   */
  constructor(el, { bounds, onView = () => {}, interval = 1000 }) {
    this.el = el;
    this.bounds = bounds;
    this.interval = interval;
    this.onView = onView;
    this.frame = null; // buckets.js Frame: what is drawn
    this.kind = 'line'; // line | candles
    this.mode = 'all';
    this.width = 0; // follow-mode window width, ms
    this.setTo = null; // the x window setX set last
    // The x window as last set. uPlot's own scales.x changes only when it
    // commits (a microtask later), so a request right after a zoom reads this.
    this.x = { min: null, max: null };
    this.dirty = false;
    this.drawn = { frame: null, version: -1, kind: null };
    // setData to painted, ms, and the window last painted: tests and the console
    this.stats = { draws: 0, lastMs: 0, maxMs: 0, painted: null };
    this.drawT0 = 0;
    this.u = new uPlot(this.options(), [[], [], [], []], el);
    attachGestures(this.u.over, this);
    new ResizeObserver(() => this.resize()).observe(el);
    this.resize();
  }

  // The price axis' labels; the splits are kept for tests and the console.
  priceTicks(splits) {
    this.stats.ySplits = splits.slice();
    return splits.map(fmtPrice);
  }

  options() {
    const css = getComputedStyle(document.documentElement);
    const v = (name, dflt) => css.getPropertyValue(name).trim() || dflt;
    const line = v('--line', '#4fc3f7'), grid = v('--grid', '#263040'), text = v('--muted', '#8a96a8');
    this.colors = { up: v('--up', '#26c281'), down: v('--down', '#ef5350') };
    const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    const none = { paths: () => null, points: { show: false } };
    return {
      width: 800,
      height: 400,
      ms: 1, // x values are milliseconds
      // uPlot places time splits from its date of the scale's min and from the
      // min floored; its default date rounds, so a window starting 0.5 ms or
      // more past a millisecond (a drag, a pinch) had every split 1 ms early
      // ("15:59" for 16:00). A floored date agrees with the floor.
      tzDate: (ts) => new Date(Math.floor(ts)),
      pxAlign: 0,
      // The right padding uPlot gives the x axis's last label once there is
      // data (half its default axis size), also before: the plot's width,
      // which the first window is asked for in, is then the one it is drawn at.
      padding: [null, 25, null, null],
      // Double click: the whole history (gestures.js), not uPlot's "all the data held".
      cursor: { drag: { x: true, y: false, setScale: true }, points: { size: 6 }, bind: { dblclick: () => null } },
      legend: { show: true, live: true },
      scales: {
        x: { time: true, auto: false },
        y: { range: (u, min, max) => padRange(min, max) },
      },
      axes: [{ ...axis, values: timeTicks, space: timeSpace, size: 44 }, { ...axis, size: 70, incrs: PRICE_INCRS, values: (u, splits) => this.priceTicks(splits) }],
      series: [
        { label: 'time', value: (u, x) => (x == null ? '—' : fmtTime(x, true)) },
        // The line (M4 points), or the candles' close; its path is drawn only in line view.
        {
          label: 'price', stroke: line, width: 1.5, fill: line + '14', fillTo: (u) => u.scales.y.min, points: { show: false },
          paths: (u, si, i0, i1) => (this.kind === 'line' ? uPlot.paths.linear()(u, si, i0, i1) : null),
        },
        { label: 'high', ...none },
        { label: 'low', ...none },
      ],
      hooks: {
        setScale: [(u, key) => key === 'x' && this.onScale()],
        drawSeries: [(u, si) => si === 1 && this.kind === 'candles' && this.drawCandles()],
        draw: [() => this.onDraw()],
      },
    };
  }

  resize() {
    const r = this.el.getBoundingClientRect();
    // Hidden (the board is shown): keep the size, and the window asked for
    // at it, for the way back.
    if (r.width === 0 || r.height === 0) return;
    const legend = this.u.root.querySelector('.u-legend');
    const lh = legend ? legend.getBoundingClientRect().height : 0;
    const w = Math.max(200, Math.floor(r.width)), h = Math.max(150, Math.floor(r.height - lh - 4));
    if (w !== this.u.width || h !== this.u.height) {
      this.u.setSize({ width: w, height: h });
      this.emit(true); // a new pixel width asks for a new window
    }
  }

  /** The plot's width in CSS pixels: the number of columns a window is asked in. */
  get plotWidth() {
    return Math.max(50, Math.round(this.u.bbox.width / (window.devicePixelRatio || 1)) || this.u.width - 80);
  }

  setFrame(frame) {
    this.frame = frame;
    this.update();
  }

  setKind(kind) {
    this.kind = kind;
    this.update();
  }

  /** Back to the whole history (a new instrument). */
  resetView() {
    this.mode = 'all';
    this.frame = null;
    this.update();
  }

  /** New buckets or ticks: redraw on the next frame (at most once per frame). */
  update() {
    if (this.dirty) return;
    this.dirty = true;
    requestAnimationFrame(() => this.draw());
  }

  data() {
    const f = this.frame;
    if (!f || f.length === 0) return [[], [], [], []];
    if (this.kind === 'line') {
      const [xs, ys] = f.line();
      return [xs, ys, ys, ys];
    }
    const c = f.cols(), half = f.w / 2;
    return [c.t.map((t) => t + half), c.c, c.h, c.l];
  }

  draw() {
    this.dirty = false;
    const t0 = performance.now();
    const f = this.frame, d = this.drawn;
    const changed = d.frame !== f || d.version !== (f ? f.version : -1) || d.kind !== this.kind;
    if (changed) {
      this.u.setData(this.data(), false);
      Object.assign(d, { frame: f, version: f ? f.version : -1, kind: this.kind });
    }
    // uPlot paints on a scale change only (setData(…, false) paints nothing):
    // a window that stays put — zoomed into the past — is set again to paint
    // its new buckets.
    const [b0, b1] = this.bounds();
    if (b0 != null && b1 > b0 && this.mode !== 'fixed') {
      // Candles are drawn at their middle: so that the newest one, still
      // open, is seen whole (not at all in the first half of its time), the
      // window reaches to its end, at most a candle past the newest tick.
      const c = this.kind === 'candles' && f && f.length > 0;
      const lo = c ? Math.min(b0, f.at(0).t) : b0, hi = c ? Math.max(b1, f.at(f.length - 1).t + f.w) : b1;
      if (this.mode === 'all') this.setX(lo, hi);
      else this.setX(hi - this.width, hi);
    } else if (changed && this.x.min != null) this.setX(this.x.min, this.x.max);
    this.drawT0 = t0;
    this.emit(false);
  }

  /** uPlot painted (it commits in a microtask after setData/setScale). */
  onDraw() {
    const f = this.drawn.frame;
    this.stats.painted = f && { w: f.w, from: f.from, to: f.to, version: this.drawn.version, kind: this.drawn.kind };
    if (!this.drawT0) return;
    const ms = performance.now() - this.drawT0;
    this.drawT0 = 0;
    this.stats.draws++;
    this.stats.lastMs = ms;
    this.stats.maxMs = Math.max(this.stats.maxMs, ms);
  }

  /** Candles: a wick from low to high, a body from open to close, coloured by direction. */
  drawCandles() {
    const u = this.u, f = this.frame;
    if (!f) return;
    const ctx = u.ctx, x = u.scales.x, pr = window.devicePixelRatio || 1;
    const bw = Math.max(1, (u.valToPos(x.min + f.w, 'x', true) - u.valToPos(x.min, 'x', true)) * 0.7);
    ctx.save();
    ctx.beginPath();
    ctx.rect(u.bbox.left, u.bbox.top, u.bbox.width, u.bbox.height);
    ctx.clip();
    for (let i = 0; i < f.length; i++) {
      const b = f.at(i);
      if (b.t + f.w < x.min || b.t > x.max) continue;
      const cx = u.valToPos(b.t + f.w / 2, 'x', true);
      const yo = u.valToPos(b.o, 'y', true), yc = u.valToPos(b.c, 'y', true);
      ctx.fillStyle = ctx.strokeStyle = b.c >= b.o ? this.colors.up : this.colors.down;
      ctx.lineWidth = pr;
      ctx.beginPath();
      ctx.moveTo(cx, u.valToPos(b.h, 'y', true));
      ctx.lineTo(cx, u.valToPos(b.l, 'y', true));
      ctx.stroke();
      ctx.fillRect(cx - bw / 2, Math.min(yo, yc), bw, Math.max(pr, Math.abs(yc - yo)));
    }
    ctx.restore();
  }

  /**
   * Sets the x scale. uPlot reports a scale change in a microtask after it
   * (the setScale hook), so the window set here is remembered: a report of
   * it is ours, any other is the user's (drag-select, double click).
   */
  setX(min, max) {
    this.setTo = { min, max };
    this.x = { min, max };
    this.u.setScale('x', { min, max });
  }

  /** The x scale changed: by the user (drag-select, double click) or by setX. */
  onScale() {
    const x = this.u.scales.x, [b0, b1] = this.bounds();
    if (this.setTo && x.min === this.setTo.min && x.max === this.setTo.max) return;
    this.x = { min: x.min, max: x.max };
    if (b0 == null || x.min == null) return;
    if (x.min <= b0 && x.max >= b1) this.mode = 'all';
    else if (x.max >= b1 - this.interval / 2) {
      this.mode = 'follow';
      this.width = x.max - x.min;
    } else this.mode = 'fixed';
    this.emit(true);
  }

  /** Tells the page the window; `user`: it was moved on purpose (zoom, pan, resize), not by a tick. */
  emit(user) {
    const x = this.x;
    this.onView({ mode: this.mode, min: x.min, max: x.max, user });
  }

  /** Sets the x window, clamped to the data; picks the mode from where it lands. */
  view(min, max) {
    const [b0, b1] = this.bounds();
    if (b0 == null || !(b1 > b0)) return;
    const span = Math.max(max - min, this.interval * 10);
    if (span >= b1 - b0) return this.reset();
    if (max > b1) (max = b1), (min = max - span);
    if (min < b0) (min = b0), (max = min + span);
    if (max >= b1 - this.interval / 2) {
      this.mode = 'follow';
      this.width = span;
    } else this.mode = 'fixed';
    this.setX(min, max);
    this.emit(true);
  }

  /** Whole history, following live. */
  reset() {
    const [b0, b1] = this.bounds();
    this.mode = 'all';
    if (b0 != null && b1 > b0) this.setX(b0, b1);
    this.emit(true);
  }

  /** Keeps the current width but jumps to the live edge. */
  live() {
    const x = this.x, [b0, b1] = this.bounds();
    if (b0 == null) return;
    const w = x.min == null ? b1 - b0 : x.max - x.min;
    this.view(b1 - w, b1);
  }

  /** Last `ms` of the history, following live. */
  last(ms) {
    const [, b1] = this.bounds();
    if (b1 != null) this.view(b1 - ms, b1);
  }

  /** factor < 1 zooms in. While following, the right edge stays on the live tick. */
  zoom(factor, atX = null) {
    const x = this.x;
    if (x.min == null) return;
    if (this.mode !== 'fixed') {
      // Following: the right edge stays on the live edge, wherever it is now.
      const [, b1] = this.bounds();
      this.view(b1 - (b1 - x.min) * factor, b1);
      return;
    }
    const c = atX == null ? x.max : atX;
    this.view(c - (c - x.min) * factor, c + (x.max - c) * factor);
  }

  pan(dms) {
    const x = this.x;
    if (x.min == null || this.mode === 'all') return;
    this.view(x.min + dms, x.max + dms);
  }

  /** Time at a pixel of the plot (CSS px from its left). */
  timeAt(px) {
    return this.u.posToVal(px, 'x');
  }

  /** The open of the first bucket and the close of the last one in view: {o, c, t0, t1} (t0..t1 within the history). */
  visibleChange() {
    const f = this.frame, x = this.x, [b0, b1] = this.bounds();
    if (!f || f.length === 0 || x.min == null) return null;
    let first = null, last = null;
    for (let i = 0; i < f.length; i++) {
      const b = f.at(i);
      if (b.t + f.w <= x.min || b.t > x.max) continue;
      if (!first) first = b;
      last = b;
    }
    return first && { o: first.o, c: last.c, t0: Math.max(first.t, x.min, b0 ?? -Infinity), t1: Math.min(last.t + f.w, x.max, b1 ?? Infinity) };
  }
}

// Prices are integers (docs/PROTOCOL.md): the price axis steps by 1, 2 or 5
// times a power of ten, never by a fraction (uPlot's default steps label a
// walk between -3 and 6 at -2.5, -2, -1.5 ...).
const PRICE_INCRS = [];
for (let d = 1; d <= 1e9; d *= 10) PRICE_INCRS.push(d, 2 * d, 5 * d);
const fmtPrice = new Intl.NumberFormat().format;

function padRange(min, max) {
  if (min == null || max == null) return [0, 1];
  if (min === max) return [min - 1, max + 1];
  const pad = Math.max(1, (max - min) * 0.05);
  return [Math.floor(min - pad), Math.ceil(max + pad)];
}

// Axis labels never overlap: the splits are at least as far apart as the
// widest label any interval can have ("00:00:00.000", or a date under it),
// measured in the axis font, plus a gap. uPlot picks the finest interval
// whose splits are that far apart, so a label is never wider than the room
// between two splits, whatever the span or the width.
let labelRoom = 0;
function timeSpace(u) {
  if (!labelRoom) {
    const ctx = document.createElement('canvas').getContext('2d');
    ctx.font = u.axes[0].font ? u.axes[0].font[0] : '12px sans-serif';
    const widest = Math.max(...['00:00:00.000', '88:88:88.888', 'Sep 30', 'Mmm 00'].map((s) => ctx.measureText(s).width));
    labelRoom = Math.ceil(widest / (window.devicePixelRatio || 1)) + 16;
  }
  return labelRoom;
}

// 24-hour tick labels; the date is added under the first tick of each day.
function timeTicks(u, splits, axisIdx, space, incr) {
  let day = null;
  return splits.map((v) => {
    const d = new Date(v);
    const hm = pad2(d.getHours()) + ':' + pad2(d.getMinutes());
    let s = incr < 1000 ? `${hm}:${pad2(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`
      : incr < 60000 ? `${hm}:${pad2(d.getSeconds())}` : hm;
    const dd = d.toDateString();
    if (dd !== day) {
      if (day !== null || incr >= 3600000) s += '\n' + d.toLocaleDateString([], { month: 'short', day: 'numeric' });
      day = dd;
    }
    return s;
  });
}

const pad2 = (n) => String(n).padStart(2, '0');

export function fmtTime(ms, withDate = false) {
  const d = new Date(ms);
  const hms = d.toLocaleTimeString([], { hour12: false }) + '.' + String(d.getMilliseconds()).padStart(3, '0');
  return withDate ? d.toLocaleDateString([], { month: 'short', day: 'numeric' }) + ' ' + hms : hms;
}
