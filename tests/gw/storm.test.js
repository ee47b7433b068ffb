// tests/gw/storm.test.js — the reconnect storm: STORM_CONNS (1,000 here,
// 5,000 in `make storm`) WebSocket clients on one gateway, each subscribed
// since 10 s ago; that gateway is killed with SIGKILL, and every client
// reconnects at once to a second gateway with since = its last tick
// (bench/wsstorm.c, a C client: cheap beside the gateways). Every client
// must be live again there with no hole, no duplicate and no step other
// than ±1 across the move, and the second gateway must take the whole
// storm (accept backlog, descriptors, per-worker queues) and stay ready.
// The time until the last client is live is printed (docs/RELIABILITY.md).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { BUILD, Proc, startGenerator, waitFor } from '../lib/procs.js';
import { RedisServer, waitStreamLength } from '../lib/redis.js';
import { startGateway, metrics, rssBytes, stopStack } from '../lib/gateway.js';

const N = Number(process.env.STORM_CONNS || 1000);
// Connects in flight at once, from the client side (a crowd of browsers
// reconnecting has no such limit; STORM_PACE=N tries that).
const PACE = Number(process.env.STORM_PACE || 256);
const DT = 200;
const INSTRUMENTS = 100;
// Each process opens one descriptor per client and a few dozen of its own.
const NOFILE = N + 1024;
let redis, client, gen, gwA, gwB, storm;

after(() => stopStack({ gateways: [gwA, gwB], procs: [storm, gen], client, redis }));

test(`reconnect storm: ${N} clients move from a gateway killed with SIGKILL to another, live again with no hole`, { timeout: 240000 }, async (t) => {
  redis = await RedisServer.start();
  client = redis.client();
  gen = startGenerator(redis.url, ['--interval-ms', String(DT), '--instruments', String(INSTRUMENTS), '--reset']);
  await waitStreamLength(client, 'ticker_00', 10);
  const gwArgs = ['--max-conns', String(N + 100)];
  gwA = await startGateway(redis.url, gwArgs, { nofile: NOFILE });
  gwB = await startGateway(redis.url, gwArgs, { nofile: NOFILE });

  storm = new Proc('wsstorm', path.join(BUILD, 'bench', 'wsstorm'), [
    '--port', String(gwA.port), '--to', String(gwB.port), '--conns', String(N), '--instruments', String(INSTRUMENTS),
    '--interval-ms', String(DT), '--since-ago', '10000', '--pace', String(PACE), '--timeout', '180', '--settle-ms', String(3 * DT),
  ], { nofile: 2 * NOFILE }); // a closed socket's descriptor is freed a little later than its replacement is made
  await storm.waitOutput(/READY \d+/, 120000);
  assert.equal((await metrics(gwA)).tickgw_connections, N, `all ${N} on the first gateway`);

  await gwA.stop('SIGKILL');
  let timer;
  const done = await Promise.race([
    storm.exited,
    new Promise((resolve) => { timer = setTimeout(resolve, 200000, null); }),
  ]).finally(() => clearTimeout(timer));
  assert.ok(done, `wsstorm did not finish: ${storm.tail()}`);
  const rss = rssBytes(gwB.pid); // wsstorm is gone, its clients' memory is not yet all returned
  const line = storm.output.split('\n').find((l) => l.startsWith('{'));
  assert.ok(line, `wsstorm printed no result (exit ${storm.exitCode}): ${storm.tail()}`);
  const r = JSON.parse(line);
  t.diagnostic(`reconnect storm, ${N} clients: the last live again ${r.ms_to_last_live} ms after the first close ` +
    `(p50 ${r.ms_p50}, p99 ${r.ms_p99}), ${r.retries} retries; second gateway RSS ${(rss / 1048576).toFixed(1)} MB: ${line}`);
  for (const l of storm.output.split('\n').filter((x) => x.startsWith('wsstorm:'))) t.diagnostic(l);
  assert.equal(r.moved, N, 'every client is live again on the second gateway');
  assert.equal(r.holes, 0, 'no hole');
  assert.equal(r.duplicates, 0, 'no duplicate');
  assert.equal(r.bad_steps, 0, 'every step ±1 across the move');
  assert.equal(r.closed_after_live, 0, 'none dropped once moved');
  assert.equal(r.no_live_tick, 0, 'each got live ticks after the move');
  assert.equal(storm.exitCode, 0, storm.tail());

  assert.ok(gwB.running, 'the second gateway stands');
  assert.equal((await fetch(`${gwB.http}/readyz`)).status, 200);
  // wsstorm has exited: the gateway sees every socket close.
  const m = await waitFor('the second gateway to see the clients gone', async () => {
    const x = await metrics(gwB);
    return x.tickgw_connections === 0 && x;
  }, { timeout: 30000 });
  assert.ok(m.tickgw_connections_accepted_total >= N, `accepted ${m.tickgw_connections_accepted_total}`);
  assert.equal(m.tickgw_slow_client_closes_total, 0, 'no client closed as slow');
  assert.doesNotMatch(gwB.output, /Too many open files|EMFILE|accept.*failed/i, 'no descriptor shortage');
});
