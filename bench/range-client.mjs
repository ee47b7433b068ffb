// bench/range-client.mjs — the client half of bench/range.sh: range requests
// over one WebSocket (msgpack, as the page sends them), one at a time, at a
// ladder of zooms, each zoom at `pans` random positions in the history (and
// once at the live edge); prints one markdown row per zoom: the source the
// gateway chose, buckets, answer bytes, and the round trip (request sent →
// answer decoded) p50 / p99 / max. The round trip bounds the gateway's time
// from above: it adds the loopback, the client's encode and decode.
//
// Redis's own share comes from its SLOWLOG (threshold 0 during the run): the
// mean time of the XRANGEs per request, as Redis measured them.
//
// node bench/range-client.mjs PORT SYM OLDEST_MS PANS POINTS REDIS_PORT
import { createRequire } from 'node:module';
const require = createRequire(process.cwd() + '/');
const WebSocket = require('ws');
const Redis = require('ioredis');
const { decode, encode } = require('@msgpack/msgpack');

const [port, sym, oldestArg, pansArg, pointsArg, redisPort] = process.argv.slice(2);
const redis = new Redis({ host: '127.0.0.1', port: Number(redisPort) });
await redis.config('SET', 'slowlog-max-len', '100000');
await redis.config('SET', 'slowlog-log-slower-than', '0');
const oldest = Number(oldestArg), pans = Number(pansArg), points = Number(pointsArg);
const DAY = 86400000;
const zooms = [
  // 10 d and 16 h: the costliest windows of 1,000 points at 1 s ticks, just
  // before the next level takes over (~15 1m candles or ~60 ticks a bucket).
  ['everything', null], ['10 d', 10 * DAY], ['7 d', 7 * DAY], ['1 d', DAY], ['16 h', 16 * 3600000],
  ['6 h', 6 * 3600000], ['1 h', 3600000], ['10 min', 600000], ['1 min', 60000],
];

const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
ws.binaryType = 'nodebuffer';
await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
const waiting = new Map();
ws.on('message', (data) => {
  const m = decode(data);
  const w = waiting.get(m.id);
  if (w) { waiting.delete(m.id); w({ m, bytes: data.length, at: process.hrtime.bigint() }); }
});
let id = 0;
function ask(from, to) {
  const k = ++id;
  const p = new Promise((resolve) => waiting.set(k, resolve));
  const sent = process.hrtime.bigint();
  ws.send(encode({ op: 'range', sym, from, to, points, id: k }));
  return p.then((r) => ({ ...r, ms: Number(r.at - sent) / 1e6 }));
}

let rnd = 20261130;
const random = () => ((rnd = (rnd * 1103515245 + 12345) % 2147483648) / 2147483648);
const q = (a, f) => a[Math.min(a.length - 1, Math.floor(f * a.length))];

// Warm up: the first answers pay for page faults of Redis and the gateway.
for (let i = 0; i < 5; i++) await ask(oldest, Date.now());

console.log(`| zoom | source | buckets | answer bytes | round trip p50 / p99 / max (ms) | Redis XRANGEs, mean (ms) |`);
console.log(`|---|---|---:|---:|---:|---:|`);
let worst = 0;
for (const [name, span] of zooms) {
  const times = [], sources = new Set();
  let buckets = 0, bytes = 0, n = 0;
  await redis.slowlog('RESET');
  for (let i = 0; i <= pans; i++) {
    const now = Date.now();
    let from, to;
    if (span === null) { from = oldest; to = now; } else if (i === 0) { from = now - span; to = now; } else {
      from = oldest + Math.floor(random() * (now - span - oldest));
      to = from + span;
    }
    const r = await ask(from, to);
    if (r.m.op !== 'range') throw new Error(`range ${from}..${to}: ${JSON.stringify(r.m)}`);
    times.push(r.ms);
    sources.add(r.m.source);
    buckets += r.m.t.length;
    bytes += r.bytes;
    n++;
  }
  const log = await redis.slowlog('GET', 100000);
  const xrangeUs = log.filter((e) => String(e[3][0]).toUpperCase() === 'XRANGE').reduce((a, e) => a + Number(e[2]), 0);
  times.sort((a, b) => a - b);
  worst = Math.max(worst, times.at(-1));
  console.log(`| ${name} | ${[...sources].join(', ')} | ${Math.round(buckets / n)} | ${Math.round(bytes / n)} | ` +
    `${q(times, 0.5).toFixed(1)} / ${q(times, 0.99).toFixed(1)} / ${times.at(-1).toFixed(1)} | ${(xrangeUs / 1000 / n).toFixed(1)} |`);
}
console.log(`\nworst round trip: ${worst.toFixed(1)} ms over ${zooms.length} zooms × ${pans + 1} windows of ${points} points`);
await redis.config('SET', 'slowlog-log-slower-than', '10000');
ws.close();
redis.disconnect();
