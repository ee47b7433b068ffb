// tickstream.js — the client of a tickstream gateway, as one ES module any
// page can import: the page in webui/ uses it, and so does the example in
// webui/examples/ (docs/CLIENT.md is its guide). The wire protocol is
// docs/PROTOCOL.md; this module keeps its promises for you:
//
// - one WebSocket, reconnected with backoff and jitter when it drops;
// - every subscription resumed after a reconnect with `since` = the newest
//   tick it delivered, so its ticks arrive exactly once, in order, with no
//   hole, across gateway restarts and load-balancer moves;
// - a history reset on the server (a new epoch) said once ('epoch' on the
//   client, 'reload' on each subscription that held ticks), and each such
//   subscription started again from the beginning; a board resumed in the
//   new history is asked for again from 0, its frames held back until that
//   snapshot, which replaces the board;
// - a catch-up the gateway never answers asked for again after 30 s;
// - range requests (docs/PROTOCOL.md "Ranges") as promises, each answer
//   matched to its request by id, a `busy` refusal sent again.
//
// Frames are msgpack when the page has loaded the @msgpack/msgpack UMD
// bundle (globalThis.MessagePack, webui/vendor/msgpack.min.js), JSON
// otherwise: the module works with nothing but itself and conn.js.
//
//   import { connect } from './tickstream.js';
//   const ts = connect();                       // the gateway that served this file, /ws
//   ts.subscribe('ticker_07', { since: 0 }, (t) => console.log(t.sym, t.t, t.p));
//   ts.addEventListener('down', (e) => console.log('reconnecting', e.detail));
//   const r = await ts.range('ticker_07', { from: Date.now() - 3600000, points: 60 });
//
// Why the rules of onHist are what they are (the page relied on them first):
// - ticks are used only once the current catch-up has ended (a `hist` with
//   more:false): before that a tick can only be a leftover of an older
//   subscription of the same name;
// - a `hist` that starts before the first tick held is the start of a newer
//   full catch-up (unsubscribe and subscribe again faster than a catch-up):
//   the subscription restarts from it ('restart');
// - everything is deduplicated by time, so a resume from the newest tick
//   held continues with no hole and no duplicate.
import { Conn, wsUrl, closeText } from './conn.js';

export { closeText };

/**
 * The WebSocket URL of the gateway this module was loaded from (`/ws` next
 * to tickstream.js, `wss:` when it came over https), whatever the path of
 * the page that imports it.
 * @returns {string}
 */
export function gatewayUrl() {
  const here = new URL(import.meta.url);
  return wsUrl({ href: here.href, protocol: here.protocol });
}

/** A catch-up that gets no answer at all for this long is asked for again. */
export const SUB_TIMEOUT_MS = 30000;
// Errors after which a subscription stops (asking again would get the same).
const FATAL = new Set(['unknown_sym', 'bad_since', 'too_many_subs']);
// A range refused as `busy` (8 of the connection's still being read) is sent again this much later.
const BUSY_RETRY_MS = 100;

/**
 * Opens a client of a gateway's WebSocket feed and starts connecting.
 * @param {string} [url] a gateway's `/ws` (default: gatewayUrl(), the one that served this module)
 * @param {{epoch?: number, socket?: WebSocket}} [opts] epoch: the history's epoch the caller already knows (from `/api/config`),
 *   so that a different one in the first answer fires 'epoch'; socket: a WebSocket to `url` the page
 *   already opened (e.g. from an inline script, before its modules loaded), used as the first connection
 *   (one to another URL, or already closed, is closed and a new one made)
 * @returns {Client}
 */
export function connect(url = gatewayUrl(), opts = {}) {
  const c = new Client(url, opts);
  c.start();
  return c;
}

/**
 * One connection to a gateway and its subscriptions. Events (an EventTarget):
 * - `open`: connected (subscriptions are being resumed);
 * - `down`: detail {code, reason, retryAt, attempt, text}: the connection is gone, the next try is at retryAt (ms);
 * - `epoch`: detail {epoch, previous}: the history was reset on the server;
 * - `error`: detail: the gateway's `err` message ({code, msg, sym?}), for any request.
 */
export class Client extends EventTarget {
  constructor(url = gatewayUrl(), { epoch = null, socket = null } = {}) {
    super();
    /** @type {number|null} the history's epoch, once known */
    this.epoch = epoch;
    /** @type {Map<string, Subscription>} */
    this.subs = new Map();
    this.boardSub = null;
    /** @type {Map<number, {msg: object, resolve: Function, reject: Function}>} range requests awaiting their answer */
    this.ranges = new Map();
    this.nextId = 1;
    /** messages for no subscription of this client (dropped) */
    this.ignored = 0;
    this.timer = 0;
    this.conn = new Conn(url, {
      onOpen: () => this.onOpen(),
      onMessage: (m) => this.onMessage(m),
      onDown: (d) => this.onDown(d),
    }, socket);
  }

  /** True while the WebSocket is open. */
  get open() {
    return this.conn.open;
  }

  start() {
    this.conn.start();
    clearInterval(this.timer);
    this.timer = setInterval(() => this.watch(), 1000);
  }

  /** Closes the connection for good; subscriptions end. */
  close() {
    clearInterval(this.timer);
    this.conn.stop();
  }

  /** Reconnects now rather than when the backoff's timer fires (a user's click, a tab shown again). */
  retryNow() {
    this.conn.retryNow();
  }

  /**
   * Sends `sym`'s ticks after `since`, then its live ticks, to onTick — and
   * goes on doing so across reconnects. A second subscribe of the same name
   * replaces the first.
   * @param {string} sym an instrument (`/api/config` lists them)
   * @param {{since?: number, onRun?: (t0: number, dt: number, p: number[]) => void}} [opts]
   *   since: ms, exclusive (0: all retained history); onRun: if given, history
   *   comes as runs (tick i at t0 + i*dt) instead of one onTick per tick
   * @param {(tick: {sym: string, t: number, p: number}) => void} [onTick]
   * @returns {Subscription}
   */
  subscribe(sym, { since = 0, onRun = null } = {}, onTick = () => {}) {
    const old = this.subs.get(sym);
    if (old) old.closed = true; // the new `sub` restarts the gateway's catch-up
    const s = new Subscription(this, sym, since, onRun, onTick);
    this.subs.set(sym, s);
    s.send();
    return s;
  }

  /**
   * The board (docs/PROTOCOL.md "Boards"): `board` and `bt` messages to
   * onMessage, resumed after a reconnect from the newest tick it delivered.
   * A resume (`p` null) of another epoch than the board's is not delivered:
   * the gateway cannot know which history `since` came from, so the board
   * is asked for again from 0 and the next `board` is a snapshot.
   * @param {{prefix?: string, syms?: string[]}} sel the selection (default: every instrument)
   * @param {(msg: object) => void} onMessage
   * @returns {{last: number, close: () => void}}
   */
  board(sel, onMessage) {
    const b = {
      last: 0,
      epoch: null, // of the board delivered
      fresh: false, // a snapshot was asked for: frames wait for it
      sel: { ...sel },
      onMessage,
      close: () => {
        if (this.boardSub !== b) return;
        this.boardSub = null;
        this.conn.send({ op: 'unboard' });
      },
    };
    this.boardSub = b;
    this.conn.send({ op: 'board', since: 0, ...b.sel });
    return b;
  }

  /**
   * One range request (docs/PROTOCOL.md "Ranges"): the window [from, to] of
   * `sym` (from omitted: from where the stored history starts; to omitted:
   * up to now) in about `points` buckets. Not resumed
   * across a reconnect: a request the connection lost is rejected with
   * {code: 'closed'}, and the caller asks again if it still wants it.
   * @param {string} sym
   * @param {{from?: number, to?: number, points?: number}} win
   * @returns {Promise<object>} the `range` answer; rejects with the gateway's `err` ({code, msg, sym, id})
   */
  range(sym, { from, to, points }) {
    const id = this.nextId++;
    const msg = { op: 'range', sym, id };
    if (from !== undefined && from !== null) msg.from = from;
    if (to !== undefined && to !== null) msg.to = to;
    if (points !== undefined) msg.points = points;
    return new Promise((resolve, reject) => {
      if (!this.conn.send(msg)) return reject({ code: 'closed', msg: 'not connected', sym, id });
      this.ranges.set(id, { msg, resolve, reject });
    });
  }

  onDown(d) {
    for (const [id, r] of this.ranges) r.reject({ code: 'closed', msg: 'connection lost', sym: r.msg.sym, id });
    this.ranges.clear();
    this.emit(this, 'down', { ...d, text: closeText(d.code, d.reason) });
  }

  /** A `range` answer, or an `err` of a range request: true when it was one of ours. */
  onRange(m) {
    const r = this.ranges.get(m.id);
    if (!r) return false;
    if (m.op === 'err' && m.code === 'busy') {
      setTimeout(() => this.ranges.has(m.id) && this.conn.send(r.msg), BUSY_RETRY_MS);
      return true;
    }
    this.ranges.delete(m.id);
    if (m.op === 'err') r.reject(m);
    else r.resolve(m);
    return true;
  }

  emit(target, type, detail) {
    target.dispatchEvent(new CustomEvent(type, { detail }));
  }

  onOpen() {
    for (const s of this.subs.values()) s.send();
    if (this.boardSub) this.conn.send({ op: 'board', since: this.boardSub.last, ...this.boardSub.sel });
    this.emit(this, 'open', null);
  }

  seeEpoch(epoch) {
    if (epoch === undefined || epoch === this.epoch) return;
    const previous = this.epoch;
    this.epoch = epoch;
    if (previous !== null) this.emit(this, 'epoch', { epoch, previous });
  }

  onMessage(m) {
    if (!m || typeof m !== 'object') return;
    if ((m.op === 'range' || m.op === 'err') && m.id !== undefined && this.onRange(m)) return;
    if (m.op === 'err') {
      this.emit(this, 'error', m);
      const s = m.sym !== undefined && this.subs.get(m.sym);
      if (s && FATAL.has(m.code)) {
        s.phase = 'error';
        this.emit(s, 'error', m);
      }
      return;
    }
    if (m.op === 'board' || m.op === 'bt') {
      const b = this.boardSub;
      if (!b) return void this.ignored++;
      if (m.op === 'board') {
        this.seeEpoch(m.epoch);
        if (m.p === null && b.epoch !== null && m.epoch !== b.epoch) {
          b.last = 0; // its bt frames (t > 0) wait for the snapshot asked for
          b.fresh = true;
          this.conn.send({ op: 'board', since: 0, ...b.sel });
          return;
        }
        b.fresh = false;
        b.epoch = m.epoch;
        b.last = m.t; // a snapshot's tick, or the resume's since
      } else {
        if (b.fresh || m.t <= b.last) return;
        b.last = m.t;
      }
      b.onMessage(m);
      return;
    }
    const s = this.subs.get(m.sym);
    if (!s) return void this.ignored++;
    if (m.op === 'hist') s.onHist(m);
    else if (m.op === 'tick') s.onTick(m);
  }

  /** Once a second: a catch-up without any answer for SUB_TIMEOUT_MS is asked for again. */
  watch() {
    if (!this.open) return;
    const now = Date.now();
    for (const s of this.subs.values()) {
      if ((s.phase === 'loading' || s.phase === 'catchup') && now - s.answeredAt > SUB_TIMEOUT_MS) {
        this.emit(s, 'retry', null);
        s.send();
      }
    }
  }
}

/**
 * One instrument's ticks. Read-only fields: sym, phase ('loading': catching
 * up from the start, 'catchup': resuming, 'live', 'error', 'closed'), first
 * and last (the oldest and newest tick time delivered; last is where a
 * resume starts), epoch. Events (an EventTarget):
 * - `live`: a catch-up ended; what follows is live;
 * - `reload`: detail {epoch}: the history was reset on the server: drop
 *   what you hold, it is sent again from the start;
 * - `restart`: a newer full catch-up began (an unsubscribe and subscribe
 *   faster than a catch-up): drop what you hold, it is sent again;
 * - `error`: detail: the gateway's `err` ({code, msg, sym}); the subscription stopped;
 * - `retry`: no answer for SUB_TIMEOUT_MS: asked again.
 */
export class Subscription extends EventTarget {
  constructor(client, sym, since, onRun, onTick) {
    super();
    this.client = client;
    this.sym = sym;
    this.onRun = onRun;
    this.onTickCb = onTick;
    this.first = null;
    this.last = since;
    this.epoch = null;
    this.phase = since ? 'catchup' : 'loading';
    this.closed = false;
    this.answeredAt = Date.now();
  }

  /** Stops the subscription (the gateway is told; messages already on the way are dropped). */
  close() {
    if (this.closed) return;
    this.closed = true;
    this.phase = 'closed';
    if (this.client.subs.get(this.sym) === this) {
      this.client.subs.delete(this.sym);
      this.client.conn.send({ op: 'unsub', sym: this.sym });
    }
  }

  /** (Re)sends the `sub`, from the newest tick delivered. */
  send() {
    if (this.closed) return; // closed from an event handler (e.g. 'reload') before the module's own resend
    this.phase = this.last ? 'catchup' : 'loading';
    this.answeredAt = Date.now();
    this.client.conn.send({ op: 'sub', sym: this.sym, since: this.last });
  }

  onHist(m) {
    if (this.closed) return;
    this.answeredAt = Date.now();
    this.client.seeEpoch(m.epoch);
    if (this.epoch !== null && m.epoch !== this.epoch && this.first !== null) {
      this.epoch = m.epoch;
      this.first = null;
      this.last = 0;
      this.client.emit(this, 'reload', { epoch: m.epoch });
      this.send(); // since 0: a new `sub` restarts the catch-up
      return;
    }
    this.epoch = m.epoch;
    let p = m.p || [];
    let t0 = m.t0;
    let restarted = false;
    if (p.length && this.first !== null && t0 < this.first) {
      this.first = null;
      this.last = 0;
      restarted = true;
      this.client.emit(this, 'restart', null);
    }
    if (p.length && t0 <= this.last) {
      const skip = Math.floor((this.last - t0) / m.dt) + 1;
      p = p.slice(skip);
      t0 += skip * m.dt;
    }
    if (p.length) {
      if (this.first === null) this.first = t0;
      this.last = t0 + (p.length - 1) * m.dt;
      if (this.onRun) this.onRun(t0, m.dt, p);
      else for (let i = 0; i < p.length; i++) this.onTickCb({ sym: this.sym, t: t0 + i * m.dt, p: p[i] });
    }
    if (!m.more) {
      // Once live, a hist is live ticks the gateway coalesced (PROTOCOL.md): no new 'live'.
      if (this.phase !== 'live' || restarted) {
        this.phase = 'live';
        this.client.emit(this, 'live', null);
      }
    } else if (restarted || this.phase !== 'catchup') this.phase = 'loading';
  }

  onTick(m) {
    if (this.closed || this.phase !== 'live' || m.t <= this.last) return;
    if (this.first === null) this.first = m.t;
    this.last = m.t;
    this.onTickCb({ sym: this.sym, t: m.t, p: m.p });
  }
}
