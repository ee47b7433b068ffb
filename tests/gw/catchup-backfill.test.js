// tests/gw/catchup-backfill.test.js — catch-up while the generator backfills.
//
// The streams are rewound (each holds one entry at T0, as if the generator
// had stalled there), a gateway with a small ring starts, then the generator
// restarts and writes every tick time since T0 as its own MULTI/EXEC, as fast
// as Redis takes them, publishing each on ts:live. Clients subscribed since
// T0 meanwhile race the backfill: their seek XRANGEs come back short at the
// stream's end while thousands of live rows move the ring on before the
// reply is handled. A short reply must not be taken for a hole then: every
// client's series has to equal the stream after T0, in one run per --chunk.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RedisServer, readStream, waitStreamLength } from '../lib/redis.js';
import { startGenerator, waitFor } from '../lib/procs.js';
import { startGateway, WsClient, stopStack } from '../lib/gateway.js';

const DT = 100;
const N = 10;
const BACK_MS = 30 * 60 * 1000; // 18,000 tick times to backfill
const CLIENTS = 8;
const GEN_ARGS = ['--interval-ms', String(DT), '--instruments', String(N), '--retention', '24h'];
let redis, client, gen, gw, T0;
const clients = [];

before(async () => {
  redis = await RedisServer.start();
  client = redis.client();
  const first = startGenerator(redis.url, [...GEN_ARGS, '--reset']);
  await waitStreamLength(client, sym(0), 2, 20000);
  await first.stop();
  T0 = Math.floor((Date.now() - BACK_MS) / DT) * DT;
  for (let i = 0; i < N; i++) {
    const key = `ts:tick:{${sym(i)}}`;
    await client.multi().del(key).xadd(key, `${T0}-0`, 'p', '0').exec();
  }
  gw = await startGateway(redis.url, ['--ring', '2s', '--chunk', '1000']);
});

after(() => stopStack({ clients, gateways: [gw], procs: [gen], client, redis }));

function sym(i) {
  return `ticker_${String(i).padStart(2, '0')}`;
}

test('subscribed since the stall while the generator backfills: every stored tick once, in order, no false hole', { timeout: 120000 }, async () => {
  const restart = Date.now();
  gen = startGenerator(redis.url, GEN_ARGS);
  // One client subscribes right away, the others as the backfill goes on:
  // each starts its own race with the stream's end.
  const cs = [];
  for (let k = 0; k < CLIENTS; k++) {
    if (k > 0) await waitStreamLength(client, sym(0), (k * BACK_MS) / DT / CLIENTS, 30000);
    const c = await WsClient.open(gw.ws, { json: k % 2 === 1 });
    clients.push(c);
    cs.push(c);
    for (let i = 0; i < N; i++) c.sub(sym(i), T0);
  }
  // Done once every series reaches past the restart: the backfill is over.
  const caughtUp = () => cs.every((c) => Array.from({ length: N }, (_, i) => c.series(sym(i))).every((s) => s.final && s.length && s.at(-1).t > restart + 1000));
  await waitFor('every series past the end of the backfill', caughtUp, { timeout: 90000, every: 50 });
  for (const c of cs) {
    for (let i = 0; i < N; i++) {
      const s = c.series(sym(i));
      const want = await readStream(client, sym(i), String(T0 + 1), String(s.at(-1).t));
      assert.ok(want.length > BACK_MS / DT - 100, `${sym(i)}: the stream holds the backfill (${want.length})`);
      const got = new Set(s.map(({ t }) => t));
      const lost = want.filter(({ t }) => !got.has(t));
      assert.equal(lost.length, 0, `${sym(i)}: ${lost.length} ticks in Redis never sent, first ${lost[0]?.t}`);
      assert.deepEqual(s.map(({ t, p }) => ({ t, p })), want, `${sym(i)}: series equals the stream`);
    }
  }
});
