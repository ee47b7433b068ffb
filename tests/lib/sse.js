// tests/lib/sse.js — a Server-Sent Events client over node's http, written
// to the WHATWG rules an EventSource follows (fields, the last-event-id
// buffer that persists across events, `retry:`, comments) and reconnecting
// as one does: after the stream ends or fails, with Last-Event-ID set to the
// last id it saw. It keeps every event and comment it gets, so a test sees
// any duplicate or gap the gateway sends.
import http from 'node:http';

export class SseClient {
  /** url: http://host:port/sse?...; reconnect: ms between attempts, or false. */
  constructor(url, { reconnect = 100, lastEventId = '' } = {}) {
    this.url = url;
    this.reconnect = reconnect;
    this.lastEventId = lastEventId;
    this.events = []; // {type, data, id, conn} in arrival order
    this.comments = [];
    this.statuses = []; // HTTP status of each connection attempt
    this.errors = []; // bodies of refused attempts
    this.connects = 0;
    this.ends = 0;
    this.stopped = false;
    this.connect();
  }

  connect() {
    const headers = { Accept: 'text/event-stream' };
    if (this.lastEventId !== '') headers['Last-Event-ID'] = this.lastEventId;
    const req = (this.req = http.get(this.url, { headers }, (res) => {
      this.statuses.push(res.statusCode);
      this.res = res;
      res.setEncoding('utf8');
      if (res.statusCode !== 200) {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => {
          this.errors.push(`${res.statusCode} ${body.trim()}`);
          this.again(req);
        });
        return;
      }
      this.connects++;
      this.contentType = res.headers['content-type'];
      const conn = this.connects;
      let buf = '', data = [], type = '';
      res.on('data', (chunk) => {
        buf += chunk;
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).replace(/\r$/, '');
          buf = buf.slice(nl + 1);
          if (line === '') {
            if (data.length) this.events.push({ type: type || 'message', data: data.join('\n'), id: this.lastEventId, conn });
            data = [];
            type = '';
            continue;
          }
          if (line.startsWith(':')) {
            this.comments.push(line);
            continue;
          }
          const i = line.indexOf(':');
          const field = i < 0 ? line : line.slice(0, i);
          const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
          if (field === 'data') data.push(value);
          else if (field === 'event') type = value;
          else if (field === 'id' && !value.includes('\0')) this.lastEventId = value;
          else if (field === 'retry' && /^\d+$/.test(value)) this.retry = Number(value);
        }
      });
      res.on('end', () => this.again(req));
      res.on('close', () => this.again(req));
      res.on('error', () => {});
    }));
    req.on('error', () => this.again(req));
  }

  again(req) {
    if (req !== this.req) return; // an older connection, already handled
    this.req = null;
    this.ends++;
    if (this.stopped || this.reconnect === false) return;
    setTimeout(() => {
      if (!this.stopped) this.connect();
    }, this.reconnect);
  }

  /** Tick events of sym as [{t, p}], in arrival order. */
  series(sym) {
    return this.events.filter((e) => e.type === 'message').map((e) => JSON.parse(e.data)).filter((d) => d.sym === sym).map(({ t, p }) => ({ t, p }));
  }

  /** Cuts the current connection (as a dropped network would); reconnects if enabled. */
  cut() {
    this.res?.destroy();
    this.req?.destroy();
  }

  stop() {
    this.stopped = true;
    this.cut();
  }
}
