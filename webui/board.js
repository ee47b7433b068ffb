// board.js — the market watch: every instrument's last price from one board
// subscription (docs/PROTOCOL.md "Boards"), in a list that renders only the
// rows in view, so 10,000 instruments cost what 40 do.
//
// - Its own client of the gateway (tickstream.js): a `board` that the module
//   resumes after a reconnect with since = the last tick held, so every tick
//   in between follows, or a snapshot.
// - One frame a tick updates the prices (typed arrays, no DOM); the rows in
//   view are redrawn once per animation frame, and only when something
//   changed; a hidden board does no DOM work at all.
// - The change is over the UTC day: the price minus the day's first tick,
//   whose price the snapshot carries for every instrument (`ref`); at
//   midnight the frames themselves start the new day (docs/PROTOCOL.md
//   "Boards"), so a sort by change needs no request per row.
// - The sparkline is the last hour's, read per visible row from /api/range
//   (60 one-minute buckets), a few requests at a time, cached and extended
//   by the live prices; a snapshot that skipped ticks drops the cache.
import { connect } from './tickstream.js';

const ROW_H = 26;
const SPARK_W = 120, SPARK_H = 18;
const HOUR_MS = 3600000;
const DAY_MS = 86400000;
const FETCHES = 3; // /api/range requests in flight (the gateway allows 8 per thread)

export class Board {
  /** el: the board section; onOpen(sym): open the chart of sym. */
  constructor(el, onOpen) {
    this.el = el;
    this.onOpen = onOpen;
    this.rowsEl = el.querySelector('.board-rows');
    this.spacer = el.querySelector('.board-spacer');
    this.filterEl = el.querySelector('.board-filter');
    this.countEl = el.querySelector('.board-count');
    this.stateEl = el.querySelector('.board-state');
    this.syms = [];
    this.price = new Float64Array(0);
    this.prev = new Float64Array(0);
    this.moved = new Int8Array(0); // +1/-1: moved at the last tick (flash)
    this.ref = new Float64Array(0); // the day's reference prices (NaN: none yet)
    this.day = 0; // the start of the UTC day of this.last
    this.last = 0; // the tick the board holds
    this.epoch = null;
    this.order = []; // indices shown, filtered and sorted
    this.sort = { key: 'name', dir: 1 };
    this.filter = '';
    this.cursor = 0; // index into order of the keyboard's row
    this.spark = new Map(); // sym -> {t0, dt, p: []} (the last hour)
    this.queue = [];
    this.fetching = 0;
    this.dirty = true;
    this.visible = false;
    this.pool = [];
    this.frames = 0; // bt frames applied
    this.snapshots = 0; // board snapshots applied
    this.draws = 0; // row redraws
    this.conn = null; // the tickstream.js client, from start()
    this.filterEl.addEventListener('input', () => {
      this.filter = this.filterEl.value.trim().toLowerCase();
      this.cursor = 0;
      this.reorder();
    });
    this.filterEl.addEventListener('keydown', (e) => this.key(e));
    this.rowsEl.addEventListener('keydown', (e) => this.key(e));
    this.rowsEl.addEventListener('scroll', () => this.invalidate());
    this.rowsEl.addEventListener('click', (e) => {
      const row = e.target.closest('.brow');
      if (row && row.dataset.sym) this.onOpen(row.dataset.sym);
    });
    for (const b of el.querySelectorAll('[data-sort]')) {
      b.addEventListener('click', () => this.sortBy(b.dataset.sort));
    }
    new ResizeObserver(() => this.invalidate()).observe(this.rowsEl);
  }

  start() {
    if (this.started) return;
    this.started = true;
    this.conn = connect();
    this.conn.addEventListener('down', () => this.setState('reconnecting'));
    this.conn.board({}, (m) => this.onMessage(m));
  }

  show() {
    this.visible = true;
    this.el.hidden = false;
    this.invalidate();
    this.filterEl.focus();
  }

  hide() {
    this.visible = false;
    this.el.hidden = true;
  }

  setState(s) {
    this.state = s;
    this.stateEl.textContent = s;
    this.stateEl.dataset.state = s;
  }

  onMessage(m) {
    if (m.op === 'board') {
      if (m.p === null) {
        // Resumed: the ticks since this.last follow (a resume in another
        // history never comes here: tickstream.js asks for a snapshot).
        this.setState('live');
        return;
      }
      this.snapshots++;
      // The ticks since the board held were skipped: the sparklines' hour is stale.
      if (this.last && m.t > this.last + m.dt) {
        this.spark.clear();
        this.queue.length = 0;
      }
      this.epoch = m.epoch;
      this.dt = m.dt;
      const n = m.syms.length;
      if (n !== this.syms.length) {
        this.price = new Float64Array(n);
        this.prev = new Float64Array(n);
        this.moved = new Int8Array(n);
        this.ref = new Float64Array(n);
      }
      this.syms = m.syms;
      this.lower = m.syms.map((s) => s.toLowerCase());
      const num = (v) => (v === null || v === undefined ? NaN : v);
      m.p.forEach((p, i) => { this.price[i] = num(p); });
      this.ref.fill(NaN);
      (m.ref || []).forEach((p, i) => { this.ref[i] = num(p); });
      this.day = m.day ?? m.t - (m.t % DAY_MS);
      this.prev.set(this.price);
      this.moved.fill(0);
      this.last = m.t;
      this.setState('live');
      this.reorder();
    } else if (m.op === 'bt') {
      if (m.t <= this.last) return;
      if (m.t >= this.day + DAY_MS) {
        // Midnight UTC: the new day's change counts from its first tick.
        this.day = m.t - (m.t % DAY_MS);
        this.ref.fill(NaN);
      }
      const p = m.p;
      for (let i = 0; i < p.length; i++) {
        const v = p[i];
        if (v === null) { this.moved[i] = 0; continue; }
        const old = this.price[i];
        this.moved[i] = v > old ? 1 : v < old ? -1 : 0;
        this.prev[i] = old;
        this.price[i] = v;
        if (Number.isNaN(this.ref[i])) this.ref[i] = v;
      }
      this.last = m.t;
      this.frames++;
      for (const s of this.spark.values()) s.dirty = true;
      if (this.sort.key === 'name') this.invalidate();
      else this.reorder(); // the order follows the prices
    } else if (m.op === 'err') {
      this.setState(`error: ${m.msg}`);
    }
  }

  /** The change over the UTC day (NaN: unknown). */
  change(i) {
    return this.price[i] - this.ref[i];
  }

  sortBy(key) {
    this.sort = { key, dir: this.sort.key === key ? -this.sort.dir : key === 'name' ? 1 : -1 };
    for (const b of this.el.querySelectorAll('[data-sort]')) {
      b.dataset.dir = b.dataset.sort === key ? (this.sort.dir > 0 ? 'asc' : 'desc') : '';
    }
    this.reorder();
  }

  reorder() {
    const f = this.filter;
    const idx = [];
    for (let i = 0; i < this.syms.length; i++) if (!f || this.lower[i].includes(f)) idx.push(i);
    const { key, dir } = this.sort;
    if (key !== 'name') {
      const v = key === 'price' ? (i) => this.price[i] : (i) => this.change(i);
      const val = new Float64Array(this.syms.length);
      for (const i of idx) val[i] = v(i);
      // Unknown values (NaN) last, whatever the direction.
      idx.sort((a, b) => (Number.isNaN(val[a]) - Number.isNaN(val[b])) || dir * (val[a] - val[b]) || a - b);
    } else if (dir < 0) idx.reverse();
    this.order = idx;
    this.countEl.textContent = `${idx.length.toLocaleString()} of ${this.syms.length.toLocaleString()}`;
    this.spacer.style.height = `${idx.length * ROW_H}px`;
    if (this.cursor >= idx.length) this.cursor = Math.max(0, idx.length - 1);
    this.invalidate();
  }

  key(e) {
    const n = this.order.length;
    const page = Math.max(1, Math.floor(this.rowsEl.clientHeight / ROW_H) - 1);
    const move = { ArrowDown: 1, ArrowUp: -1, PageDown: page, PageUp: -page }[e.key];
    if (move) {
      this.cursor = Math.max(0, Math.min(n - 1, this.cursor + move));
      const top = this.cursor * ROW_H, view = this.rowsEl;
      if (top < view.scrollTop) view.scrollTop = top;
      else if (top + ROW_H > view.scrollTop + view.clientHeight) view.scrollTop = top + ROW_H - view.clientHeight;
      this.invalidate();
      e.preventDefault();
    } else if (e.key === 'Enter' && n) {
      this.onOpen(this.syms[this.order[this.cursor]]);
      e.preventDefault();
    }
  }

  invalidate() {
    if (this.dirty && this.raf) return;
    this.dirty = true;
    if (!this.visible || this.raf) return;
    this.raf = requestAnimationFrame(() => {
      this.raf = 0;
      if (this.visible && this.dirty) this.render();
    });
  }

  row(k) {
    while (this.pool.length <= k) {
      const r = document.createElement('div');
      r.className = 'brow';
      r.innerHTML = '<span class="bname"></span><span class="bprice"></span><span class="bchg"></span><canvas width="' +
        SPARK_W + '" height="' + SPARK_H + '"></canvas>';
      this.spacer.appendChild(r);
      this.pool.push(r);
    }
    return this.pool[k];
  }

  /** Draws the rows in view into the pool of row elements; nothing else exists in the DOM. */
  render() {
    this.dirty = false;
    const view = this.rowsEl;
    const first = Math.floor(view.scrollTop / ROW_H);
    const count = Math.min(this.order.length - first, Math.ceil(view.clientHeight / ROW_H) + 1);
    let k = 0;
    for (; k < count; k++) {
      const pos = first + k, i = this.order[pos], sym = this.syms[i], r = this.row(k);
      r.hidden = false;
      r.style.transform = `translateY(${pos * ROW_H}px)`;
      r.classList.toggle('cur', pos === this.cursor);
      const p = this.price[i];
      if (r.dataset.sym !== sym) {
        r.dataset.sym = sym;
        r.children[0].textContent = sym;
        r.dataset.t = '';
      }
      r.children[1].textContent = Number.isNaN(p) ? '—' : p.toLocaleString();
      const c = this.change(i);
      r.children[2].textContent = Number.isNaN(c) ? '' : (c > 0 ? '+' : c < 0 ? '−' : '±') + Math.abs(c).toLocaleString();
      r.children[2].className = 'bchg ' + (c > 0 ? 'up' : c < 0 ? 'down' : '');
      if (r.dataset.t !== String(this.last)) {
        r.dataset.t = String(this.last);
        // A new animation name restarts the flash (two names per direction,
        // alternating by tick), with no forced layout.
        r.dataset.flash = this.moved[i] ? (this.moved[i] > 0 ? 'up' : 'down') + (this.frames & 1) : '';
      }
      this.drawSpark(r.children[3], sym, p);
      this.draws++;
    }
    for (; k < this.pool.length; k++) {
      this.pool[k].hidden = true;
      this.pool[k].dataset.sym = '';
    }
  }

  /** The last hour of sym as a line; asks /api/range for it the first time it is seen. */
  drawSpark(cv, sym, last) {
    let s = this.spark.get(sym);
    if (!s) {
      s = { p: [], t0: 0, dt: 60000, loaded: false, dirty: true };
      this.spark.set(sym, s);
      this.queue.push(sym);
      this.pump();
    }
    if (cv.dataset.sym === sym && !s.dirty) return;
    cv.dataset.sym = sym;
    s.dirty = false;
    const g = cv.getContext('2d');
    g.clearRect(0, 0, SPARK_W, SPARK_H);
    const pts = s.p.slice();
    if (!Number.isNaN(last)) pts.push(last);
    if (pts.length < 2) return;
    let lo = Infinity, hi = -Infinity;
    for (const v of pts) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    const sx = SPARK_W / (pts.length - 1), sy = hi > lo ? (SPARK_H - 2) / (hi - lo) : 0;
    g.strokeStyle = pts[pts.length - 1] >= pts[0] ? '#26c281' : '#ef5350';
    g.lineWidth = 1;
    g.beginPath();
    pts.forEach((v, j) => (j ? g.lineTo : g.moveTo).call(g, j * sx, SPARK_H - 1 - (v - lo) * sy));
    g.stroke();
  }

  async pump() {
    while (this.fetching < FETCHES && this.queue.length) {
      const sym = this.queue.shift();
      this.fetching++;
      this.loadSpark(sym).finally(() => {
        this.fetching--;
        this.pump();
      });
    }
  }

  async loadSpark(sym) {
    const s = this.spark.get(sym);
    if (!s) return; // dropped meanwhile (a snapshot skipped ticks)
    const from = (this.last || Date.now()) - HOUR_MS;
    try {
      const r = await fetch(`api/range?sym=${encodeURIComponent(sym)}&from=${from}&points=60`, { cache: 'no-store' });
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      const a = await r.json();
      s.p = a.c.slice(0, -1); // closes; the open bucket's close is the live price
      if (a.o.length) s.p.unshift(a.o[0]);
      s.loaded = true;
    } catch {
      if (this.spark.get(sym) === s) this.spark.delete(sym); // asked again when next in view
    }
    s.dirty = true;
    this.invalidate();
  }

  /** For tests and the console: what the board shows now. */
  snapshot() {
    const rows = this.pool.filter((r) => !r.hidden).map((r) => ({
      sym: r.dataset.sym, price: r.children[1].textContent, change: r.children[2].textContent,
      top: new DOMMatrix(getComputedStyle(r).transform).m42,
    })).sort((a, b) => a.top - b.top);
    const prices = {};
    this.syms.forEach((s, i) => { prices[s] = this.price[i]; });
    const ref = {};
    this.syms.forEach((s, i) => { ref[s] = this.ref[i]; });
    return { state: this.state, pending: this.dirty, epoch: this.epoch, snapshots: this.snapshots, last: this.last, day: this.day, n: this.syms.length, shown: this.order.length, rows, prices, ref,
      frames: this.frames, draws: this.draws, dom: this.pool.length, sort: { ...this.sort }, filter: this.filter };
  }
}
