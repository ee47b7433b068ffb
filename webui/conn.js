// conn.js — the one WebSocket to the gateway, reconnecting with backoff.
//
// The URL is relative to the page (ws: or wss: like the page), so the same
// files work on any host, port or behind a load balancer. Frames are binary
// msgpack both ways when the page has loaded the UMD bundle of
// @msgpack/msgpack (vendored by `make`), else JSON text (`?format=json`).
// The owner re-subscribes in onOpen; this module knows nothing of
// instruments (tickstream.js does).

const MP = globalThis.MessagePack || null;

const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 15000;
// A connection that stayed up this long counts as healthy: the next failure
// starts the backoff from the minimum again instead of where it was.
const HEALTHY_MS = 10000;

export function wsUrl(loc = location) {
  const u = new URL('ws', loc.href);
  u.protocol = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  u.hash = '';
  u.search = '';
  return u.href;
}

export class Conn {
  /**
   * handlers: onOpen(), onMessage(msg), onDown({code, reason, retryAt, attempt});
   * socket: a WebSocket already opening (or open) to url, taken as the first connection.
   */
  constructor(url, handlers, socket = null) {
    if (!MP) {
      const u = new URL(url, globalThis.location && location.href);
      u.searchParams.set('format', 'json');
      url = u.href;
    }
    this.url = url;
    this.early = socket;
    this.h = handlers;
    this.ws = null;
    this.attempt = 0;
    this.retryAt = 0;
    this.timer = 0;
    this.openedAt = 0;
    this.stopped = false;
  }

  get open() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) this.ws.close(1000, 'bye');
  }

  /** Reconnect now instead of waiting for the countdown (the user asked). */
  retryNow() {
    if (this.ws || this.stopped) return;
    clearTimeout(this.timer);
    this.connect();
  }

  send(msg) {
    if (!this.open) return false;
    this.ws.send(MP ? MP.encode(msg) : JSON.stringify(msg));
    return true;
  }

  connect() {
    let ws = this.early;
    this.early = null;
    if (ws && (ws.url !== this.url || ws.readyState > WebSocket.OPEN)) {
      ws.close();
      ws = null;
    }
    try {
      ws = ws || new WebSocket(this.url);
    } catch (e) {
      this.down(1006, String(e.message || e));
      return;
    }
    // A socket taken over open has had its open event: run the handler now.
    // The gateway sends nothing before a request, so no message was missed.
    if (ws.readyState === WebSocket.OPEN) queueMicrotask(() => this.ws === ws && ws.onopen());
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    ws.onopen = () => {
      this.openedAt = performance.now();
      this.h.onOpen();
    };
    ws.onmessage = (ev) => {
      let msg;
      try {
        msg = typeof ev.data === 'string' ? JSON.parse(ev.data) : MP.decode(new Uint8Array(ev.data));
      } catch (e) {
        this.h.onMessage({ op: 'err', code: 'client_decode', msg: `undecodable message from the gateway: ${e.message}` });
        return;
      }
      this.h.onMessage(msg);
    };
    // onerror carries no detail in browsers; onclose always follows it.
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.openedAt && performance.now() - this.openedAt > HEALTHY_MS) this.attempt = 0;
      this.openedAt = 0;
      this.down(ev.code, ev.reason);
    };
  }

  down(code, reason) {
    if (this.stopped) return;
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.attempt);
    // ±25 % jitter so that a restarted gateway is not hit by every page at once.
    const delay = Math.round(base * (0.75 + Math.random() * 0.5));
    this.attempt++;
    this.retryAt = Date.now() + delay;
    this.timer = setTimeout(() => this.connect(), delay);
    this.h.onDown({ code, reason, retryAt: this.retryAt, attempt: this.attempt });
  }
}

/** Human words for a WebSocket close code (the gateway's are in docs/PROTOCOL.md). */
export function closeText(code, reason) {
  const known = {
    1000: 'closed',
    1001: 'gateway shutting down',
    1006: 'connection lost',
    1008: 'too slow to keep up (gateway dropped us)',
    1009: 'message too big',
    1011: 'gateway error',
    1012: 'gateway restarting or history changed',
  };
  const t = known[code] || `closed (${code})`;
  return reason ? `${t}: ${reason}` : t;
}
