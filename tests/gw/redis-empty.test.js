// tests/gw/redis-empty.test.js — Redis restarted empty (no AOF: the history
// is gone) under 200 live WebSocket clients. The generator logs the loss
// once, counts it (tickgen_histories_lost_total) and starts a new history
// (a new epoch); the gateway counts it (tickgw_epoch_changes_total) and
// closes every client with 1012 without sending one tick of the new history
// on an old connection; clients that reconnect from 0, as the page does,
// get the new epoch's series, equal to XRANGE.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { RedisServer, readStream, checkSeries, waitStreamLength } from '../lib/redis.js';
import { freePort, startGenerator, waitFor } from '../lib/procs.js';
import { startGateway, WsClient, metrics, stopStack } from '../lib/gateway.js';

const DT = 50;
const N = 200;
const INSTRUMENTS = 20;
let redis, client, gen, gw;
const clients = [];

after(() => stopStack({ clients, gateways: [gw], procs: [gen], client, redis }));

async function scrape(url) {
  const out = {};
  for (const line of (await (await fetch(url)).text()).split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out[line.slice(0, i)] = Number(line.slice(i + 1));
  }
  return out;
}

const sym = (i) => `ticker_${String(i % INSTRUMENTS).padStart(2, '0')}`;

test(`Redis restarted empty under ${N} live clients: one new epoch, counted by both daemons, every client closed 1012 and reloaded`, { timeout: 120000 }, async () => {
  redis = await RedisServer.start({ aof: false });
  client = redis.client();
  const mport = await freePort();
  const genMetrics = `http://127.0.0.1:${mport}/metrics`;
  gen = startGenerator(redis.url, ['--interval-ms', String(DT), '--instruments', String(INSTRUMENTS), '--reset',
    '--metrics-listen', `127.0.0.1:${mport}`]);
  await waitStreamLength(client, 'ticker_00', 10);
  gw = await startGateway(redis.url);
  const oldEpoch = Number(await client.hget('ts:meta', 'epoch'));

  for (let i = 0; i < N; i++) {
    const c = await WsClient.open(gw.ws, { json: i % 4 === 0 });
    c.sub(sym(i), 0);
    clients.push(c);
  }
  await Promise.all(clients.map((c, i) => c.waitLive(sym(i), 5, 30000)));
  assert.equal((await scrape(genMetrics)).tickgen_histories_lost_total, 0);
  assert.equal((await metrics(gw)).tickgw_epoch_changes_total, 0);

  await redis.kill();
  await redis.restart(); // no AOF, no RDB: empty
  let timer;
  const closes = await Promise.race([
    Promise.all(clients.map((c) => c.closed)),
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(
      `only ${clients.filter((c) => c.ws.readyState === c.ws.CLOSED).length} of ${N} clients closed within 30 s`)), 30000); }),
  ]).finally(() => clearTimeout(timer));
  for (const [i, cl] of closes.entries()) assert.equal(cl.code, 1012, `client ${i} closed ${cl.code} ${cl.reason}`);
  const newEpoch = Number(await client.hget('ts:meta', 'epoch'));
  assert.ok(newEpoch > 0 && newEpoch !== oldEpoch, `a new epoch (${oldEpoch} -> ${newEpoch})`);
  for (const [i, c] of clients.entries()) {
    // Nothing of the new history reached an old connection: its series is
    // the old walk, consecutive to the end.
    assert.equal(checkSeries(c.series(sym(i)), DT), null, `client ${i}: old series intact up to the close`);
    for (const m of c.msgs) if (m.op === 'hist') assert.equal(m.epoch, oldEpoch, `client ${i}: only old-epoch hist`);
  }

  await gen.waitOutput(/redis holds no ts:meta any more \(restarted empty, flushed or deleted\): the history of epoch \d+ is gone/, 5000);
  await gw.waitOutput(/ts:meta changed \(epoch \d+ -> \d+\); closing clients/, 5000);
  assert.equal((await scrape(genMetrics)).tickgen_histories_lost_total, 1, 'the generator counts one lost history');
  assert.equal((await metrics(gw)).tickgw_epoch_changes_total, 1, 'the gateway counts one epoch change');

  // Every client reloads, as the page does on 1012: from 0, in the new epoch.
  const again = [];
  for (let i = 0; i < N; i++) {
    const c = await WsClient.open(gw.ws, { json: i % 4 === 0 });
    c.sub(sym(i), 0);
    again.push(c);
    clients.push(c);
  }
  await Promise.all(again.map((c, i) => c.waitLive(sym(i), 5, 30000)));
  for (const [i, c] of again.entries()) {
    const hists = c.msgs.filter((m) => m.op === 'hist');
    assert.ok(hists.length > 0 && hists.every((m) => m.epoch === newEpoch), `client ${i}: hist in the new epoch`);
    const s = c.series(sym(i));
    assert.equal(checkSeries(s, DT), null, `client ${i}: no hole, no duplicate`);
    const want = await readStream(client, sym(i), '-', String(s[s.length - 1].t));
    assert.deepEqual(s.map((x) => [x.t, x.p]), want.map((x) => [x.t, x.p]), `client ${i}: series equals XRANGE of the new history`);
  }
  assert.equal((await metrics(gw)).tickgw_epoch_changes_total, 1, 'still one');
});
