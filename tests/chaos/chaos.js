// tests/chaos/chaos.js — the whole topology under random SIGKILLs.
//
// Redis (AOF, appendfsync always: what Redis acknowledged is on disk before
// the generator hears OK), the generator, two gateways and HAProxy (the
// shared deploy/haproxy/haproxy.cfg, rendered by deploy/haproxy/render.sh),
// all on free loopback ports; N resuming WebSocket clients through HAProxy
// (tests/cluster/client.js: on any close they reconnect with since = their
// last tick). For `seconds`, every `everyMs` (± half) one random part is
// SIGKILLed and started again after a short random pause, on the same port
// (Redis on the same data directory). Then the faults stop, every client must
// be live again, and each client's series must equal XRANGE of its
// instrument over the span it watched: 0 holes, 0 duplicates, 0 wrong prices.
//
// `make chaos` (tests/chaos/run.js) runs it long; tests/chaos/chaos.test.js
// runs it short inside `make test`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { BUILD, Proc, ROOT, freePort, waitFor } from '../lib/procs.js';
import { readStream, checkSeries } from '../lib/redis.js';
import { ResumingClient } from '../cluster/client.js';

const PARTS = ['redis', 'tickgen', 'gw1', 'gw2', 'haproxy'];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Runs the chaos; resolves a summary, throws with the first broken series. */
export async function runChaos({ seconds = 60, clients: nclients = 100, everyMs = 3000, intervalMs = 100,
  instruments = 8, seed = Date.now(), log = () => {} } = {}) {
  let rnd = seed >>> 0; // xorshift32: a failing run can be replayed with its seed
  const random = () => {
    rnd ^= rnd << 13; rnd >>>= 0; rnd ^= rnd >>> 17; rnd ^= rnd << 5; rnd >>>= 0;
    return rnd / 4294967296;
  };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-chaos-'));
  const port = { redis: await freePort(), gw1: await freePort(), gw2: await freePort(), lb: await freePort() };
  const redisUrl = `redis://127.0.0.1:${port.redis}`;
  const procs = {};
  const env = { TS_INSTRUMENTS: String(instruments), TS_INTERVAL_MS: String(intervalMs), TS_LOG_LEVEL: 'warn' };
  const starters = {
    redis: () => new Proc('redis-server', 'redis-server', ['--port', String(port.redis), '--bind', '127.0.0.1',
      '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--daemonize', 'no']),
    tickgen: () => new Proc('tickgen', path.join(BUILD, 'tickgen'), ['--redis', redisUrl], { env }),
    gw1: () => new Proc('tickgw :1', path.join(BUILD, 'tickgw'), ['--listen', `127.0.0.1:${port.gw1}`, '--redis', redisUrl, '--threads', '2'], { env }),
    gw2: () => new Proc('tickgw :2', path.join(BUILD, 'tickgw'), ['--listen', `127.0.0.1:${port.gw2}`, '--redis', redisUrl, '--threads', '2'], { env }),
    haproxy: () => new Proc('haproxy', 'haproxy', ['-db', '-f', path.join(dir, 'haproxy.cfg')]),
  };
  const ready = {
    redis: () => procs.redis.waitOutput(/Ready to accept connections/, 15000),
    tickgen: () => Promise.resolve(),
    gw1: () => waitFor('gateway 1 listening', async () => (await fetch(`http://127.0.0.1:${port.gw1}/healthz`)).ok, { timeout: 15000 }),
    gw2: () => waitFor('gateway 2 listening', async () => (await fetch(`http://127.0.0.1:${port.gw2}/healthz`)).ok, { timeout: 15000 }),
    haproxy: () => waitFor('haproxy listening', async () => (await fetch(`http://127.0.0.1:${port.lb}/healthz`)).ok, { timeout: 15000 }),
  };
  const start = async (part) => {
    procs[part] = starters[part]();
    await ready[part]();
  };
  const render = new Proc('render.sh', path.join(ROOT, 'deploy/haproxy/render.sh'),
    ['-b', `127.0.0.1:${port.lb}`, `127.0.0.1:${port.gw1}`, `127.0.0.1:${port.gw2}`]);
  await render.exited;
  fs.writeFileSync(path.join(dir, 'haproxy.cfg'), render.output);

  const clients = [];
  let redis;
  const faults = Object.fromEntries(PARTS.map((p) => [p, 0]));
  try {
    for (const p of PARTS) await start(p);
    redis = new Redis({ host: '127.0.0.1', port: port.redis, maxRetriesPerRequest: 20, retryStrategy: () => 200 });
    redis.on('error', () => {});
    await waitFor('the generator to write ts:meta', async () => Number(await redis.hget('ts:meta', 'epoch')) > 0, { timeout: 15000 });
    const epoch = Number(await redis.hget('ts:meta', 'epoch'));
    await waitFor('gateways ready', async () => (await fetch(`http://127.0.0.1:${port.lb}/readyz`)).ok, { timeout: 15000 });
    const url = `ws://127.0.0.1:${port.lb}/ws?format=json`;
    for (let i = 0; i < nclients; i++) {
      clients.push(new ResumingClient(url, `ticker_${String(i % instruments).padStart(2, '0')}`));
    }
    const t0 = Date.now();
    await waitFor(`${nclients} clients live`, () => clients.every((c) => c.caughtUp && c.last >= t0), { timeout: 30000 });
    log(`chaos: seed ${seed}: redis, tickgen, 2 gateways, haproxy and ${nclients} clients up; faults for ${seconds} s`);

    // Faults: one random part at a time; it comes back after 0.2-1.5 s.
    const until = Date.now() + seconds * 1000;
    while (Date.now() < until) {
      await sleep(everyMs / 2 + random() * everyMs);
      const part = PARTS[Math.floor(random() * PARTS.length)];
      await procs[part].stop('SIGKILL');
      faults[part]++;
      log(`chaos: ${((Date.now() - t0) / 1000).toFixed(1)} s: kill -9 ${part}`);
      await sleep(200 + random() * 1300);
      await start(part);
    }

    // The end: every part up, every client live after the last fault.
    const tEnd = Date.now();
    await waitFor('gateways ready after the faults', async () =>
      (await fetch(`http://127.0.0.1:${port.gw1}/readyz`)).ok && (await fetch(`http://127.0.0.1:${port.gw2}/readyz`)).ok,
    { timeout: 30000, every: 200 });
    await waitFor('every client live after the faults', () =>
      clients.every((c) => c.caughtUp && c.ws.readyState === 1 && c.last >= tEnd + 5 * intervalMs), { timeout: 60000, every: 100 });
    for (const c of clients) c.stop();

    // Every series = XRANGE over its span: the stream from its start to the client's last tick.
    let ticks = 0, reconnects = 0;
    for (const c of clients) {
      const who = `client of ${c.sym}`;
      if (c.errors.length) throw new Error(`${who}: ${c.errors.join('; ')}`);
      if (c.epochs.size !== 1 || !c.epochs.has(epoch)) throw new Error(`${who}: epochs ${[...c.epochs]}, want ${epoch}`);
      const bad = checkSeries(c.series, intervalMs);
      if (bad) throw new Error(`${who}: ${bad}`);
      const want = await readStream(redis, c.sym, '-', String(c.last));
      if (want.length !== c.series.length || want.some((w, i) => w.t !== c.series[i].t || w.p !== c.series[i].p)) {
        const i = want.findIndex((w, k) => !c.series[k] || w.t !== c.series[k].t || w.p !== c.series[k].p);
        throw new Error(`${who}: ${c.series.length} ticks, XRANGE has ${want.length}; first difference at ${i}: ` +
          `got ${JSON.stringify(c.series[i])}, XRANGE ${JSON.stringify(want[i])}`);
      }
      ticks += c.series.length;
      reconnects += c.connects - 1;
    }
    const total = Object.values(faults).reduce((a, b) => a + b, 0);
    const summary = { seed, seconds, clients: nclients, faults, total, reconnects, ticks, holes: 0, duplicates: 0, wrong: 0 };
    log(`chaos: survived ${total} faults (${PARTS.map((p) => `${p} ${faults[p]}`).join(', ')}); ` +
      `${nclients} clients reconnected ${reconnects} times; ${ticks} ticks checked against XRANGE: 0 holes, 0 duplicates, 0 wrong prices`);
    return summary;
  } catch (e) {
    e.message += `\n(seed ${seed}; faults ${JSON.stringify(faults)})\n` +
      PARTS.map((p) => `--- ${p} (tail)\n${procs[p]?.tail(1500) ?? ''}`).join('\n');
    throw e;
  } finally {
    for (const c of clients) c.stop();
    redis?.disconnect();
    for (const p of [...PARTS].reverse()) await procs[p]?.stop('SIGTERM', 5000).catch(() => {});
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
