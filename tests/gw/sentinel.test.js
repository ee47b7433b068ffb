// tests/gw/sentinel.test.js — Redis Sentinel failover under live ticks
// (docs/REDIS.md, "Sentinel failover"): a master, a replica, three
// redis-sentinel, one tickgen and two tickgw, all given the same
// redis-sentinel:// URL, clients of both gateways subscribed from the start.
// kill -9 the master while ticks flow. After the sentinels promote the
// replica, the generator and the gateways find it by asking the sentinels
// again; then every client's series has no hole and no duplicate and equals
// the new master's streams, and those streams are one unbroken run of the
// seeded walk (the ticks the old master accepted but had not replicated were
// written again, identical). Prints the failover times for
// docs/PERFORMANCE.md.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGenerator, waitFor } from '../lib/procs.js';
import { RedisServer, RedisSentinel, checkSeries, readStream, sentinelUrl } from '../lib/redis.js';
import { WsClient, metrics, startGateway, stopStack } from '../lib/gateway.js';
import { walkError } from '../lib/walk.js';

const IV = 100;
const N = 8;
const NAMES = Array.from({ length: N }, (_, i) => `ticker_0${i}`);

let master, replica, gen, newClient;
const sentinels = [];
const gateways = [];
const clients = [];

after(async () => {
  await stopStack({ clients, gateways, procs: [gen], client: newClient });
  for (const s of sentinels) await s.stop();
  await replica?.stop();
  await master?.stop();
});

const head = async (c) => Number(((await c.xrevrange('ts:tick:{ticker_00}', '+', '-', 'COUNT', 1))[0]?.[0] || '0-0').split('-')[0]);

test('kill -9 of the master: the sentinels promote the replica, no client sees a hole or a duplicate', { timeout: 60000 }, async () => {
  master = await RedisServer.start({ aof: false });
  replica = await RedisServer.start({ aof: false, args: ['--replicaof', '127.0.0.1', String(master.port)] });
  for (let i = 0; i < 3; i++) sentinels.push(await RedisSentinel.start(master.port));
  const url = sentinelUrl(sentinels);
  const mc = master.client();
  // The sentinels must know each other and the replica before a failover can happen.
  await waitFor('the sentinels to know each other and the replica', async () => {
    for (const s of sentinels) {
      if ((await s.client.call('SENTINEL', 'sentinels', 'mymaster')).length !== 2) return false;
      if ((await s.client.call('SENTINEL', 'replicas', 'mymaster')).length !== 1) return false;
    }
    return true;
  }, { timeout: 20000, every: 100 });

  gen = startGenerator(url, ['--interval-ms', String(IV), '--instruments', String(N), '--rollups', '1s:1h']);
  await gen.waitOutput(/names 127\.0\.0\.1:\d+ as master mymaster/);
  await waitFor('20 ticks', async () => (await mc.xlen('ts:tick:{ticker_00}')) >= 20);
  for (let g = 0; g < 2; g++) gateways.push(await startGateway(url));
  for (const [i, sym] of NAMES.entries()) {
    const c = await WsClient.open(gateways[i % 2].ws, { json: i % 3 === 0 });
    c.sub(sym, 0);
    clients.push(c);
  }
  await Promise.all(clients.map((c, i) => c.waitLive(NAMES[i], 10)));
  await waitFor('the replica to be in sync', async () => /slave0:.*state=online/.test(await mc.info('replication')));
  const m0 = await metrics(gateways[0]);

  // kill -9 during live ticks: whatever the master had not yet replicated is lost with it.
  const killedAt = Date.now();
  await master.kill();
  mc.disconnect();
  const readyz = await waitFor('/readyz to name the failover', async () => {
    const r = await fetch(`${gateways[0].http}/readyz`);
    return r.status === 503 && (await r.text());
  }, { timeout: 10000 });
  assert.match(readyz, /failover of master mymaster/, 'the 503 says a failover is under way');
  await waitFor('the sentinels to name the replica', async () => (await sentinels[0].masterPort()) === replica.port, { timeout: 20000, every: 50 });
  const promotedAt = Date.now();
  newClient = replica.client();
  await waitFor('a tick written on the new master', async () => (await head(newClient)) >= killedAt, { timeout: 20000 });
  const firstTickAt = Date.now();
  await waitFor('every client live again', () => clients.every((c, i) => c.series(NAMES[i]).some((x) => x.t >= firstTickAt - IV)), { timeout: 20000, every: 10 });
  const liveAt = Date.now();
  for (const g of gateways) await waitFor('/readyz 200 again', async () => (await fetch(`${g.http}/readyz`)).status === 200, { timeout: 10000 });

  // A few more ticks, then stop writing and compare.
  const resumed = await head(newClient);
  await waitFor('10 more ticks', async () => (await head(newClient)) >= resumed + 10 * IV, { timeout: 10000 });
  await gen.stop('SIGTERM');
  const last = await head(newClient);
  await waitFor('every client to have the last tick', () => clients.every((c, i) => c.series(NAMES[i]).at(-1)?.t === last), { timeout: 10000 });

  assert.match(gen.output, /failover: sentinel 127\.0\.0\.1:\d+ names 127\.0\.0\.1:\d+ as master mymaster/, 'the generator logs the failover');
  for (const [i, name] of NAMES.entries()) {
    const s = await readStream(newClient, name);
    assert.equal(checkSeries(s, IV, { steps: false }), null, `new master's ${name}: ${checkSeries(s, IV, { steps: false })}`);
    assert.equal(walkError(s, i, IV), null, `new master's ${name} is not the seeded walk: ${walkError(s, i, IV)}`);
    const got = clients[i].series(name);
    assert.equal(checkSeries(got, IV), null, `client of ${name}: ${checkSeries(got, IV)}`);
    assert.deepEqual(got.map(({ t, p }) => ({ t, p })), s.slice(0, got.length), `client of ${name} differs from the new master's stream`);
  }
  const m1 = await metrics(gateways[0]);
  assert.ok(m1.tickgw_redis_failovers_total > m0.tickgw_redis_failovers_total, 'tickgw_redis_failovers_total counts it');
  console.log(`# failover (ms after kill -9): sentinels name the replica ${promotedAt - killedAt}, first tick on the new master ${firstTickAt - killedAt}, every client live ${liveAt - killedAt}`);
});
