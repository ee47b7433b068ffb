// tests/lib/proxy.js — a TCP relay on a free loopback port in front of a real
// server, to make one connection go silent without closing it: what a hung
// peer or a path that drops packets looks like from the other end; or, in
// front of Redis, to cut one pipelined batch in two at a transaction's end
// so that Redis changes its mind between the two halves (splitNextBatch):
// what a Redis at maxmemory does when memory is freed (a trim, an eviction,
// an operator) while it reads a long pipeline, made exact instead of left
// to timing.
import net from 'node:net';

/** One RESP value from buf at pos: {value, end}, or null when incomplete.
 * Errors are {err: text}; bulk strings are latin1 strings. */
function parseResp(buf, pos = 0) {
  const nl = buf.indexOf('\r\n', pos);
  if (nl < 0) return null;
  const type = String.fromCharCode(buf[pos]);
  const line = buf.toString('latin1', pos + 1, nl);
  let at = nl + 2;
  switch (type) {
    case '+': case ':': return { value: line, end: at };
    case '-': return { value: { err: line }, end: at };
    case '$': {
      const n = Number(line);
      if (n < 0) return { value: null, end: at };
      if (buf.length < at + n + 2) return null;
      return { value: buf.toString('latin1', at, at + n), end: at + n + 2 };
    }
    case '*': {
      const n = Number(line);
      if (n < 0) return { value: null, end: at };
      const items = [];
      for (let i = 0; i < n; i++) {
        const r = parseResp(buf, at);
        if (r === null) return null;
        items.push(r.value);
        at = r.end;
      }
      return { value: items, end: at };
    }
    default:
      throw new Error(`not RESP: type byte ${JSON.stringify(type)} at ${pos}`);
  }
}

/** Splits buffered bytes into whole RESP values; returns them and keeps the rest. */
function drain(state, chunk) {
  state.buf = state.buf.length ? Buffer.concat([state.buf, chunk]) : chunk;
  const out = [];
  let pos = 0;
  for (let r; (r = parseResp(state.buf, pos)) !== null; pos = r.end)
    out.push({ value: r.value, raw: state.buf.subarray(pos, r.end) });
  state.buf = state.buf.subarray(pos);
  return out;
}

export class SilenceProxy {
  /** Relays 127.0.0.1:<free port> to 127.0.0.1:targetPort. */
  static async start(targetPort) {
    const p = new SilenceProxy();
    p.conns = [];
    p.server = net.createServer((client) => {
      const upstream = net.connect(targetPort, '127.0.0.1');
      const c = { client, upstream, sent: '', frozen: false, held: p.holding ? [] : null };
      p.conns.push(c);
      client.on('data', (d) => {
        if (c.split) return c.split.fromClient(d);
        if (c.sent.length < 4096) c.sent += d.toString('latin1');
        if (c.held) c.held.push(d);
        else if (!c.frozen) upstream.write(d);
      });
      upstream.on('data', (d) => {
        if (c.split) c.split.fromServer(d);
        else if (!c.frozen) client.write(d);
      });
      const end = () => { client.destroy(); upstream.destroy(); c.closed = true; };
      client.on('error', end); upstream.on('error', end);
      client.on('close', end); upstream.on('close', end);
    });
    await new Promise((resolve) => p.server.listen(0, '127.0.0.1', resolve));
    p.port = p.server.address().port;
    p.url = `redis://127.0.0.1:${p.port}`;
    return p;
  }

  /** Open connections whose client sent something matching re (e.g. /SUBSCRIBE/). */
  matching(re) {
    return this.conns.filter((c) => !c.closed && re.test(c.sent));
  }

  /** From now on nothing more passes either way on c; the sockets stay open. */
  freeze(c) {
    c.frozen = true;
  }

  /** New connections from now on are accepted but held: what their client
   * sends waits, nothing comes back, until release(). */
  holdNew() {
    this.holding = true;
  }

  /** Held connections pass what waited and relay from now on. */
  release() {
    this.holding = false;
    for (const c of this.conns) {
      if (!c.held) continue;
      for (const d of c.held) c.upstream.write(d);
      c.held = null;
    }
  }

  /**
   * On the open connection, from the next byte its client sends (which must
   * start a command: call it while the client is idle or stopped): the
   * commands up to and including the first EXEC pass; then both directions
   * are held until Redis has answered them, `between()` is awaited, and the
   * rest passes, until Redis has answered every command and the last was an
   * EXEC (the end of a batch whose client waits for the replies); then the
   * held replies go to the client and the relay is plain again.
   * Resolves {first: the first EXEC's reply, rest: the later EXECs' replies}.
   */
  splitNextBatch(between) {
    const open = this.conns.filter((x) => !x.closed);
    if (open.length !== 1) throw new Error(`want one open connection to split, have ${open.length}`);
    const c = open[0];
    return new Promise((resolve, reject) => {
      const cmds = { buf: Buffer.alloc(0) }, reps = { buf: Buffer.alloc(0) };
      const sent = []; // command names passed to Redis since the split began
      const replies = [], heldReplies = [], queued = [];
      let phase = 'first'; // 'first' → 'between' → 'rest'
      let firstCount = 0;
      const pass = (cmd) => {
        sent.push(String(cmd.value[0]).toUpperCase());
        c.upstream.write(cmd.raw);
      };
      const finish = () => {
        c.split = null;
        for (const r of heldReplies) c.client.write(r);
        const execs = replies.filter((r, i) => sent[i] === 'EXEC').map((r) => r.value);
        resolve({ first: execs[0], rest: execs.slice(1) });
      };
      const check = () => {
        if (phase === 'first' && firstCount > 0 && replies.length >= firstCount) {
          phase = 'between';
          Promise.resolve().then(between).then(() => {
            phase = 'rest';
            for (const cmd of queued.splice(0)) pass(cmd);
            check();
          }, reject);
        } else if (phase === 'rest' && replies.length === sent.length && sent[sent.length - 1] === 'EXEC' &&
                   sent.length > firstCount) {
          finish();
        }
      };
      c.split = {
        fromClient(d) {
          for (const cmd of drain(cmds, d)) {
            if (phase === 'first' && firstCount === 0) {
              pass(cmd);
              if (sent[sent.length - 1] === 'EXEC') firstCount = sent.length;
            } else if (phase === 'rest') {
              pass(cmd);
            } else {
              queued.push(cmd);
            }
          }
        },
        fromServer(d) {
          heldReplies.push(d);
          replies.push(...drain(reps, d));
          check();
        },
      };
    });
  }

  async stop() {
    for (const c of this.conns) { c.client.destroy(); c.upstream.destroy(); }
    await new Promise((resolve) => this.server.close(resolve));
  }
}
