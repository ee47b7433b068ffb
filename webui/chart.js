// chart.js — the uPlot chart and its view: follow live, zoom, pan, reset.
//
// The chart is created once; new data is given with setData() on views of
// the Series buffers (no copy), at most once per animation frame however
// fast ticks arrive. The x view is one of three modes:
//   all    — the whole series; grows with every tick (the default, "reset")
//   follow — a window of fixed width whose right edge is the last tick
//   fixed  — where the user put it; stays put, the page offers "back to live"
import uPlot from './vendor/uPlot.esm.js';

const ZOOM_STEP = 1.25;

export class Chart {
  /** el: container; series: a Series; onView({mode,min,max}) after each change. */
  constructor(el, series, { interval = 1000, onView = () => {} } = {}) {
    this.el = el;
    this.series = series;
    this.interval = interval;
    this.onView = onView;
    this.mode = 'all';
    this.width = 0; // follow-mode window width, ms
    this.prog = 0; // >0 while this code sets the scale (not the user)
    this.dirty = false;
    this.reset_ = false;
    this.stats = { draws: 0, lastMs: 0, maxMs: 0 }; // setData to painted, ms: tests and the console
    this.drawT0 = 0;
    this.u = new uPlot(this.options(), [new Float64Array(0), new Float64Array(0)], el);
    this.input();
    new ResizeObserver(() => this.resize()).observe(el);
    this.resize();
  }

  options() {
    const css = getComputedStyle(document.documentElement);
    const line = css.getPropertyValue('--line').trim() || '#4fc3f7';
    const grid = css.getPropertyValue('--grid').trim() || '#263040';
    const text = css.getPropertyValue('--muted').trim() || '#8a96a8';
    const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    return {
      width: 800,
      height: 400,
      ms: 1, // x values are milliseconds
      pxAlign: 0,
      cursor: { drag: { x: true, y: false, setScale: true }, points: { size: 6 } },
      legend: { show: true, live: true },
      scales: {
        x: { time: true },
        y: { range: (u, min, max) => padRange(min, max) },
      },
      axes: [{ ...axis, values: timeTicks, space: 70 }, { ...axis, size: 70 }],
      series: [
        { label: 'time', value: (u, v) => (v == null ? '—' : fmtTime(v, true)) },
        { label: 'price', stroke: line, width: 1.5, fill: line + '14', fillTo: (u) => u.scales.y.min, points: { show: false } },
      ],
      hooks: {
        setScale: [(u, key) => key === 'x' && this.onScale()],
        draw: [() => this.onDraw()],
      },
    };
  }

  resize() {
    const r = this.el.getBoundingClientRect();
    const legend = this.u.root.querySelector('.u-legend');
    const lh = legend ? legend.getBoundingClientRect().height : 0;
    const w = Math.max(200, Math.floor(r.width)), h = Math.max(150, Math.floor(r.height - lh - 4));
    if (w !== this.u.width || h !== this.u.height) this.u.setSize({ width: w, height: h });
  }

  /** New points (or a new series): redraw on the next frame. */
  update({ reset = false } = {}) {
    if (reset) {
      this.reset_ = true;
      this.mode = 'all';
    }
    if (this.dirty) return;
    this.dirty = true;
    requestAnimationFrame(() => this.draw());
  }

  draw() {
    this.dirty = false;
    const t0 = performance.now();
    const s = this.series, data = s.views();
    this.prog++;
    try {
      if (this.mode === 'all' || this.reset_ || s.length < 2) {
        this.u.setData(data, true);
      } else {
        this.u.setData(data, false);
        if (this.mode === 'follow') this.u.setScale('x', { min: s.lastT - this.width, max: s.lastT });
      }
    } finally {
      this.prog--;
    }
    this.reset_ = false;
    this.drawT0 = t0;
    this.emit();
  }

  /** uPlot painted (it commits in a microtask after setData/setScale). */
  onDraw() {
    if (!this.drawT0) return;
    const ms = performance.now() - this.drawT0;
    this.drawT0 = 0;
    this.stats.draws++;
    this.stats.lastMs = ms;
    this.stats.maxMs = Math.max(this.stats.maxMs, ms);
  }

  /** The user changed the x scale (drag-select, double click) or we did. */
  onScale() {
    if (this.prog > 0) return;
    const s = this.series, x = this.u.scales.x;
    if (s.length < 2 || x.min == null) return;
    if (x.min <= s.firstT && x.max >= s.lastT) this.mode = 'all';
    else if (x.max >= s.lastT - this.interval / 2) {
      this.mode = 'follow';
      this.width = x.max - x.min;
    } else this.mode = 'fixed';
    this.emit();
  }

  emit() {
    const x = this.u.scales.x;
    this.onView({ mode: this.mode, min: x.min, max: x.max });
  }

  /** Sets the x window, clamped to the data; picks the mode from where it lands. */
  view(min, max) {
    const s = this.series;
    if (s.length < 2) return;
    const span = Math.max(max - min, this.interval * 10);
    const full = s.lastT - s.firstT;
    if (span >= full) return this.reset();
    if (max > s.lastT) (max = s.lastT), (min = max - span);
    if (min < s.firstT) (min = s.firstT), (max = min + span);
    if (max >= s.lastT - this.interval / 2) {
      this.mode = 'follow';
      this.width = span;
    } else this.mode = 'fixed';
    this.prog++;
    try {
      this.u.setScale('x', { min, max });
    } finally {
      this.prog--;
    }
    this.emit();
  }

  /** Whole series, following live. */
  reset() {
    this.mode = 'all';
    this.prog++;
    try {
      this.u.setData(this.series.views(), true);
    } finally {
      this.prog--;
    }
    this.emit();
  }

  /** Keeps the current width but jumps to the live edge. */
  live() {
    const x = this.u.scales.x, s = this.series;
    if (s.length < 2) return;
    const w = x.min == null ? s.lastT - s.firstT : x.max - x.min;
    this.view(s.lastT - w, s.lastT);
  }

  /** Last `ms` of the series, following live. */
  last(ms) {
    const s = this.series;
    if (s.length < 2) return;
    this.view(s.lastT - ms, s.lastT);
  }

  /** factor < 1 zooms in. While following, the right edge stays on the live tick. */
  zoom(factor, atX = null) {
    const x = this.u.scales.x;
    if (x.min == null) return;
    const following = this.mode !== 'fixed';
    const c = following || atX == null ? x.max : atX;
    this.view(c - (c - x.min) * factor, c + (x.max - c) * factor);
  }

  pan(dms) {
    const x = this.u.scales.x;
    if (x.min == null || this.mode === 'all') return;
    this.view(x.min + dms, x.max + dms);
  }

  /** Wheel zoom, shift/middle-drag pan, horizontal wheel pan. */
  input() {
    const over = this.u.over;
    over.addEventListener('wheel', (e) => {
      e.preventDefault();
      const x = this.u.scales.x;
      if (x.min == null) return;
      if (Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
        this.pan(((x.max - x.min) * e.deltaX) / over.clientWidth);
        return;
      }
      const atX = this.u.posToVal(e.offsetX, 'x');
      this.zoom(e.deltaY < 0 ? 1 / ZOOM_STEP : ZOOM_STEP, e.shiftKey || this.mode === 'fixed' ? atX : null);
    }, { passive: false });
    // Capture phase, so uPlot's own drag-to-zoom never sees a pan gesture.
    over.addEventListener('mousedown', (e) => {
      if (!(e.shiftKey || e.button === 1)) return;
      e.preventDefault();
      e.stopPropagation();
      const x0 = e.clientX, min0 = this.u.scales.x.min, max0 = this.u.scales.x.max;
      if (min0 == null) return;
      if (this.mode === 'all') this.mode = 'follow';
      const move = (m) => {
        const dms = ((x0 - m.clientX) * (max0 - min0)) / over.clientWidth;
        this.view(min0 + dms, max0 + dms);
      };
      const up = () => {
        window.removeEventListener('mousemove', move);
        window.removeEventListener('mouseup', up);
      };
      window.addEventListener('mousemove', move);
      window.addEventListener('mouseup', up);
    }, true);
  }

  /** Index range [i0, i1] of the points inside the current x view. */
  visible() {
    const s = this.series, x = this.u.scales.x;
    if (s.length === 0) return null;
    const min = x.min == null ? s.firstT : x.min, max = x.max == null ? s.lastT : x.max;
    const i0 = s.lowerBound(min), i1 = s.lowerBound(max + 0.5) - 1;
    return i1 >= i0 ? [i0, i1] : null;
  }
}

function padRange(min, max) {
  if (min == null || max == null) return [0, 1];
  if (min === max) return [min - 1, max + 1];
  const pad = Math.max(1, (max - min) * 0.05);
  return [Math.floor(min - pad), Math.ceil(max + pad)];
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
