// tests/cluster/cluster.test.js — the native topology of `make run-cluster`
// (deploy/run-cluster.sh: redis-server, tickgen, two tickgw, HAProxy with the
// shared deploy/haproxy/haproxy.cfg) on free loopback ports:
//   - 50 WebSocket clients through HAProxy land on both gateways (/metrics);
//   - one gateway is SIGKILLed; its clients reconnect through HAProxy with
//     since = their last tick and end with series equal to XRANGE: no hole,
//     no duplicate;
//   - the killed gateway is restarted (by run-cluster.sh, as compose's restart
//     policy would) and HAProxy gives it new clients;
//   - SSE streams through HAProxy resume by Last-Event-ID when the gateway
//     holding them is SIGKILLed;
//   - SIGINT to run-cluster.sh (Ctrl-C) stops every process it started.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { BUILD, Proc, ROOT, freePort, waitFor } from '../lib/procs.js';
import { readStream, checkSeries, waitStreamLength } from '../lib/redis.js';
import { ResumingClient } from './client.js';
import { SseClient } from '../lib/sse.js';

const INTERVAL = 100;
const SYMS = ['ticker_00', 'ticker_01', 'ticker_02', 'ticker_03'];
const NCLIENTS = 50;

const built = ['tickgen', 'tickgw'].every((b) => fs.existsSync(path.join(BUILD, b)));
const skip = !built && `needs ${BUILD}/tickgen and ${BUILD}/tickgw`;

let cluster, redis, varDir;
let ports = {};
const clients = [];

/** The current PID of each process run-cluster.sh reports, by name. */
function pids() {
  const out = {};
  for (const m of cluster.output.matchAll(/^run-cluster: (.+) pid (\d+)$/gm)) out[m[1]] = Number(m[2]);
  return out;
}
const gwPid = (port) => pids()[`tickgw :${port}`];

async function metric(port, name) {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  assert.equal(res.status, 200);
  const m = new RegExp(`^${name} (\\d+)$`, 'm').exec(await res.text());
  assert.ok(m, `${name} in /metrics of :${port}`);
  return Number(m[1]);
}
const conns = (port) => metric(port, 'tickgw_connections');

/** The containers' HEALTHCHECK (deploy/healthcheck.sh) against a real gateway. */
function healthcheck(port) {
  const r = spawnSync(path.join(ROOT, 'deploy/healthcheck.sh'), ['gateway', `127.0.0.1:${port}`], { encoding: 'utf8', timeout: 10000 });
  return { code: r.status, out: r.stdout };
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Every client caught up on its current connection and holding a tick at or after `t`. */
function allAt(list, t) {
  return list.every((c) => c.caughtUp && c.ws.readyState === 1 && c.last >= t);
}

/** Asserts a client's series is exactly XRANGE of its instrument over the same span. */
async function assertComplete(c, epoch) {
  assert.deepEqual(c.errors, [], `client ${c.sym} errors`);
  assert.deepEqual([...c.epochs], [epoch], 'one epoch across reconnects');
  assert.equal(checkSeries(c.series, INTERVAL), null, `client of ${c.sym}: ${checkSeries(c.series, INTERVAL)}`);
  const want = await readStream(redis, c.sym, '-', String(c.last));
  assert.equal(c.series.length, want.length, `client of ${c.sym}: ${c.series.length} ticks, XRANGE has ${want.length}`);
  assert.deepEqual(c.series, want);
}

/** Wraps a test body: on failure, shows what the cluster printed. */
function withOutput(fn) {
  return async (t) => {
    try {
      await fn(t);
    } catch (e) {
      console.error(`run-cluster output (tail):\n${cluster?.tail(8000)}`);
      throw e;
    }
  };
}

before(async () => {
  if (skip) return;
  ports = { redis: await freePort(), gw1: await freePort(), gw2: await freePort(), lb: await freePort() };
  varDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-cluster-'));
  cluster = new Proc('run-cluster', path.join(ROOT, 'deploy/run-cluster.sh'), [], {
    env: {
      BUILD,
      TS_CLUSTER_REDIS_PORT: String(ports.redis),
      TS_CLUSTER_GW_PORTS: `${ports.gw1} ${ports.gw2}`,
      TS_CLUSTER_LB_PORT: String(ports.lb),
      TS_CLUSTER_VAR: varDir,
      TS_INSTRUMENTS: String(SYMS.length),
      TS_INTERVAL_MS: String(INTERVAL),
      TS_LOG_LEVEL: 'info',
    },
  });
  await cluster.waitOutput(/^run-cluster: ready: /m, 40000);
  redis = new Redis({ host: '127.0.0.1', port: ports.redis, maxRetriesPerRequest: 3 });
});

after(async () => {
  for (const c of clients) c.stop();
  redis?.disconnect();
  if (cluster?.running) await cluster.stop('SIGTERM', 15000);
  if (varDir) fs.rmSync(varDir, { recursive: true, force: true });
});

test('cluster: 50 clients over both gateways, one SIGKILLed, all series complete, it comes back', { skip, timeout: 120000 }, withOutput(async (t) => {
  const epoch = Number(await redis.hget('ts:meta', 'epoch'));
  assert.ok(epoch > 0);
  const url = `ws://127.0.0.1:${ports.lb}/ws?format=json`;
  // Some history first, so each client's catch-up (since 0) is a real one.
  await waitStreamLength(redis, SYMS[SYMS.length - 1], 30, 10000);

  // 1. 50 clients through HAProxy; leastconn spreads them.
  for (let i = 0; i < NCLIENTS; i++) clients.push(new ResumingClient(url, SYMS[i % SYMS.length]));
  let t0 = Date.now();
  await waitFor('50 clients caught up and live', () => allAt(clients, t0), { timeout: 20000 });
  const before = [await conns(ports.gw1), await conns(ports.gw2)];
  assert.equal(before[0] + before[1], NCLIENTS, `tickgw_connections ${before} sum to ${NCLIENTS}`);
  assert.ok(before[0] >= 10 && before[1] >= 10, `both gateways serve clients: ${before}`);

  // 2. SIGKILL gateway 2: no goodbye frame, its sockets just die.
  const killed = gwPid(ports.gw2);
  assert.ok(killed && alive(killed));
  assert.deepEqual(healthcheck(ports.gw2), { code: 0, out: 'healthy: HTTP/1.1 200 OK\n' });
  const closesBefore = clients.map((c) => c.closes.length);
  process.kill(killed, 'SIGKILL');
  const tKill = Date.now();
  assert.equal(healthcheck(ports.gw2).code, 1, 'the health check sees a dead gateway');

  // 3. Its clients (and only they) are cut off, reconnect through HAProxy
  //    with since = their last tick, and go live again.
  const moved = await waitFor('the killed gateway\'s clients to be cut off', () => {
    const m = clients.filter((c, i) => c.closes.length > closesBefore[i]);
    return m.length === before[1] && m;
  }, { timeout: 10000 });
  await waitFor('every client live again after the kill', () => allAt(clients, tKill + 15 * INTERVAL), { timeout: 20000 });
  for (const c of moved) assert.ok(c.connects >= 2, 'a moved client connected again');
  t.diagnostic(`before the kill ${before.join(' + ')} connections; ${moved.length} moved in ${Date.now() - tKill} ms; ` +
    `the surviving gateway has ${await conns(ports.gw1)}`);
  assert.equal(clients.filter((c, i) => c.closes.length > closesBefore[i]).length, before[1],
    'clients of the surviving gateway stayed connected');

  // 4. run-cluster.sh restarts the gateway; HAProxy sees it healthy again
  //    and, with leastconn, hands it the next clients.
  await waitFor('the killed gateway to be restarted', () => gwPid(ports.gw2) !== killed && gwPid(ports.gw2), { timeout: 10000 });
  await waitFor('the restarted gateway to be ready', async () => (await fetch(`http://127.0.0.1:${ports.gw2}/readyz`)).status === 200, { timeout: 15000, every: 100 });
  assert.equal(await conns(ports.gw2), 0, 'a restarted gateway starts empty');
  // HAProxy needs `rise 2` good checks (downinter 1 s) before it sends traffic.
  const fresh = [];
  await waitFor('HAProxy to send new clients to the restarted gateway', async () => {
    const c = new ResumingClient(url, SYMS[fresh.length % SYMS.length]);
    fresh.push(c);
    clients.push(c);
    await waitFor('a new client to catch up', () => c.caughtUp, { timeout: 5000 });
    return (await conns(ports.gw2)) > 0;
  }, { timeout: 15000, every: 300 });
  t0 = Date.now();
  await waitFor('all clients live at the end', () => allAt(clients, t0), { timeout: 20000 });

  // 5. Every series — moved, stayed, new — is exactly the stream.
  for (const c of clients) c.stop();
  for (const c of clients) await assertComplete(c, epoch);
  const lens = clients.map((c) => c.series.length);
  t.diagnostic(`${clients.length} series complete, ${Math.min(...lens)}..${Math.max(...lens)} ticks each; ` +
    `${fresh.length} new client(s) until one reached the restarted gateway`);
  await waitFor('both gateways to count the closes', async () => (await conns(ports.gw1)) + (await conns(ports.gw2)) === 0, { timeout: 5000 });
}));

test('cluster: SSE streams through HAProxy, the gateway holding them SIGKILLed, resumed by Last-Event-ID', { skip, timeout: 90000 }, withOutput(async (t) => {
  await waitFor('both gateways ready', async () => (await Promise.all([ports.gw1, ports.gw2].map((p) => fetch(`http://127.0.0.1:${p}/readyz`).then((r) => r.status, () => 0)))).every((s) => s === 200), { timeout: 20000, every: 200 });
  const since = Date.now() - 20 * INTERVAL;
  const streams = [];
  for (let i = 0; i < 8; i++) {
    const syms = [SYMS[i % SYMS.length], SYMS[(i + 1) % SYMS.length]];
    const c = new SseClient(`http://127.0.0.1:${ports.lb}/sse?sym=${syms.join(',')}&since=${since}`, { reconnect: 200 });
    c.syms = syms;
    streams.push(c);
  }
  const liveOn = (c, conn) => c.events.filter((e) => e.conn === conn && e.type === 'live').length === c.syms.length;
  try {
    await waitFor('8 streams live', () => streams.every((c) => c.connects === 1 && liveOn(c, 1)), { timeout: 20000 });
    const counts = [await conns(ports.gw1), await conns(ports.gw2)];
    const victim = counts[0] >= counts[1] ? ports.gw1 : ports.gw2;
    const pid = gwPid(victim);
    assert.ok(pid && alive(pid) && Math.max(...counts) > 0, `streams per gateway ${counts}`);
    process.kill(pid, 'SIGKILL');
    const tKill = Date.now();
    const moved = await waitFor('the killed gateway\'s streams to reconnect and go live', () => {
      const m = streams.filter((c) => c.connects >= 2);
      return m.length === Math.max(...counts) && m.every((c) => liveOn(c, c.connects)) && m;
    }, { timeout: 30000, every: 50 });
    const t0 = Date.now();
    await waitFor('every stream past now', () => streams.every((c) => c.syms.every((s) => (c.series(s).at(-1)?.t ?? 0) > t0)), { timeout: 10000 });
    t.diagnostic(`${moved.length} of 8 SSE streams moved in ${Date.now() - tKill} ms`);
  } finally {
    for (const c of streams) c.stop();
  }
  for (const c of streams) {
    assert.deepEqual(c.statuses.filter((s) => s !== 200), [], 'no refused attempt through HAProxy');
    for (const sym of c.syms) {
      const series = c.series(sym);
      assert.equal(checkSeries(series, INTERVAL), null, `${sym}: ${checkSeries(series, INTERVAL)}`);
      const want = await readStream(redis, sym, `(${since}`, String(series.at(-1).t));
      assert.equal(series.length, want.length, `${sym}: ${series.length} ticks, XRANGE has ${want.length}`);
      assert.deepEqual(series, want);
    }
  }
}));

test('cluster: Ctrl-C (SIGINT) to run-cluster.sh stops everything it started', { skip, timeout: 30000 }, withOutput(async () => {
  const started = Object.values(pids());
  assert.ok(started.length >= 6, `run-cluster reported ${started.length} processes`);
  redis.disconnect();
  await cluster.stop('SIGINT', 15000);
  assert.equal(cluster.signal, null, 'run-cluster.sh exited by itself, not by the fallback SIGKILL');
  await waitFor('every process of the cluster to be gone', () => started.every((p) => !alive(p)), { timeout: 5000 });
  assert.match(cluster.output, /^run-cluster: stopped$/m);
}));
