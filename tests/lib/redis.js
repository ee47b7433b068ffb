// tests/lib/redis.js — a private redis-server per test file, and reads of
// the tickstream layout (docs/REDIS.md) through ioredis.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { Proc, freePort, startGenerator, waitFor } from './procs.js';

/** A real redis-server on a free loopback port, data in a temp dir. */
export class RedisServer {
  static async start({ aof = true, args = [] } = {}) {
    const s = new RedisServer();
    s.args = args;
    s.port = await freePort();
    s.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-redis-'));
    s.aof = aof;
    await s.launch();
    return s;
  }

  async launch() {
    this.proc = new Proc('redis-server', 'redis-server', [
      '--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir,
      '--appendonly', this.aof ? 'yes' : 'no', '--save', '', '--daemonize', 'no',
      '--protected-mode', 'yes', ...(this.args || []),
    ]);
    await this.proc.waitOutput(/Ready to accept connections/, 10000);
  }

  get url() {
    return `redis://127.0.0.1:${this.port}`;
  }

  client(auth = {}) {
    const c = new Redis({ host: '127.0.0.1', port: this.port, lazyConnect: false, maxRetriesPerRequest: 3, retryStrategy: () => 100, ...auth });
    // While a test has Redis down, ioredis retries every 100 ms and would print
    // "Unhandled error event" each time; commands still reject with the error.
    c.on('error', () => {});
    return c;
  }

  /** SIGKILL: no shutdown save, like a crash. */
  async kill() {
    await this.proc.stop('SIGKILL');
  }

  async restart() {
    await this.launch();
  }

  async stop() {
    await this.proc.stop('SIGTERM');
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A real redis-sentinel on a free loopback port watching the master `name`
 * at 127.0.0.1:`masterPort`, its config (which it rewrites) in a temp dir.
 * With `password`, clients must AUTH (requirepass) and the sentinels use it
 * among themselves (sentinel sentinel-pass).
 */
export class RedisSentinel {
  static async start(masterPort, { name = 'mymaster', quorum = 2, downAfterMs = 1000, failoverTimeoutMs = 5000, password = '' } = {}) {
    const s = new RedisSentinel();
    s.name = name;
    s.port = await freePort();
    s.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-sentinel-'));
    const conf = path.join(s.dir, 'sentinel.conf');
    fs.writeFileSync(conf, [
      `port ${s.port}`, 'bind 127.0.0.1', 'daemonize no', `dir ${s.dir}`,
      `sentinel monitor ${name} 127.0.0.1 ${masterPort} ${quorum}`,
      `sentinel down-after-milliseconds ${name} ${downAfterMs}`,
      `sentinel failover-timeout ${name} ${failoverTimeoutMs}`,
      `sentinel parallel-syncs ${name} 1`,
      ...(password ? [`requirepass ${password}`, `sentinel sentinel-pass ${password}`] : []), '',
    ].join('\n'));
    s.proc = new Proc('redis-sentinel', 'redis-sentinel', [conf]);
    await s.proc.waitOutput(/\+monitor master/, 10000);
    s.client = new Redis({ host: '127.0.0.1', port: s.port, maxRetriesPerRequest: 3, retryStrategy: () => 100, ...(password ? { password } : {}) });
    s.client.on('error', () => {});
    return s;
  }

  get addr() {
    return `127.0.0.1:${this.port}`;
  }

  /** The master's port as this sentinel names it. */
  async masterPort() {
    const r = await this.client.call('SENTINEL', 'get-master-addr-by-name', this.name);
    return r ? Number(r[1]) : 0;
  }

  async stop() {
    this.client.disconnect();
    await this.proc.stop('SIGTERM');
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** redis-sentinel://host:port,…/name[?query] for a list of RedisSentinel. */
export function sentinelUrl(sentinels, name = 'mymaster', query = '') {
  return `redis-sentinel://${sentinels.map((s) => s.addr).join(',')}/${name}${query ? `?${query}` : ''}`;
}

/** XRANGE of one instrument as [{t, p}] (ids are `<t>-0`). */
export async function readStream(client, name, from = '-', to = '+') {
  const rows = await client.xrange(`ts:tick:{${name}}`, from, to);
  return rows.map(([id, fields]) => {
    const [t, seq] = id.split('-');
    if (seq !== '0') throw new Error(`entry ${id} of ${name} has sequence ${seq}, want 0`);
    const i = fields.indexOf('p');
    return { t: Number(t), p: Number(fields[i + 1]) };
  });
}

/** Asserts a series has consecutive times `dt` apart and ±1 steps; returns a message or null. */
export function checkSeries(series, dt, { steps = true } = {}) {
  for (let i = 1; i < series.length; i++) {
    const a = series[i - 1], b = series[i];
    if (b.t - a.t !== dt) return `hole or duplicate at index ${i}: t ${a.t} then ${b.t} (want +${dt})`;
    if (steps && Math.abs(b.p - a.p) !== 1) return `step at t ${b.t} is ${b.p - a.p}, want ±1`;
  }
  return null;
}

export async function waitStreamLength(client, name, n, timeout = 10000) {
  return waitFor(`${name} to hold ${n} entries`, async () => (await client.xlen(`ts:tick:{${name}}`)) >= n, { timeout });
}

/**
 * A fresh redis-server, a client of it, and tickgen started with `genArgs`;
 * resolves once `sym`'s stream holds n entries.
 */
export async function startTicking(genArgs, sym, n, timeout = 15000) {
  const redis = await RedisServer.start();
  const client = redis.client();
  const gen = startGenerator(redis.url, genArgs);
  await waitStreamLength(client, sym, n, timeout);
  return { redis, client, gen };
}

/**
 * SIGSTOPs a running tickgen once ticker_00 holds `first` entries, for `ms`,
 * then waits until `more` further entries have been written (the backfill).
 */
export async function stallGenerator(gen, client, { first, ms, more }) {
  await waitStreamLength(client, 'ticker_00', first);
  gen.signal_('SIGSTOP');
  const stoppedAt = Date.now();
  await waitFor(`${ms} ms to pass`, () => Date.now() - stoppedAt >= ms);
  gen.signal_('SIGCONT');
  const len = await client.xlen('ts:tick:{ticker_00}');
  await waitStreamLength(client, 'ticker_00', len + more);
}
