// tests/cluster/client.js — a resuming WebSocket client, as the page does it:
// one subscription, every received tick kept (no client-side dedup, so the
// test sees any duplicate the gateways send), and on any close a reconnect
// through the load balancer with since = the last tick it holds.
import WebSocket from 'ws';

export class ResumingClient {
  constructor(url, sym, { reconnectMs = 100 } = {}) {
    this.url = url;
    this.sym = sym;
    this.reconnectMs = reconnectMs;
    this.series = []; // [{t, p}] in arrival order
    this.epochs = new Set();
    this.connects = 0;
    this.closes = [];
    this.errors = [];
    this.caughtUp = false; // the current connection's catch-up has ended
    this.stopped = false;
    this.connect();
  }

  get last() {
    return this.series.length ? this.series[this.series.length - 1].t : 0;
  }

  connect() {
    this.caughtUp = false;
    const ws = (this.ws = new WebSocket(this.url));
    ws.on('open', () => {
      this.connects++;
      ws.send(JSON.stringify({ op: 'sub', sym: this.sym, since: this.last }));
    });
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        this.errors.push('binary frame on a ?format=json connection');
        return;
      }
      this.onMessage(JSON.parse(data.toString()));
    });
    ws.on('error', () => {}); // a close follows; that is where we act
    ws.on('close', (code) => {
      this.closes.push(code);
      if (this.stopped) return;
      setTimeout(() => this.connect(), this.reconnectMs + Math.floor(Math.random() * this.reconnectMs));
    });
  }

  onMessage(m) {
    if (m.sym !== undefined && m.sym !== this.sym) {
      this.errors.push(`message for ${m.sym} on a ${this.sym} client`);
      return;
    }
    if (m.op === 'hist') {
      this.epochs.add(m.epoch);
      m.p.forEach((p, i) => this.series.push({ t: m.t0 + i * m.dt, p }));
      if (!m.more) this.caughtUp = true;
    } else if (m.op === 'tick') {
      if (!this.caughtUp) this.errors.push(`tick ${m.t} before the catch-up ended`);
      this.series.push({ t: m.t, p: m.p });
    } else if (m.op === 'err') {
      this.errors.push(`err ${m.code}: ${m.msg}`);
    }
  }

  stop() {
    this.stopped = true;
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
  }
}
