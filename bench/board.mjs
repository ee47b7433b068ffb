// bench/board.mjs — load client for bench/board.sh: --conns N WebSocket
// connections (msgpack), each either one board subscription of every
// instrument (--mode board) or one sub per instrument for --subs of them
// (--mode subs), since = now. After --warmup s it counts, for --seconds s,
// the bytes each connection receives and, per message, arrival wall clock −
// the tick's time t. Prints one JSON line.
import { createRequire } from 'node:module';
const require = createRequire(process.cwd() + '/');
const WebSocket = require('ws');
const { decode, encode } = require('@msgpack/msgpack');

const arg = (k, d) => { const i = process.argv.indexOf(`--${k}`); return i > 0 ? process.argv[i + 1] : d; };
const url = arg('url'), conns = +arg('conns', 100), mode = arg('mode', 'board');
const subs = +arg('subs', 100), width = +arg('width', 2), warmup = +arg('warmup', 3), seconds = +arg('seconds', 10);
const name = (i) => `ticker_${String(i).padStart(width, '0')}`;

let counting = false, bytes = 0, msgs = 0, open = 0, failed = 0;
const lat = [];
const since = Date.now();
for (let c = 0; c < conns; c++) {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  ws.binaryType = 'nodebuffer';
  ws.on('open', () => {
    open++;
    if (mode === 'board') ws.send(encode({ op: 'board', since }));
    else for (let i = 0; i < subs; i++) ws.send(encode({ op: 'sub', sym: name(i), since }));
  });
  ws.on('message', (data) => {
    if (!counting) return;
    const now = Date.now();
    bytes += data.length;
    const m = decode(data);
    if (m.op === 'bt' || m.op === 'tick') {
      msgs++;
      lat.push(now - m.t);
    }
  });
  ws.on('error', () => failed++);
}
await new Promise((r) => setTimeout(r, warmup * 1000));
const cpu0 = process.cpuUsage();
counting = true;
await new Promise((r) => setTimeout(r, seconds * 1000));
counting = false;
const cpu = process.cpuUsage(cpu0);
lat.sort((a, b) => a - b);
const q = (p) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] : null);
console.log(JSON.stringify({ mode, conns, open, failed, msgs_per_conn_s: msgs / conns / seconds,
  bytes_per_conn_s: bytes / conns / seconds, p50_ms: q(0.5), p99_ms: q(0.99), max_ms: lat.length ? lat[lat.length - 1] : null,
  client_cpu_pct: (100 * (cpu.user + cpu.system)) / 1e6 / seconds }));
process.exit(0);
