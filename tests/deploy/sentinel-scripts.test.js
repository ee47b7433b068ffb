// tests/deploy/sentinel-scripts.test.js — the scripts docker-compose.yml and
// docker-compose.sentinel.yml run in the redis and sentinel containers
// (deploy/redis/start.sh, sentinel-start.sh, users.acl), run here natively
// on loopback ports: an image's `docker-entrypoint.sh` is a shim that execs
// its arguments, each server's TS_REDIS_CONF_DIR a temp dir. A master and a
// replica with the four ACL users (the replica replicating as `replica`),
// three sentinels with a password that watch them as `sentinel`, tickgen and
// tickgw with the sentinel URL as their users, and the containers' health
// check of the generator through the sentinels. Then kill -9 of the master:
// the sentinels (authenticated as `sentinel`) promote the replica, and the
// generator writes on it. So the compose files' users, passwords and
// commands are the ones a failover needs, without a Docker engine.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { Proc, ROOT, freePort, startGenerator, waitFor } from '../lib/procs.js';
import { startGateway, stopStack } from '../lib/gateway.js';

const PW = { TS_REDIS_TICKGEN_PASSWORD: 'gen-pw', TS_REDIS_TICKGW_PASSWORD: 'gw-pw', TS_REDIS_REPLICA_PASSWORD: 'rep-pw', TS_REDIS_SENTINEL_PASSWORD: 'sen-pw' };
const SPW = 'sentinels-pw';
let tmp, shim, master, replica, gen, gw;
const sentinels = [];
const clients = [];

function dirFor(name) {
  const d = path.join(tmp, name);
  fs.mkdirSync(d);
  return d;
}

function env(name, extra = {}) {
  return { ...PW, ...extra, TS_REDIS_CONF_DIR: dirFor(name), PATH: `${shim}:${process.env.PATH}` };
}

async function server(name, port, extra = {}) {
  const p = new Proc(name, 'sh', [path.join(ROOT, 'deploy/redis/start.sh'), '--port', String(port), '--bind', '127.0.0.1',
    '--dir', path.join(tmp, name), '--save', '', '--appendonly', 'no'], { env: env(name, extra) });
  await p.waitOutput(/Ready to accept connections/, 10000);
  p.port = port;
  return p;
}

const client = (port, username, password) => {
  const c = new Redis({ host: '127.0.0.1', port, username, password, maxRetriesPerRequest: 3, retryStrategy: () => 100 });
  c.on('error', () => {});
  clients.push(c);
  return c;
};

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-sentinel-scripts-'));
  shim = path.join(tmp, 'bin');
  fs.mkdirSync(shim);
  fs.writeFileSync(path.join(shim, 'docker-entrypoint.sh'), '#!/bin/sh\nexec "$@"\n', { mode: 0o755 });
});

after(async () => {
  await stopStack({ gateways: [gw], procs: [gen, ...sentinels, replica, master] });
  for (const c of clients) c.disconnect();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('start.sh and sentinel-start.sh: ACL users, replication as `replica`, sentinels as `sentinel` with requirepass; a kill -9 of the master fails over', { timeout: 90000 }, async () => {
  master = await server('master', await freePort());
  replica = await server('replica', await freePort(), { TS_REDIS_REPLICAOF: `127.0.0.1:${master.port}` });
  for (const f of ['users.acl', 'redis.conf']) {
    const text = fs.readFileSync(path.join(tmp, 'master', f), 'utf8');
    for (const pw of Object.values(PW)) {
      if (f === 'users.acl') assert.ok(!text.includes(pw), `${f} holds a password`);
    }
    assert.equal(fs.statSync(path.join(tmp, 'master', f)).mode & 0o077, 0, `${f} is readable by others`);
  }
  const mgen = client(master.port, 'tickgen', PW.TS_REDIS_TICKGEN_PASSWORD);
  await assert.rejects(client(master.port).get('ts:meta'), /NOAUTH/, 'the default user is off');
  const rsen = client(replica.port, 'sentinel', PW.TS_REDIS_SENTINEL_PASSWORD);
  await waitFor('the replica to replicate as user replica', async () => /master_link_status:up/.test(await rsen.info('replication')), { timeout: 15000 });

  for (let i = 0; i < 3; i++) {
    const port = await freePort();
    const s = new Proc(`sentinel${i}`, 'sh', [path.join(ROOT, 'deploy/redis/sentinel-start.sh'), '--bind', '127.0.0.1'], {
      env: env(`sentinel${i}`, { TS_SENTINEL_MASTER: `127.0.0.1:${master.port}`, TS_SENTINEL_PORT: String(port), TS_SENTINEL_PASSWORD: SPW, TS_SENTINEL_DOWN_AFTER: '1000' }),
    });
    await s.waitOutput(/\+monitor master mymaster/, 10000);
    s.port = port;
    s.client = client(port, undefined, SPW);
    sentinels.push(s);
  }
  await assert.rejects(client(sentinels[0].port).call('SENTINEL', 'masters'), /NOAUTH/, 'the sentinels require their password');
  await waitFor('the sentinels to know each other and the replica', async () => {
    for (const s of sentinels) {
      if ((await s.client.call('SENTINEL', 'sentinels', 'mymaster')).length !== 2) return false;
      if ((await s.client.call('SENTINEL', 'replicas', 'mymaster')).length !== 1) return false;
    }
    return true;
  }, { timeout: 20000, every: 100 });

  const hosts = sentinels.map((s) => `127.0.0.1:${s.port}`).join(',');
  const url = (user, pw) => `redis-sentinel://${user}:${pw}@${hosts}/mymaster?sentinel_password=${SPW}`;
  gen = startGenerator(url('tickgen', PW.TS_REDIS_TICKGEN_PASSWORD), ['--interval-ms', '100', '--instruments', '3', '--rollups', '1s:1h']);
  gw = await startGateway(url('tickgw', PW.TS_REDIS_TICKGW_PASSWORD), [], {});
  await waitFor('ticks on the master', async () => (await mgen.xrange('ts:tick:{ticker_00}', '-', '+')).length >= 10);
  const health = spawnSync(path.join(ROOT, 'deploy/healthcheck.sh'), ['generator'], {
    env: { ...process.env, TS_REDIS_URL: url('tickgen', PW.TS_REDIS_TICKGEN_PASSWORD) }, timeout: 15000,
  });
  assert.equal(health.status, 0, `healthcheck.sh through the sentinels: ${health.stdout}${health.stderr}`);
  assert.match(health.stdout.toString(), /^healthy: /);
  assert.doesNotMatch(gen.output + gw.output, /gen-pw|gw-pw|sentinels-pw/, 'a password was logged');

  // kill -9 of the master: the sentinels, as user `sentinel`, promote the replica.
  const killedAt = Date.now();
  await master.stop('SIGKILL');
  await waitFor('the sentinels to name the replica', async () => Number((await sentinels[0].client.call('SENTINEL', 'get-master-addr-by-name', 'mymaster'))[1]) === replica.port, { timeout: 30000, every: 100 });
  const rgen = client(replica.port, 'tickgen', PW.TS_REDIS_TICKGEN_PASSWORD);
  await waitFor('a tick written on the promoted replica', async () => {
    const e = await rgen.xrevrange('ts:tick:{ticker_00}', '+', '-', 'COUNT', 1);
    return e.length && Number(e[0][0].split('-')[0]) > killedAt;
  }, { timeout: 20000 });
  await waitFor('the gateway ready on it', async () => (await fetch(`${gw.http}/readyz`)).status === 200, { timeout: 15000 });
  assert.doesNotMatch(sentinels.map((s) => s.output).join(''), /NOAUTH|NOPERM|WRONGPASS/, 'a sentinel was refused a command');
});
