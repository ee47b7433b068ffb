// tests/lib/gateway.js — a real tickgw on a free port, and a WebSocket client
// (npm ws) that keeps every message it gets, in order.
import path from 'node:path';
import fs from 'node:fs';
import WebSocket from 'ws';
import { decode, encode } from '@msgpack/msgpack';
import { BUILD, Proc, freePort, waitFor } from './procs.js';

/** Starts build/tickgw on a free loopback port (or `port`); resolves once /readyz is 200 (unless ready: false). */
export async function startGateway(redisUrl, args = [], { ready = true, env = {}, port = 0, nofile = 0 } = {}) {
  port ||= await freePort();
  const gw = new Proc('tickgw', path.join(BUILD, 'tickgw'), [
    '--listen', `127.0.0.1:${port}`, '--redis', redisUrl, '--threads', '2', ...args,
  ], { env, nofile });
  gw.port = port;
  gw.http = `http://127.0.0.1:${port}`;
  gw.ws = `ws://127.0.0.1:${port}/ws`;
  if (ready) await waitReady(gw);
  else await gw.waitOutput(/listening on/, 10000);
  return gw;
}

export async function waitReady(gw, timeout = 10000) {
  await waitFor('tickgw /readyz 200', async () => {
    if (!gw.running) throw new Error(`tickgw exited: ${gw.tail()}`);
    return (await fetch(`${gw.http}/readyz`)).status === 200;
  }, { timeout });
}

/**
 * Tears down what a test file started: its WebSocket clients, its gateways
 * (each still running must exit 0 on SIGTERM), its other processes, then
 * `others` (e.g. a relay), the Redis client and the server.
 */
export async function stopStack({ clients = [], gateways = [], procs = [], others = [], client, redis }) {
  for (const c of clients) c.ws.terminate();
  const bad = [];
  for (const g of gateways) {
    if (!g?.running) continue;
    await g.stop();
    if (g.exitCode !== 0) bad.push(`${g.name} pid ${g.pid} exited ${g.exitCode} (${g.signal}): ${g.tail()}`);
  }
  for (const p of procs) if (p?.running) await p.stop();
  for (const o of others) await o?.stop();
  await client?.quit();
  await redis?.stop();
  if (bad.length) throw new Error(`gateway did not exit cleanly:\n${bad.join('\n')}`);
}

/** Resident set size of a process in bytes (Linux /proc). */
export function rssBytes(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** Parses the Prometheus text of /metrics into {name or name{labels}: number}. */
export async function metrics(gw) {
  const text = await (await fetch(`${gw.http}/metrics`)).text();
  const out = {};
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out[line.slice(0, i)] = Number(line.slice(i + 1));
  }
  return out;
}

/** A WebSocket client that records every message (decoded) and the close. */
export class WsClient {
  /** deflate: ws's perMessageDeflate option (ws offers it by default). */
  static async open(url, { json = false, deflate } = {}) {
    const c = new WsClient();
    c.json = json;
    c.msgs = [];
    c.ws = new WebSocket(json ? `${url}?format=json` : url, deflate === undefined ? {} : { perMessageDeflate: deflate });
    c.ws.binaryType = 'nodebuffer';
    // Reads of the socket: each is one or more TCP segments that arrived together (pace.test.js).
    c.reads = 0;
    c.ws.on('upgrade', (res) => res.socket.on('data', () => c.reads++));
    c.closed = new Promise((resolve) => c.ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    c.ws.on('message', (data, isBinary) => {
      c.msgs.push(isBinary ? decode(data) : JSON.parse(data.toString()));
    });
    c.ws.on('error', () => {});
    await new Promise((resolve, reject) => {
      c.ws.once('open', resolve);
      c.ws.once('error', reject);
    });
    return c;
  }

  /** Sends an object in the connection's format (msgpack binary or JSON text). */
  send(obj) {
    this.ws.send(this.json ? JSON.stringify(obj) : encode(obj), { binary: !this.json });
  }

  sendRaw(data, binary) {
    this.ws.send(data, { binary });
  }

  sub(sym, since) {
    this.send({ op: 'sub', sym, since });
  }

  /** Waits until some message after index `from` satisfies pred; returns it. */
  async next(pred, { from = 0, timeout = 10000, what = 'a message' } = {}) {
    let found;
    await waitFor(what, () => {
      for (let i = from; i < this.msgs.length; i++) if (pred(this.msgs[i])) return (found = this.msgs[i]);
      return false;
    }, { timeout, every: 5 });
    return found;
  }

  /** Waits until `sym`'s live series (ticks after the final hist) has n ticks. */
  async waitLive(sym, n, timeout = 20000) {
    await waitFor(`${n} live ticks of ${sym}`, () => this.series(sym).live >= n, { timeout, every: 10 });
  }

  /**
   * The series of `sym` as [{t, p}], from hist runs and ticks in arrival
   * order, plus counts: hist messages of catch-ups, live ticks after the
   * final hist — `tick` messages, and the runs a live client gets coalesced
   * as a hist (docs/PROTOCOL.md): a final hist that follows a tick or a
   * final hist and continues the series. (A re-sub's catch-up starts at or
   * before what is held, or with `more`, and ends the hist after a `more`.)
   * Throws if a message breaks the protocol's ordering promises.
   */
  series(sym) {
    const out = [];
    let final = false, live = 0, hists = 0, more = false;
    for (const m of this.msgs) {
      if (m.sym !== sym) continue;
      if (m.op === 'hist') {
        const lastT = out.length ? out[out.length - 1].t : -Infinity;
        if (final && !m.more && !more && m.p.length && m.t0 > lastT) live += m.p.length;
        else hists++;
        more = !!m.more;
        for (let i = 0; i < m.p.length; i++) out.push({ t: m.t0 + i * m.dt, p: m.p[i] });
        if (m.p.length && m.last !== m.t0 + (m.p.length - 1) * m.dt) throw new Error(`hist last ${m.last} does not match t0/dt/p`);
        if (!m.more) final = true;
      } else if (m.op === 'tick') {
        if (!final) throw new Error(`tick ${m.t} of ${sym} before the final hist`);
        out.push({ t: m.t, p: m.p });
        live++;
      }
    }
    out.live = live;
    out.hists = hists;
    out.final = final;
    return out;
  }

  close() {
    this.ws.close();
    return this.closed;
  }
}
