// tests/deploy/healthcheck.test.js — deploy/healthcheck.sh, the containers'
// HEALTHCHECK, against a real redis-server and the real generator (the
// gateway half runs against real gateways in tests/cluster).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { BUILD, freePort, startGenerator, waitFor } from '../lib/procs.js';
import { RedisServer } from '../lib/redis.js';
import { run } from './util.js';

const check = (...args) => run('deploy/healthcheck.sh', args, { timeout: 15000 });

let redis, client;
before(async () => {
  redis = await RedisServer.start({ aof: false });
  client = redis.client();
});
after(async () => {
  client?.disconnect();
  await redis?.stop();
});

test('generator: unhealthy while Redis is unreachable, with the reason', async () => {
  const r = check('generator', `redis://127.0.0.1:${await freePort()}`);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^unhealthy: cannot connect to redis/);
});

test('generator: unhealthy before the generator has written anything', () => {
  const r = check('generator', redis.url);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^unhealthy: ts:meta has no interval_ms/);
});

const haveGen = fs.existsSync(path.join(BUILD, 'tickgen'));

test('generator: healthy while the real generator ticks, unhealthy once it stops', { skip: !haveGen && 'tickgen not built' }, async () => {
  const gen = startGenerator(redis.url, ['--instruments', '3', '--interval-ms', '200', '--reset']);
  try {
    const r = await waitFor('the health check to pass', () => {
      const x = check('generator', redis.url);
      return x.code === 0 && x;
    }, { timeout: 10000, every: 100 });
    assert.match(r.stdout, /^healthy: newest tick of ticker_00 is \d+ ms old/);
    // The URL also comes from TS_REDIS_URL, as in the container.
    const env = run('deploy/healthcheck.sh', ['generator'], { env: { TS_REDIS_URL: redis.url } });
    assert.equal(env.code, 0, env.stdout);
  } finally {
    await gen.stop();
  }
  // Stale after max(3 intervals, interval + 5 s): make it so by moving the
  // newest entry's age past the limit, as seen by Redis's clock.
  await client.hset('ts:meta', 'interval_ms', '1');
  await client.del('ts:tick:{ticker_00}');
  const [sec] = await client.time();
  await client.xadd('ts:tick:{ticker_00}', `${(Number(sec) - 60) * 1000}-0`, 'p', '0');
  const r = check('generator', redis.url);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^unhealthy: newest tick of ticker_00 is \d+ ms old \(limit 5001 ms\)/);
});

test('generator: a password in the URL is sent with AUTH', async () => {
  await client.config('SET', 'requirepass', 'sekret');
  try {
    const bad = check('generator', `redis://:wrong@127.0.0.1:${redis.port}`);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /^unhealthy: redis: WRONGPASS/);
    const good = check('generator', `redis://:sekret@127.0.0.1:${redis.port}/0`);
    assert.doesNotMatch(good.stdout, /WRONGPASS|NOAUTH/);
  } finally {
    await client.call('AUTH', 'sekret');
    await client.config('SET', 'requirepass', '');
  }
});

test('gateway: unhealthy when nothing listens; usage error without a role', async () => {
  const r = check('gateway', `127.0.0.1:${await freePort()}`);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^unhealthy: cannot connect/);
  assert.equal(check().code, 2);
});
