// bench/candlefan-client.mjs — the client half of bench/candlefan.sh: N
// WebSocket clients (JSON) subscribed to ticker_00, as live candles of WIDTH
// or as ticks ("ticks"), from 5 s ago; once every one has its history, the
// gateway's CPU time (/proc/PID/stat, utime + stime) over SECS s divided by
// the candle or tick messages received. Prints one JSON line.
//
// node bench/candlefan-client.mjs PORT N WIDTH|ticks SECS GATEWAY_PID
import { createRequire } from 'node:module';
import fs from 'node:fs';
const require = createRequire(process.cwd() + '/');
const WebSocket = require('ws');
const [port, n, width, secs, pid] = process.argv.slice(2);
const ticks = width === 'ticks';
const tck = 100; // clock ticks per second of /proc's times (Linux's USER_HZ)
const cpuMs = () => {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / tck;
};
let got = 0, ready = 0;
const socks = [];
for (let i = 0; i < Number(n); i++) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?format=json`);
  let live = false;
  ws.on('open', () => ws.send(JSON.stringify({ op: 'sub', sym: 'ticker_00', since: Date.now() - 5000, ...(ticks ? {} : { width }) })));
  ws.on('message', (d) => {
    const m = JSON.parse(d.toString());
    if (!live && (m.op === 'candles' || m.op === 'hist') && !m.more) {
      live = true;
      ready++;
    } else if (live) got += m.op === 'hist' ? m.p.length : 1; // a coalesced run counts its ticks
  });
  socks.push(ws);
}
const t0 = Date.now();
while (ready < Number(n) && Date.now() - t0 < 30000) await new Promise((r) => setTimeout(r, 50));
await new Promise((r) => setTimeout(r, 1000));
const c0 = cpuMs(), g0 = got;
await new Promise((r) => setTimeout(r, Number(secs) * 1000));
const c1 = cpuMs(), g1 = got;
console.log(JSON.stringify({ clients: Number(n), ready, what: ticks ? 'ticks' : `candles ${width}`, messages: g1 - g0, gateway_cpu_ms: c1 - c0, us_per_message: +(((c1 - c0) * 1000) / (g1 - g0)).toFixed(2) }));
for (const ws of socks) ws.terminate();
