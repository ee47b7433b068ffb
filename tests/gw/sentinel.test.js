// tests/gw/sentinel.test.js — Redis Sentinel failover under live ticks
// (docs/REDIS.md, "Sentinel failover"): a master, a replica, three
// redis-sentinel (with a password: requirepass), one tickgen and two tickgw,
// all given the same redis-sentinel:// URL (?sentinel_password=…), 100
// clients of both gateways subscribed from the start.
//
// 1. kill -9 the master while ticks flow. After the sentinels promote the
//    replica, the generator and the gateways find it by asking the sentinels
//    again.
// 2. The old master comes back as a replica; SENTINEL FAILOVER (graceful: the
//    master is not killed and keeps its clients) moves the master back to it.
//    The daemons follow the sentinels' +switch-master at once.
// After each, every client's series has no hole and no duplicate and equals
// the current master's streams, and those streams are one unbroken run of the
// seeded walk (ticks the old master accepted but had not replicated were
// written again, identical). Prints the failover times for docs/PERFORMANCE.md.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGenerator, waitFor } from '../lib/procs.js';
import { RedisServer, RedisSentinel, checkSeries, readStream, sentinelUrl } from '../lib/redis.js';
import { WsClient, metrics, startGateway, stopStack } from '../lib/gateway.js';
import { walkError } from '../lib/walk.js';

const IV = 100;
const N = 10;
const CLIENTS = 100;
const PW = 'sentinel-secret';
const NAMES = Array.from({ length: N }, (_, i) => `ticker_0${i}`);
const symOf = (i) => NAMES[i % N];

let master, replica, gen, mc, rc, wrongGw;
const sentinels = [];
const gateways = [];
const clients = [];

after(async () => {
  await stopStack({ clients, gateways: [...gateways, ...(wrongGw ? [wrongGw] : [])], procs: [gen] });
  mc?.disconnect();
  rc?.disconnect();
  for (const s of sentinels) await s.stop();
  await replica?.stop();
  await master?.stop();
});

const head = async (c) => Number(((await c.xrevrange('ts:tick:{ticker_00}', '+', '-', 'COUNT', 1))[0]?.[0] || '0-0').split('-')[0]);

/** SENTINEL replicas as [{port, flags, link}]. */
async function replicasOf(s) {
  const rows = await s.client.call('SENTINEL', 'replicas', 'mymaster');
  return rows.map((r) => {
    const o = {};
    for (let i = 0; i < r.length; i += 2) o[r[i]] = r[i + 1];
    return { port: Number(o.port), flags: o.flags, link: o['master-link-status'] };
  });
}

/** Every client has a tick at or after t. */
const allLiveSince = (t) => clients.every((c, i) => c.series(symOf(i)).some((x) => x.t >= t));

/** Stops nothing; compares every client with the streams of the server `c` reads. */
async function checkClients(c, what) {
  const last = await head(c);
  await waitFor(`every client to have tick ${last}`, () => clients.every((cl, i) => cl.series(symOf(i)).some((x) => x.t >= last)), { timeout: 10000 });
  for (const [i, name] of NAMES.entries()) {
    const s = await readStream(c, name);
    assert.equal(checkSeries(s, IV, { steps: false }), null, `${what}: ${name}: ${checkSeries(s, IV, { steps: false })}`);
    assert.equal(walkError(s, i, IV), null, `${what}: ${name} is not the seeded walk: ${walkError(s, i, IV)}`);
  }
  for (const [i, cl] of clients.entries()) {
    const name = symOf(i);
    const got = cl.series(name).filter((x) => x.t <= last);
    assert.equal(checkSeries(got, IV), null, `${what}: client ${i} of ${name}: ${checkSeries(got, IV)}`);
    const s = await readStream(c, name, '-', String(last));
    assert.deepEqual(got.map(({ t, p }) => ({ t, p })), s.slice(0, got.length), `${what}: client ${i} of ${name} differs from the master's stream`);
  }
}

test('kill -9 of the master: the sentinels promote the replica, no client sees a hole or a duplicate', { timeout: 90000 }, async () => {
  master = await RedisServer.start({ aof: false });
  replica = await RedisServer.start({ aof: false, args: ['--replicaof', '127.0.0.1', String(master.port)] });
  for (let i = 0; i < 3; i++) sentinels.push(await RedisSentinel.start(master.port, { password: PW }));
  const url = sentinelUrl(sentinels, 'mymaster', `sentinel_password=${PW}`);
  mc = master.client();
  // The sentinels must know each other and the replica before a failover can happen.
  await waitFor('the sentinels to know each other and the replica', async () => {
    for (const s of sentinels) {
      if ((await s.client.call('SENTINEL', 'sentinels', 'mymaster')).length !== 2) return false;
      if ((await replicasOf(s)).length !== 1) return false;
    }
    return true;
  }, { timeout: 20000, every: 100 });

  gen = startGenerator(url, ['--interval-ms', String(IV), '--instruments', String(N), '--rollups', '1s:1h']);
  await gen.waitOutput(/names 127\.0\.0\.1:\d+ as master mymaster/);
  await gen.waitOutput(/watching \+switch-master/);
  await waitFor('20 ticks', async () => (await mc.xlen('ts:tick:{ticker_00}')) >= 20);
  for (let g = 0; g < 2; g++) gateways.push(await startGateway(url));
  for (let i = 0; i < CLIENTS; i++) {
    const c = await WsClient.open(gateways[i % 2].ws, { json: i % 3 === 0 });
    c.sub(symOf(i), 0);
    clients.push(c);
  }
  await Promise.all(clients.map((c, i) => c.waitLive(symOf(i), 10)));
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
  rc = replica.client();
  await waitFor('a tick written on the new master', async () => (await head(rc)) >= killedAt, { timeout: 20000 });
  const firstTickAt = Date.now();
  await waitFor('every client live again', () => allLiveSince(firstTickAt - IV), { timeout: 20000, every: 10 });
  const liveAt = Date.now();
  for (const g of gateways) await waitFor('/readyz 200 again', async () => (await fetch(`${g.http}/readyz`)).status === 200, { timeout: 10000 });

  const resumed = await head(rc);
  await waitFor('10 more ticks', async () => (await head(rc)) >= resumed + 10 * IV, { timeout: 10000 });
  // Asking again after the loss, or told by the watch (+switch-master), whichever comes first.
  assert.match(gen.output, new RegExp(`failover: (sentinel 127\\.0\\.0\\.1:\\d+|\\+switch-master) names 127\\.0\\.0\\.1:${replica.port} as master mymaster`), 'the generator logs the failover');
  await checkClients(rc, 'after kill -9');
  const m1 = await metrics(gateways[0]);
  assert.ok(m1.tickgw_redis_failovers_total > m0.tickgw_redis_failovers_total, 'tickgw_redis_failovers_total counts it');
  console.log(`# failover (ms after kill -9): sentinels name the replica ${promotedAt - killedAt}, first tick on the new master ${firstTickAt - killedAt}, every client live ${liveAt - killedAt}`);
});

test('back to the first master with SENTINEL FAILOVER (not killed, clients kept): the daemons follow +switch-master, no hole, no duplicate', { timeout: 90000 }, async () => {
  // The old master comes back (empty: no AOF) as a replica of the new one.
  master.args = ['--replicaof', '127.0.0.1', String(replica.port)];
  await master.restart();
  mc = master.client();
  await waitFor('the old master to be in sync as a replica', async () => /master_link_status:up/.test(await mc.info('replication')), { timeout: 20000 });
  await waitFor('every sentinel to see it as a healthy replica', async () => {
    for (const s of sentinels) {
      const r = (await replicasOf(s)).find((x) => x.port === master.port);
      if (!r || r.link !== 'ok' || /down|disconnected/.test(r.flags)) return false;
    }
    return true;
  }, { timeout: 30000, every: 200 });
  const m0 = await metrics(gateways[1]);
  const genOut = gen.output.length;
  const gwOut = gateways.map((g) => g.output.length);

  const failoverAt = Date.now();
  await waitFor('SENTINEL FAILOVER to be accepted', async () => (await sentinels[0].client.call('SENTINEL', 'failover', 'mymaster').catch(() => null)) === 'OK', { timeout: 20000, every: 200 });
  await waitFor('the sentinels to name the first master again', async () => (await sentinels[0].masterPort()) === master.port, { timeout: 20000, every: 50 });
  const switchedAt = Date.now();
  await waitFor('a tick written on the first master', async () => (await head(mc)) >= switchedAt, { timeout: 20000 });
  const firstTickAt = Date.now();
  await waitFor('every client live on it', () => allLiveSince(firstTickAt), { timeout: 20000, every: 10 });
  const liveAt = Date.now();

  // Both daemons moved because the sentinels said so, not because a
  // connection of theirs dropped (the demoted master still serves them).
  await gen.waitOutput(new RegExp(`\\+switch-master names 127\\.0\\.0\\.1:${master.port} as master mymaster`), 10000);
  assert.doesNotMatch(gen.output.slice(genOut), /READONLY/, 'the generator wrote to the demoted master');
  for (const [g, gw] of gateways.entries()) {
    await waitFor(`gateway ${g} to log the switch`, () => gw.output.slice(gwOut[g]).includes(`+switch-master names 127.0.0.1:${master.port}`), { timeout: 10000 });
  }
  const resumed = await head(mc);
  await waitFor('10 more ticks', async () => (await head(mc)) >= resumed + 10 * IV, { timeout: 10000 });
  await checkClients(mc, 'after SENTINEL FAILOVER');
  const m1 = await metrics(gateways[1]);
  assert.ok(m1.tickgw_redis_failovers_total > m0.tickgw_redis_failovers_total, 'tickgw_redis_failovers_total counts it');
  console.log(`# graceful failover back (ms after SENTINEL FAILOVER): sentinels name it ${switchedAt - failoverAt}, first tick on it ${firstTickAt - failoverAt}, every client live ${liveAt - failoverAt}`);
});

test('a wrong sentinel_password: the gateway is not ready and /readyz says the sentinel refused AUTH', { timeout: 30000 }, async () => {
  wrongGw = await startGateway(sentinelUrl(sentinels, 'mymaster', 'sentinel_password=wrong'), [], { ready: false });
  const why = await waitFor('/readyz to say why', async () => {
    const r = await fetch(`${wrongGw.http}/readyz`);
    const t = await r.text();
    return r.status === 503 && /refused AUTH/.test(t) && t;
  }, { timeout: 15000 });
  assert.doesNotMatch(why, /wrong/, '/readyz shows the password');
  assert.doesNotMatch(wrongGw.output, /sentinel_password=wrong/, 'the log shows the password');
});
