// tests/gw/acl.test.js — least privilege (deploy/redis/users.acl, rendered by
// deploy/redis/render-acl.sh): a real redis-server that loads the ACL file, a
// tickgen as user `tickgen` and a tickgw as user `tickgw`. The gateway serves
// a client its catch-up and live ticks; the gateway's user can write nothing;
// the default user is off; a wrong password is refused without being logged.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, startGenerator, waitFor } from '../lib/procs.js';
import { RedisServer, checkSeries } from '../lib/redis.js';
import { startGateway, stopStack, WsClient } from '../lib/gateway.js';

const GEN_PW = 'gen-secret-4711';
const GW_PW = 'gw-secret-0815';
const IV = 20;
let redis, admin, gen, gw, dir;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-acl-'));
  // The gateway's password from a file, the generator's from the environment.
  fs.writeFileSync(path.join(dir, 'gw.pw'), GW_PW);
  const acl = execFileSync(path.join(ROOT, 'deploy/redis/render-acl.sh'), [], {
    env: { ...process.env, TS_REDIS_TICKGEN_PASSWORD: GEN_PW, TS_REDIS_TICKGW_PASSWORD_FILE: path.join(dir, 'gw.pw') },
  }).toString();
  assert.ok(!acl.includes(GEN_PW) && !acl.includes(GW_PW), 'the rendered ACL file holds a password');
  fs.writeFileSync(path.join(dir, 'users.acl'), acl);
  redis = await RedisServer.start({ aof: false, args: ['--aclfile', path.join(dir, 'users.acl')] });
  admin = redis.client({ username: 'tickgen', password: GEN_PW });
  gen = startGenerator(`redis://tickgen:${GEN_PW}@127.0.0.1:${redis.port}`, ['--interval-ms', String(IV), '--instruments', '5']);
  // XRANGE, not XLEN: the generator's user has only the commands tickgen sends.
  await waitFor('20 ticks', async () => (await admin.xrange('ts:tick:{ticker_04}', '-', '+', 'COUNT', 20)).length === 20);
});

after(async () => {
  await stopStack({ gateways: [gw], procs: [gen], client: admin, redis });
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a gateway with the read-only user serves catch-up and live ticks', async () => {
  gw = await startGateway(`redis://tickgw:${GW_PW}@127.0.0.1:${redis.port}`);
  const c = await WsClient.open(gw.ws, { json: true });
  c.sub('ticker_03', 0);
  await c.waitLive('ticker_03', 10);
  const s = c.series('ticker_03');
  assert.ok(s.length >= 30, `only ${s.length} ticks`);
  assert.equal(checkSeries(s, IV), null, checkSeries(s, IV));
  c.ws.terminate();
  assert.doesNotMatch(gen.output + gw.output, new RegExp(`${GEN_PW}|${GW_PW}`), 'a password was logged');
  assert.doesNotMatch(gen.output, /NOPERM|failed/, 'the generator was refused a command');
});

test('the gateway user can read ts:* and subscribe, and nothing else', async () => {
  const ro = redis.client({ username: 'tickgw', password: GW_PW });
  try {
    assert.ok((await ro.xrange('ts:tick:{ticker_00}', '-', '+', 'COUNT', 1)).length === 1);
    const refused = [
      () => ro.xadd('ts:tick:{ticker_00}', '*', 'p', '1'),
      () => ro.set('ts:lease:generator', 'me'),
      () => ro.set('ts:last_tick', '1'),
      () => ro.del('ts:meta'),
      () => ro.hset('ts:meta', 'epoch', '1'),
      () => ro.publish('ts:live', 'x'),
      () => ro.eval("return redis.call('DEL', KEYS[1])", 1, 'ts:meta'),
      () => ro.get('other:key'),
      () => ro.flushall(),
      () => ro.config('GET', 'requirepass'),
    ];
    for (const f of refused) await assert.rejects(f(), /NOPERM/, String(f));
    assert.equal((await admin.hget('ts:meta', 'instruments')), '5', 'ts:meta was changed');
    // The generator's user keeps ts:last_tick (its fenced script, with its
    // permissions): it is the streams' last tick time.
    const [[, last], [, [[id]]]] = await admin.multi().get('ts:last_tick').xrevrange('ts:tick:{ticker_04}', '+', '-', 'COUNT', 1).exec();
    assert.equal(`${last}-0`, id);
  } finally {
    ro.disconnect();
  }
  // Nor may the generator's user touch keys outside ts:* or other channels.
  await assert.rejects(admin.set('other:key', '1'), /NOPERM/);
  await assert.rejects(admin.publish('other', 'x'), /NOPERM/);
  await assert.rejects(admin.flushall(), /NOPERM/);
});

test('the default user is off, and a wrong password is refused without being logged', async () => {
  const anon = redis.client();
  await assert.rejects(anon.get('ts:meta'), /NOAUTH|WRONGPASS|NOPERM/);
  anon.disconnect();
  const bad = startGenerator(`redis://tickgen:not-${GEN_PW}@127.0.0.1:${redis.port}`, ['--interval-ms', String(IV), '--instruments', '5']);
  try {
    await bad.waitOutput(/WRONGPASS/);
    assert.doesNotMatch(bad.output, /not-gen-secret/, 'the wrong password was logged');
    assert.doesNotMatch(bad.output, /role: leader/);
  } finally {
    await bad.stop();
  }
});

test("the containers' health check of the generator works as the generator's user", () => {
  const r = spawnSync(path.join(ROOT, 'deploy/healthcheck.sh'), ['generator'], {
    env: { ...process.env, TS_REDIS_URL: `redis://tickgen:${GEN_PW}@127.0.0.1:${redis.port}` }, timeout: 15000,
  });
  assert.equal(r.status, 0, `healthcheck.sh: ${r.stdout}${r.stderr}`);
  assert.match(r.stdout.toString(), /^healthy: newest tick of ticker_00/);
});

test('without its password a replica or sentinel user does not exist; with it, each has only its commands', () => {
  const render = (extra) => execFileSync(path.join(ROOT, 'deploy/redis/render-acl.sh'), [], {
    env: { ...process.env, TS_REDIS_TICKGEN_PASSWORD: GEN_PW, TS_REDIS_TICKGW_PASSWORD: GW_PW, ...extra },
  }).toString();
  assert.doesNotMatch(render({}), /^user (replica|sentinel)/m);
  const full = render({ TS_REDIS_REPLICA_PASSWORD: 'r', TS_REDIS_SENTINEL_PASSWORD: 's' });
  assert.match(full, /^user replica on #[0-9a-f]{64} resetkeys resetchannels -@all .*\+psync/m);
  assert.match(full, /^user sentinel on #[0-9a-f]{64} resetkeys allchannels -@all .*\+replicaof/m);
  assert.doesNotMatch(full, /@\w+_SHA256@/, 'a placeholder is left');
});

test('a restart of Redis with AOF and these users keeps every tick (Redis 7 replays MULTI/EXEC from the AOF as the disabled default user)', async () => {
  const aof = await RedisServer.start({ aof: true, args: ['--aclfile', path.join(dir, 'users.acl')] });
  const c = aof.client({ username: 'tickgw', password: GW_PW });
  const g = startGenerator(`redis://tickgen:${GEN_PW}@127.0.0.1:${aof.port}`, ['--interval-ms', String(IV), '--instruments', '5']);
  try {
    await waitFor('30 ticks', async () => (await c.xrange('ts:tick:{ticker_04}', '-', '+')).length >= 30);
    await g.stop();
    const before = await c.xrange('ts:tick:{ticker_04}', '-', '+');
    await aof.kill();
    await aof.restart();
    assert.doesNotMatch(aof.proc.output, /CRITICAL|NOPERM/, 'the AOF was replayed with errors');
    const after_ = await waitFor('the stream back', async () => {
      const r = await c.xrange('ts:tick:{ticker_04}', '-', '+').catch(() => null);
      return r && r;
    });
    assert.deepEqual(after_, before, 'ticks written in transactions were lost in the restart');
    const anon = aof.client();
    await assert.rejects(anon.xrange('ts:tick:{ticker_04}', '-', '+'), /NOAUTH/, 'the default user is usable');
    anon.disconnect();
  } finally {
    await g.stop();
    c.disconnect();
    await aof.stop();
  }
});
