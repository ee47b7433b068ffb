// tests/gw/sentinel-hung.test.js — the sentinel the daemons watch for
// +switch-master hangs (SIGSTOP: the kernel keeps its connections open and
// it says nothing), and a failover is then forced through another sentinel.
// A master, a replica, three redis-sentinel, one tickgen and one tickgw
// (two workers, so two watches), all given the same redis-sentinel:// URL;
// every watch starts on the URL's first sentinel.
//
// Each watch probes its sentinel every second (SUBSCRIBE again: hiredis
// 0.14 cannot route a subscribed PING's reply) and, with no reply within
// the connect timeout, drops it and watches the next sentinel, asking it
// for the master first: the failover announced while the watch was stuck
// is caught up there, or the +switch-master arrives on the new watch.
// Before the probe the watches stayed on the stopped sentinel; the
// daemons moved only when Sentinel reconfigured the old master as a
// replica, seconds later, and it closed their connections: through their
// own reconnects, never through the watch, which this test asserts.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGenerator, waitFor } from '../lib/procs.js';
import { RedisServer, RedisSentinel, sentinelUrl } from '../lib/redis.js';
import { WsClient, metrics, startGateway, stopStack } from '../lib/gateway.js';

const KEY = 'ts:tick:{ticker_00}';
let master, replica, gen, gw, mc, rc;
const sentinels = [];
const clients = [];

after(async () => {
  sentinels[0]?.proc.signal_('SIGCONT');
  await stopStack({ clients, gateways: gw ? [gw] : [], procs: gen ? [gen] : [] });
  mc?.disconnect();
  rc?.disconnect();
  for (const s of sentinels) await s.stop();
  await replica?.stop();
  await master?.stop();
});

/** The connections subscribed to something on sentinel s (CLIENT LIST's sub=). */
async function subscribers(s) {
  const list = await s.client.call('CLIENT', 'LIST');
  return list.split('\n').filter((l) => /\bsub=[1-9]/.test(l)).length;
}

test('a hung watched sentinel: the watches move on and a failover forced meanwhile is followed', { timeout: 60000 }, async () => {
  master = await RedisServer.start({ aof: false });
  replica = await RedisServer.start({ aof: false, args: ['--replicaof', '127.0.0.1', String(master.port)] });
  for (let i = 0; i < 3; i++) sentinels.push(await RedisSentinel.start(master.port));
  await waitFor('the sentinels to know the replica', async () => {
    for (const s of sentinels) if ((await s.client.call('SENTINEL', 'replicas', 'mymaster')).length !== 1) return false;
    return true;
  }, { timeout: 20000, every: 100 });
  const url = sentinelUrl(sentinels, 'mymaster');
  mc = master.client();
  rc = replica.client();
  gen = startGenerator(url, ['--interval-ms', '100', '--instruments', '2']);
  await waitFor('20 ticks', async () => (await mc.xlen(KEY)) >= 20);
  gw = await startGateway(url, ['--threads', '2', '--redis-timeout', '1s']);
  const c = await WsClient.open(gw.ws);
  clients.push(c);
  c.sub('ticker_00', 0);
  await c.waitLive('ticker_00', 3);
  // Three watches on the first sentinel: tickgen's and one per gateway worker.
  await waitFor('3 watches on the first sentinel', async () => (await subscribers(sentinels[0])) === 3, { timeout: 10000 });
  // The replica has the history (a diskless sync waits 5 s for more replicas first).
  await waitFor('the replica in sync', async () => (await rc.call('ROLE'))[3] === 'connected' && (await rc.xlen(KEY)) > 0, { timeout: 20000, every: 100 });
  const m0 = await metrics(gw);
  const genOut = gen.output.length, gwOut = gw.output.length;

  sentinels[0].proc.signal_('SIGSTOP');
  await sentinels[1].client.call('SENTINEL', 'FAILOVER', 'mymaster');
  await waitFor('the second sentinel to name the replica', async () => (await sentinels[1].masterPort()) === replica.port, { timeout: 15000 });

  const P0 = sentinels[0].port;
  const followed = new RegExp(`(\\+switch-master|the sentinel watch's first answer) names 127\\.0\\.0\\.1:${replica.port} as master mymaster`);
  await waitFor('tickgen to follow the failover through its watch', () => followed.test(gen.output.slice(genOut)), { timeout: 15000 });
  const g = gen.output.slice(genOut);
  assert.match(g, new RegExp(`redis sentinel 127\\.0\\.0\\.1:${P0}: no reply to the watch for \\d+ ms; watching the next sentinel`));
  assert.match(g, /redis sentinel 127\.0\.0\.1:(\d+) connected, watching \+switch-master/);
  assert.notEqual(Number(/redis sentinel 127\.0\.0\.1:(\d+) connected, watching/.exec(g)[1]), P0, 'tickgen watches another sentinel');
  await waitFor('the gateway to follow the failover through its watches', () => (gw.output.slice(gwOut).match(new RegExp(followed, 'g')) || []).length >= 1, { timeout: 15000 });
  const w = gw.output.slice(gwOut);
  for (const id of [0, 1]) {
    assert.match(w, new RegExp(`worker ${id}: redis sentinel watch connection: no reply to the probe for \\d+ ms; reconnecting`));
    const on = new RegExp(`worker ${id}: watching \\+switch-master on sentinel 127\\.0\\.0\\.1:(\\d+)`).exec(w);
    assert.ok(on && Number(on[1]) !== P0, `worker ${id} watches another sentinel`);
  }
  // The data moved: ticks are written to the promoted replica, and the gateway's client gets them.
  const head = Number((await rc.xrevrange(KEY, '+', '-', 'COUNT', 1))[0][0].split('-')[0]);
  await waitFor('10 more ticks on the new master', async () => (await rc.xlen(KEY)) > 0 &&
    Number((await rc.xrevrange(KEY, '+', '-', 'COUNT', 1))[0][0].split('-')[0]) >= head + 1000, { timeout: 15000 });
  await waitFor('the client to get ticks written on the new master', () => c.series('ticker_00').some((x) => x.t >= head + 1000), { timeout: 10000 });
  const m1 = await metrics(gw);
  assert.ok(m1.tickgw_redis_failovers_total > m0.tickgw_redis_failovers_total, 'tickgw_redis_failovers_total counts it');
});
