// tests/lib/board.js — a board watcher (docs/PROTOCOL.md "Boards") that
// reconnects by itself and resumes with `since` = the last tick it holds,
// keeping every frame it applied, to compare with the streams.
import WebSocket from 'ws';
import { decode, encode } from '@msgpack/msgpack';

export const DAY_MS = 86400000;

export class BoardWatcher {
  /** sel: {} (all), {prefix}, or {syms}. */
  constructor(url, { json = false, sel = {} } = {}) {
    this.url = url;
    this.json = json;
    this.sel = sel;
    this.last = 0;        // the tick the board holds
    this.syms = null;
    this.prices = null;   // the board now
    this.day = null;      // the start of the UTC day of the board's tick
    this.ref = null;      // each instrument's reference price for the day's change
    this.frames = [];     // [{t, prices: [...]}]: the board after each tick, in order
    this.seq = [];        // every board state the watcher held, in order: snapshots and frames
    this.starts = [];     // every `board` message: {t, resumed, since}
    this.errors = [];
    this.protocol = [];   // broken promises seen (a frame not after the last, …)
    this.stopped = false;
    this.connects = 0;
  }

  start() {
    this.stopped = false;
    this.connect();
    return this;
  }

  connect() {
    if (this.stopped) return;
    const ws = new WebSocket(this.json ? `${this.url}?format=json` : this.url);
    this.ws = ws;
    ws.binaryType = 'nodebuffer';
    const since = this.last;
    ws.on('open', () => {
      this.connects++;
      const req = { op: 'board', since, ...this.sel };
      ws.send(this.json ? JSON.stringify(req) : encode(req), { binary: !this.json });
    });
    ws.on('message', (data, isBinary) => this.onMessage(isBinary ? decode(data) : JSON.parse(data.toString()), since));
    ws.on('error', () => {});
    ws.on('close', () => {
      if (this.ws === ws) setTimeout(() => this.connect(), 50);
    });
  }

  onMessage(m, since) {
    if (m.op === 'err') {
      this.errors.push(m);
    } else if (m.op === 'board') {
      this.starts.push({ t: m.t, resumed: m.p === null, since, n: m.syms.length });
      if (m.p === null) {
        if (m.t !== this.last) this.protocol.push(`resumed at ${m.t}, holding ${this.last}`);
        if (JSON.stringify(m.syms) !== JSON.stringify(this.syms)) this.protocol.push('resumed with other syms');
      } else {
        this.syms = m.syms;
        this.prices = m.p.slice();
        this.last = m.t;
        this.day = m.day;
        this.ref = m.ref.slice();
        this.snapshot = { t: m.t, prices: m.p.slice(), day: m.day, ref: m.ref.slice() };
        this.seq.push({ ...this.snapshot, snap: true }); // a snapshot replaces the board
      }
    } else if (m.op === 'bt') {
      if (this.prices === null) return void this.protocol.push(`bt ${m.t} before any board`);
      if (m.t <= this.last) this.protocol.push(`bt ${m.t} not after ${this.last}`);
      if (m.p.length !== this.syms.length) this.protocol.push(`bt ${m.t} has ${m.p.length} prices for ${this.syms.length} syms`);
      m.p.forEach((p, i) => { if (p !== null) this.prices[i] = p; });
      // The client's rule (docs/PROTOCOL.md "Boards"): at midnight UTC the
      // references restart; an unknown one is the instrument's next price.
      if (m.t >= this.day + DAY_MS) {
        this.day = m.t - (m.t % DAY_MS);
        this.ref.fill(null);
      }
      m.p.forEach((p, i) => { if (p !== null && this.ref[i] === null) this.ref[i] = p; });
      this.last = m.t;
      this.frames.push({ t: m.t, prices: this.prices.slice(), day: this.day, ref: this.ref.slice() });
      this.seq.push(this.frames[this.frames.length - 1]);
    }
  }

  /** Drops the connection and reconnects after `ms` (ticks pass meanwhile). */
  drop(ms) {
    const ws = this.ws;
    this.ws = null;
    ws.terminate();
    setTimeout(() => this.connect(), ms);
  }

  stop() {
    this.stopped = true;
    const ws = this.ws;
    this.ws = null;
    ws?.terminate();
  }
}

/**
 * Compares a watcher with the streams: after each snapshot, the frames' times
 * are every tick after it, `dt` apart, none twice, until the next snapshot
 * (which replaces the board, later than the last frame: the ticks between are
 * skipped, never repeated); the board after each frame and each snapshot
 * equals each instrument's last price at or before it, and the references
 * for the day's change each instrument's first tick at or after the start of
 * that UTC day (XRANGE <day> + COUNT 1; null when it has none up to then).
 * `streams` maps a name to its XRANGE as [{t, p}]. Returns a message or null.
 */
export function checkBoard(w, streams, dt) {
  if (w.protocol.length) return w.protocol.join('; ');
  if (!w.snapshot) return 'no snapshot';
  const at = new Map(w.syms.map((s) => [s, new Map(streams[s].map((x) => [x.t, x.p]))]));
  const lastAt = (sym, t) => {
    const m = at.get(sym);
    for (let u = t; u >= t - 1000 * dt; u -= dt) if (m.has(u)) return m.get(u);
    return null;
  };
  const all = w.seq;
  for (const f of all) if (f.day !== f.t - (f.t % DAY_MS)) return `day ${f.day} at ${f.t}`;
  for (let k = 0; k < all.length; k++) {
    const f = all[k];
    if (k > 0 && f.snap && f.t <= all[k - 1].t) return `snapshot at ${f.t} after ${all[k - 1].t}: repeated`;
    // A frame is the next tick, or the next one that has a price of the board
    // (docs/PROTOCOL.md: a tick no instrument of the board has sends no frame).
    if (k > 0 && !f.snap && (f.t <= all[k - 1].t || (f.t !== all[k - 1].t + dt &&
        w.syms.some((s) => firstAt(streams[s], all[k - 1].t + 1) < f.t)))) return `tick ${all[k - 1].t} then ${f.t}: missed or repeated`;
    for (let i = 0; i < w.syms.length; i++) {
      const want = lastAt(w.syms[i], f.t);
      if (f.prices[i] !== want) return `${w.syms[i]} at ${f.t}: board ${f.prices[i]}, streams ${want}`;
      const first = firstOfDay(streams[w.syms[i]], f.t);
      if (f.ref[i] !== first) return `${w.syms[i]} at ${f.t}: reference ${f.ref[i]}, first tick of the day ${first}`;
    }
  }
  return null;
}

/** The index of the first entry of `stream` ([{t, p}], by t) at or after t. */
function indexAt(stream, t) {
  let lo = 0, hi = stream.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (stream[mid].t < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The time of the first entry at or after t, or Infinity. */
const firstAt = (stream, t) => stream[indexAt(stream, t)]?.t ?? Infinity;

/** The price of the first entry of `stream` at or after the start of t's UTC day, up to t; else null. */
export function firstOfDay(stream, t) {
  const e = stream[indexAt(stream, t - (t % DAY_MS))];
  return e && e.t <= t ? e.p : null;
}
