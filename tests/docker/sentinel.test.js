// tests/docker/sentinel.test.js — docker-compose.yml with
// docker-compose.sentinel.yml for real, on the images of `make images`:
// Redis, its replica and three sentinels (each with its ACL user and
// password), two generators and two gateways behind HAProxy, 20 WebSocket
// clients. `docker-compose kill redis` (the master; a kill by hand, so it
// stays down): the sentinels promote redis-replica, the daemons move to it,
// and every client's series equals XRANGE read on the new master: no hole,
// no duplicate. Bounded: sentinels' down-after 2 s, one failover.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../lib/procs.js';
import { checkSeries } from '../lib/redis.js';
import { ResumingClient } from '../cluster/client.js';
import { Stack, buildImages, teardown, useEngine } from './engine.js';

const INTERVAL = 200;
const SYMS = Array.from({ length: 5 }, (_, i) => `ticker_0${i}`);
const NCLIENTS = 20;

let engine, stack;
const clients = [];

before(async () => {
  engine = await useEngine();
  await buildImages();
  stack = await Stack.create({ TS_INSTRUMENTS: String(SYMS.length), TS_INTERVAL_MS: String(INTERVAL), TS_SENTINEL_DOWN_AFTER: '2000' },
    { files: ['docker-compose.yml', 'docker-compose.sentinel.yml'] });
});

after(() => teardown({ clients, stack, engine }));

const url = () => `ws://127.0.0.1:${stack.port}/ws?format=json`;
/** The master's address as sentinel-1 names it (asked with the sentinels' password). */
const masterAddr = async () => (await stack.must(['exec', '-T', 'sentinel-1', 'sh', '-c',
  'REDISCLI_AUTH="$TS_SENTINEL_PASSWORD" redis-cli -p 26379 SENTINEL get-master-addr-by-name mymaster'])).trim();
const allAt = (t) => clients.every((c) => c.caughtUp && c.ws.readyState === 1 && c.last >= t);

test('docker-compose.sentinel.yml: kill the master; the sentinels promote the replica, the daemons follow, every series equals XRANGE on it', { timeout: 600000 }, async (t) => {
  try {
    const t0 = Date.now();
    await stack.must(['up', '-d', '--scale', 'gateway=2']);
    await waitFor('every container running and healthy', () => stack.healthy(), { timeout: 180000, every: 1000 });
    t.diagnostic(`stack up and healthy in ${Math.round((Date.now() - t0) / 1000)} s`);
    assert.equal((await stack.containers('sentinel-3')).length, 1);
    await waitFor('10 ticks on the master', async () => (await stack.xrange(SYMS.at(-1))).length >= 10, { timeout: 30000, every: 500 });
    await waitFor('the replica in sync', async () => (await stack.xrange(SYMS.at(-1), '-', '+', 'redis-replica')).length >= 10, { timeout: 30000, every: 500 });

    for (let i = 0; i < NCLIENTS; i++) clients.push(new ResumingClient(url(), SYMS[i % SYMS.length]));
    await waitFor(`${NCLIENTS} clients caught up and live`, () => allAt(Date.now() - INTERVAL), { timeout: 30000 });

    const before = await masterAddr();
    const killedAt = Date.now();
    await stack.must(['kill', 'redis']);
    await waitFor('the sentinels to name another master', async () => (await masterAddr()) !== before, { timeout: 60000, every: 250 });
    const promotedAt = Date.now();
    await waitFor('a tick written on the promoted replica', async () => {
      const s = await stack.xrange(SYMS[0], String(promotedAt), '+', 'redis-replica');
      return s.length > 0;
    }, { timeout: 60000, every: 250 });
    const movedAt = Date.now();
    await waitFor('every client live on it', () => allAt(movedAt), { timeout: 60000, every: 100 });
    t.diagnostic(`after the kill of the master: the sentinels name the replica ${promotedAt - killedAt} ms, ` +
      `a tick written on it ${movedAt - killedAt} ms, every client live ${Date.now() - killedAt} ms`);

    for (const c of clients) c.stop();
    for (const sym of SYMS) {
      const stream = await stack.xrange(sym, '-', '+', 'redis-replica');
      assert.equal(checkSeries(stream, INTERVAL, { steps: false }), null, `${sym} on the new master: ${checkSeries(stream, INTERVAL, { steps: false })}`);
      for (const c of clients.filter((x) => x.sym === sym)) {
        assert.deepEqual(c.errors, [], `client of ${sym}: errors`);
        assert.equal(checkSeries(c.series, INTERVAL), null, `client of ${sym}: ${checkSeries(c.series, INTERVAL)}`);
        assert.deepEqual(c.series, stream.filter((e) => e.t <= c.last), `client of ${sym}: series differs from XRANGE on the new master`);
      }
    }
    const logs = (await stack.logs('generator', 300)) + (await stack.logs('generator-standby', 300)) + (await stack.logs('gateway', 300));
    assert.match(logs, /failover: .*names \S+ as master mymaster/, 'the daemons log the failover');
    assert.doesNotMatch(logs, /refused AUTH|WRONGPASS|NOPERM/);
    // Nothing crashed on the way: no daemon container was restarted.
    for (const service of ['generator', 'generator-standby', 'gateway']) {
      for (const c of await stack.containers(service)) assert.equal((await Stack.state(c.id)).restarts, 0, `${c.name} was restarted`);
    }
  } catch (e) {
    if (stack) console.error(`docker-compose logs (tail):\n${await stack.logs('', 40)}`);
    throw e;
  }
});
