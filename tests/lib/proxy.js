// tests/lib/proxy.js — a TCP relay on a free loopback port in front of a real
// server, to make one connection go silent without closing it: what a hung
// peer or a path that drops packets looks like from the other end.
import net from 'node:net';

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
        if (c.sent.length < 4096) c.sent += d.toString('latin1');
        if (c.held) c.held.push(d);
        else if (!c.frozen) upstream.write(d);
      });
      upstream.on('data', (d) => { if (!c.frozen) client.write(d); });
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

  async stop() {
    for (const c of this.conns) { c.client.destroy(); c.upstream.destroy(); }
    await new Promise((resolve) => this.server.close(resolve));
  }
}
