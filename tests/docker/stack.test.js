// tests/docker/stack.test.js — docker-compose.yml for real, on the images of
// `make images` (built from the Debian mirror alone), under a unique project
// name with the load balancer on a free port of 127.0.0.1:
//   - `docker-compose up -d --scale gateway=3`: every container healthy,
//     the page and /readyz through HAProxy;
//   - 100 WebSocket clients through HAProxy while gateways, the generator
//     and Redis are SIGKILLed at random from the host (the restart policy
//     brings each back) for TS_DOCKER_CHAOS_S seconds (20 in `make test`;
//     `make test-docker-long` runs 60); at the end every client's series
//     equals XRANGE read with `docker-compose exec redis ts-cli` (redis-cli as
//     the read-only user): no hole, no duplicate;
//   - the ACL users are in force (the gateway's user cannot write), and the
//     second generator waits as a standby;
//   - `docker-compose down` then `up` keeps the history (volume redis-data),
//     and a gateway started under a low TS_NOFILE says so in its log.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../lib/procs.js';
import { checkSeries } from '../lib/redis.js';
import { ResumingClient } from '../cluster/client.js';
import { Stack, buildImages, must, teardown, useEngine } from './engine.js';

const INTERVAL = 200;
const SYMS = Array.from({ length: 10 }, (_, i) => `ticker_0${i}`);
const NCLIENTS = 100;
const CHAOS_S = Number(process.env.TS_DOCKER_CHAOS_S || 20);

let engine, stack;
const clients = [];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  engine = await useEngine();
  await buildImages();
  stack = await Stack.create({ TS_INSTRUMENTS: String(SYMS.length), TS_INTERVAL_MS: String(INTERVAL) });
});

after(() => teardown({ clients, stack, engine }));

/** On failure, shows the tail of every service's log. */
function withLogs(fn) {
  return async (t) => {
    try {
      await fn(t);
    } catch (e) {
      if (stack) console.error(`docker-compose logs (tail):\n${await stack.logs('', 30)}`);
      throw e;
    }
  };
}

const url = () => `ws://127.0.0.1:${stack.port}/ws?format=json`;
const allAt = (list, t) => list.every((c) => c.caughtUp && c.ws.readyState === 1 && c.last >= t);
// ts-cli is the gateways' read-only user: HGETALL and XRANGE, not HGET or XLEN.
const epochOf = async () => {
  const kv = (await stack.redisCli('HGETALL', 'ts:meta')).split('\n');
  return Number(kv[kv.indexOf('epoch') + 1]);
};
const xlen = async (sym) => (await stack.xrange(sym)).length;

/** GET on a gateway's own port from inside its container (bash's /dev/tcp): its /metrics. */
async function gatewayConnections(id) {
  const out = await must('docker', ['exec', id, 'bash', '-c',
    'exec 3<>/dev/tcp/127.0.0.1/8080 && printf "GET /metrics HTTP/1.0\\r\\n\\r\\n" >&3 && cat <&3']);
  const m = /^tickgw_connections (\d+)/m.exec(out);
  assert.ok(m, `tickgw_connections in /metrics of ${id}`);
  return Number(m[1]);
}

/** A client's series is exactly the stream up to its last tick. */
function assertComplete(c, stream, epoch) {
  assert.deepEqual(c.errors, [], `client of ${c.sym}: errors`);
  assert.deepEqual([...c.epochs], [epoch], `client of ${c.sym}: one epoch across reconnects`);
  const gap = checkSeries(c.series, INTERVAL);
  assert.equal(gap, null, `client of ${c.sym}: ${gap}`);
  const want = stream.filter((e) => e.t <= c.last);
  assert.equal(c.series.length, want.length, `client of ${c.sym}: ${c.series.length} ticks, XRANGE has ${want.length}`);
  assert.deepEqual(c.series, want, `client of ${c.sym}: series differs from XRANGE`);
}

test('docker-compose up -d --scale gateway=3: every container healthy, the page through HAProxy on 127.0.0.1', { timeout: 180000 }, withLogs(async (t) => {
  const t0 = Date.now();
  await stack.must(['up', '-d', '--scale', 'gateway=3']);
  await waitFor('every container running and healthy', () => stack.healthy(), { timeout: 120000, every: 1000 });
  t.diagnostic(`stack up and healthy in ${Math.round((Date.now() - t0) / 1000)} s`);
  assert.equal((await stack.containers('gateway')).length, 3);
  await waitFor('HAProxy to answer /readyz', async () => (await fetch(`http://127.0.0.1:${stack.port}/readyz`)).status === 200, { timeout: 30000, every: 500 });
  const page = await fetch(`http://127.0.0.1:${stack.port}/`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<html/i);
  const cfg = await (await fetch(`http://127.0.0.1:${stack.port}/api/config`)).json();
  assert.equal(cfg.instruments.length, SYMS.length);
  assert.equal(cfg.interval_ms, INTERVAL);
  // The compose defaults fit each other: no open-files warning from tickgw.
  assert.doesNotMatch(await stack.logs('gateway', 200), /open files limit|--max-conns lowered/);
  // Least privilege: the read-only user of ts-cli (the gateways') writes nothing.
  assert.match(await stack.redisCli('SET', 'ts:lease:generator', 'me'), /NOPERM/);
  // Two generators: one takes the lease, the other waits as a standby.
  const genLogs = (await stack.logs('generator', 200)) + (await stack.logs('generator-standby', 200));
  assert.match(genLogs, /role: leader/);
  assert.match(genLogs, /role: standby/);
}));

test(`100 clients through HAProxy; gateways, generator and Redis SIGKILLed at random for ${CHAOS_S} s; every series equals XRANGE`, { timeout: 300000 + CHAOS_S * 1000 }, withLogs(async (t) => {
  const epoch = await epochOf();
  assert.ok(epoch > 0);
  // Some history first, so the clients' catch-ups (since 0) are real ones.
  await waitFor('20 ticks in the last stream', async () => (await xlen(SYMS.at(-1))) >= 20, { timeout: 30000, every: 500 });

  for (let i = 0; i < NCLIENTS; i++) clients.push(new ResumingClient(url(), SYMS[i % SYMS.length]));
  let t0 = Date.now();
  await waitFor(`${NCLIENTS} clients caught up and live`, () => allAt(clients, t0), { timeout: 30000 });
  const gateways = await stack.containers('gateway');
  const spread = [];
  for (const g of gateways) spread.push(await gatewayConnections(g.id));
  t.diagnostic(`clients per gateway: ${spread.join(' + ')}`);
  assert.equal(spread.reduce((a, b) => a + b, 0), NCLIENTS);
  assert.ok(spread.every((n) => n > 0), `HAProxy spreads the clients over the 3 gateways: ${spread}`);

  // Kill in rounds of the three kinds in random order, so each is hit.
  const kinds = ['gateway', 'generator', 'redis'];
  const kills = [];
  const restartsBefore = new Map();
  let round = [];
  const tEnd = Date.now() + CHAOS_S * 1000;
  while (Date.now() < tEnd) {
    if (round.length === 0) round = [...kinds].sort(() => Math.random() - 0.5);
    const kind = round.pop();
    const list = await stack.containers(kind);
    const c = list[Math.floor(Math.random() * list.length)];
    const before = await Stack.state(c.id);
    if (!restartsBefore.has(c.name)) restartsBefore.set(c.name, before.restarts);
    if (await Stack.kill(c.id)) kills.push({ name: c.name, id: c.id, at: Date.now() });
    await sleep(2000 + Math.random() * 2000);
  }
  const tKill = Date.now();
  t.diagnostic(`${kills.length} SIGKILLs: ${kills.map((k) => k.name.replace(`${stack.project}_`, '')).join(', ')}`);
  for (const kind of kinds) assert.ok(kills.some((k) => k.name.includes(`_${kind}_`)), `a ${kind} was killed`);

  // The restart policy brings every killed container back, healthy.
  await waitFor('every container running and healthy after the kills', () => stack.healthy(), { timeout: 120000, every: 1000 });
  for (const [name, n] of restartsBefore) {
    const id = kills.find((k) => k.name === name).id;
    const want = n + kills.filter((k) => k.name === name).length;
    assert.ok((await Stack.state(id)).restarts >= want, `${name} was restarted after each kill (${want - n})`);
  }
  t.diagnostic(`healthy again ${Math.round((Date.now() - tKill) / 1000)} s after the last kill`);
  t0 = Date.now();
  await waitFor('every client live again', () => allAt(clients, t0 + 5 * INTERVAL), { timeout: 90000, every: 100 });

  for (const c of clients) c.stop();
  let ticks = 0;
  for (const sym of SYMS) {
    const stream = await stack.xrange(sym);
    for (const c of clients.filter((x) => x.sym === sym)) {
      assertComplete(c, stream, epoch);
      ticks += c.series.length;
    }
  }
  const reconnects = clients.reduce((a, c) => a + c.connects - 1, 0);
  t.diagnostic(`${NCLIENTS} series equal XRANGE (${ticks} ticks in all) after ${reconnects} reconnects`);
}));

test('docker-compose down then up keeps the history (volume redis-data); TS_NOFILE below --max-conns is logged', { timeout: 240000 }, withLogs(async () => {
  const sym = SYMS[0];
  const epoch = await epochOf();
  const first = (await stack.xrange(sym, '-', '+')).slice(0, 3);
  const len = await xlen(sym);
  assert.ok(len > 0);

  await stack.must(['down']);
  assert.equal((await stack.must(['ps', '-q'])).trim(), '', 'down removes the containers');
  stack.settings.TS_NOFILE = '4096';
  await stack.must(['up', '-d']);
  await waitFor('every container running and healthy after down/up', () => stack.healthy(), { timeout: 120000, every: 1000 });

  assert.equal(await epochOf(), epoch, 'the same history (epoch) after down/up');
  assert.deepEqual((await stack.xrange(sym, '-', '+')).slice(0, 3), first, 'the oldest ticks are still there');
  assert.ok((await xlen(sym)) >= len);

  const [gw] = await stack.containers('gateway');
  assert.equal((await must('docker', ['exec', gw.id, 'bash', '-c', 'ulimit -Sn; ulimit -Hn'])).trim(), '4096\n4096');
  assert.match(await stack.logs('gateway', 200), /open files limit 4096 \(hard limit 4096\) holds \d+ connections .*--max-conns lowered from 16000 to \d+/);

  // The whole kept history, through HAProxy, equals XRANGE.
  await waitFor('HAProxy to answer /readyz', async () => (await fetch(`http://127.0.0.1:${stack.port}/readyz`)).status === 200, { timeout: 30000, every: 500 });
  const c = new ResumingClient(url(), sym);
  clients.push(c);
  const t0 = Date.now();
  await waitFor('a client since 0 to catch up', () => allAt([c], t0), { timeout: 30000 });
  c.stop();
  assertComplete(c, await stack.xrange(sym), epoch);
  assert.deepEqual(c.series.slice(0, 3), first);
}));
