// tests/gen/frozen.test.js — a Redis that accepts connections but never
// answers (SIGSTOP: the kernel still completes the TCP handshake), and
// sentinels that name a dead or frozen master. tickgen must not wait on
// such a peer forever (review findings, 2026-11-30):
//
// 1. A frozen server: the setup (AUTH here; SELECT, ROLE) gets no answer; tickgen
//    drops the connection after its connect timeout and retries, and writes
//    once the server runs again.
// 2. A failover away from a frozen master: +switch-master makes tickgen drop
//    its connection, but hiredis waits for the replies in flight, which a
//    frozen master never sends; the drop is forced after the timeout and the
//    promoted replica gets ticks while the old master is still frozen.
// 3. The first sentinel of the URL is stale (it names a master nobody
//    listens on): tickgen and tickgw go on to the next sentinel instead of
//    retrying the dead address forever.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort, startGenerator, waitFor } from '../lib/procs.js';
import { RedisServer, RedisSentinel, sentinelUrl } from '../lib/redis.js';
import { startGateway, stopStack } from '../lib/gateway.js';

const KEY = 'ts:tick:{ticker_00}';
const ARGS = ['--interval-ms', '100', '--instruments', '2'];
const servers = [];
const sentinels = [];
const procs = [];
const gateways = [];
const clients = [];

after(async () => {
  await stopStack({ clients, gateways, procs });
  for (const s of sentinels) await s.stop();
  for (const s of servers) {
    s.proc.signal_('SIGCONT');
    await s.stop();
  }
});

async function server(args = []) {
  const s = await RedisServer.start({ aof: false, args });
  servers.push(s);
  return s;
}

test('a frozen server: no answer to AUTH drops the connection and retries', { timeout: 30000 }, async () => {
  const r = await server(['--requirepass', 'pw']);
  const c = r.client({ password: 'pw' });
  await c.ping();
  r.proc.signal_('SIGSTOP');
  const gen = startGenerator(`redis://:pw@127.0.0.1:${r.port}`, ARGS);
  procs.push(gen);
  try {
    await gen.waitOutput(/connected/);
    await gen.waitOutput(/no answer in \d+ ms; dropping the connection/, 10000);
    await gen.waitOutput(/retrying in/, 5000);
  } finally {
    r.proc.signal_('SIGCONT');
  }
  await waitFor('ticks once the server runs again', async () => (await c.xlen(KEY)) >= 10, { timeout: 15000 });
  c.disconnect();
  await gen.stop();
});

test('a failover away from a frozen master: the promoted replica gets ticks while the old one is frozen', { timeout: 60000 }, async () => {
  const m = await server();
  const rep = await server(['--replicaof', '127.0.0.1', String(m.port)]);
  const s = await RedisSentinel.start(m.port, { quorum: 1, downAfterMs: 1000, failoverTimeoutMs: 3000 });
  sentinels.push(s);
  const mc = m.client();
  await waitFor('the sentinel to know the replica', async () => (await s.client.call('SENTINEL', 'replicas', 'mymaster')).length === 1,
    { timeout: 20000, every: 100 });
  const gen = startGenerator(sentinelUrl([s]), ARGS);
  procs.push(gen);
  await gen.waitOutput(/watching \+switch-master/);
  await waitFor('ticks on the master', async () => (await mc.xlen(KEY)) >= 10);
  await waitFor('the replica in sync', async () => /slave0:.*state=online/.test(await mc.info('replication')));
  mc.disconnect();
  m.proc.signal_('SIGSTOP');
  try {
    await waitFor('the sentinel to promote the replica', async () => (await s.masterPort()) === rep.port, { timeout: 20000, every: 50 });
    const rc = rep.client();
    const n0 = await rc.xlen(KEY);
    // Before the fix tickgen stayed on the frozen master until it ran again.
    await waitFor('20 ticks on the promoted replica while the old master is frozen',
      async () => (await rc.xlen(KEY)) >= n0 + 20, { timeout: 15000 });
    rc.disconnect();
  } finally {
    m.proc.signal_('SIGCONT');
  }
  await gen.stop();
});

test('a stale first sentinel naming a dead master: the next sentinel is asked', { timeout: 60000 }, async () => {
  const m = await server();
  const dead = await freePort(); // nothing listens there
  const stale = await RedisSentinel.start(dead, { quorum: 1 });
  const good = await RedisSentinel.start(m.port, { quorum: 1 });
  sentinels.push(stale, good);
  const url = sentinelUrl([stale, good]);
  const mc = m.client();
  const gen = startGenerator(url, ARGS);
  procs.push(gen);
  await waitFor('ticks on the master the second sentinel names', async () => (await mc.xlen(KEY)) >= 10, { timeout: 20000 });
  assert.match(gen.output, new RegExp(`redis 127\\.0\\.0\\.1:${dead} unreachable`), 'it tried the stale answer first');
  const gw = await startGateway(url);
  gateways.push(gw);
  await waitFor('the gateway ready on the live master', async () => (await fetch(`${gw.http}/readyz`)).status === 200, { timeout: 20000 });
  mc.disconnect();
});
