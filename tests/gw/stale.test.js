// tests/gw/stale.test.js — the generator stops writing while Redis is fine
// (stopped, fenced or refused): the gateway says so on /readyz, in
// tickgw_feed_stale and in one log line, stays ready (200: the history is
// still served), and recovers by itself when ticks resume.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTicking } from '../lib/redis.js';
import { waitFor } from '../lib/procs.js';
import { startGateway, WsClient, metrics, stopStack } from '../lib/gateway.js';

const DT = 50;
let redis, client, gen, gw;
const clients = [];

after(() => stopStack({ clients, gateways: [gw], procs: [gen], client, redis }));

async function readyz() {
  const r = await fetch(`${gw.http}/readyz`);
  return { status: r.status, text: await r.text() };
}

test('no new tick for --stale-after intervals: /readyz and tickgw_feed_stale say so, then recover', { timeout: 60000 }, async () => {
  ({ redis, client, gen } = await startTicking(['--interval-ms', String(DT), '--instruments', '4', '--reset'], 'ticker_00', 20));
  // 40 intervals (2 s): a loaded machine's hiccup is not a stale feed.
  // Two workers, named: each counts its own episode, so the count is read
  // once both are stale (reading it when /readyz first names one raced the
  // other worker's next 20 ms tick on a loaded machine: 2 !== 1).
  gw = await startGateway(redis.url, ['--stale-after', '40', '--threads', '2']);
  const c = await WsClient.open(gw.ws);
  clients.push(c);
  c.sub('ticker_01', 0);
  await c.waitLive('ticker_01', 10);
  assert.equal((await readyz()).text, 'ready\n', 'fresh: a plain ready');
  assert.equal((await metrics(gw)).tickgw_feed_stale, 0);

  // A stopped generator looks to the gateway like a fenced or refused one:
  // Redis answers, the streams do not move.
  gen.signal_('SIGSTOP');
  const stale = await waitFor('/readyz to name the stale feed', async () => {
    const r = await readyz();
    return /no new tick/.test(r.text) && r;
  }, { timeout: 10000 });
  assert.equal(stale.status, 200, 'still ready: every gateway sees the same streams, the history is still served');
  assert.match(stale.text, /^ready \(stale: worker \d: no new tick for [\d.]+ s while Redis answers/);
  const m = await waitFor('both workers stale', async () => {
    const x = await metrics(gw);
    return x.tickgw_feed_stale === 2 && x;
  }, { timeout: 5000 });
  assert.ok(m.tickgw_feed_stale_total >= 1, 'the episode is counted');
  await gw.waitOutput(/no new tick for \d+ intervals \([\d.]+ s\) while Redis answers/, 5000);
  const history = await fetch(`${gw.http}/api/history?sym=ticker_01&since=0`);
  assert.equal(history.status, 200, 'history is served meanwhile');

  gen.signal_('SIGCONT');
  await waitFor('/readyz plain ready again', async () => (await readyz()).text === 'ready\n', { timeout: 10000 });
  await gw.waitOutput(/new ticks again after [\d.]+ s without/, 5000);
  const n = c.series('ticker_01').live;
  await c.waitLive('ticker_01', n + 10);
  const after = await metrics(gw);
  assert.equal(after.tickgw_feed_stale, 0, 'not stale once ticks resume');
  assert.equal(after.tickgw_feed_stale_total, m.tickgw_feed_stale_total, 'one episode, counted once');
});

test('Redis away is not "stale": /readyz 503 names Redis, and the silence before counts from ready again', { timeout: 60000 }, async () => {
  await redis.kill();
  const down = await waitFor('/readyz 503', async () => {
    const r = await readyz();
    return r.status === 503 && r;
  }, { timeout: 5000 });
  assert.doesNotMatch(down.text, /no new tick/, 'the reason is Redis');
  assert.equal((await metrics(gw)).tickgw_feed_stale, 0, 'not stale while Redis is away');
  await redis.restart();
  await waitFor('/readyz plain ready again', async () => (await readyz()).text === 'ready\n', { timeout: 15000 });
});
