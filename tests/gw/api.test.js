// tests/gw/api.test.js — the HTTP side: /api/config, /api/history, /healthz,
// /readyz, /metrics and static files from --webui.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readStream, startTicking } from '../lib/redis.js';
import { waitFor } from '../lib/procs.js';
import { startGateway, WsClient, metrics } from '../lib/gateway.js';

const DT = 10;
let redis, client, gen, gw, webui;

before(async () => {
  webui = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-webui-'));
  fs.writeFileSync(path.join(webui, 'index.html'), '<!doctype html><title>tickstream test page</title>\n');
  fs.writeFileSync(path.join(webui, 'app.js'), 'export const x = 1;\n');
  ({ redis, client, gen } = await startTicking(['--interval-ms', String(DT), '--instruments', '12', '--reset'], 'ticker_11', 200, 15000));
  gw = await startGateway(redis.url, ['--webui', webui, '--history-max', '100']);
});

after(async () => {
  for (const p of [gw, gen]) if (p) await p.stop();
  await client?.quit();
  await redis?.stop();
  fs.rmSync(webui, { recursive: true, force: true });
});

const get = (p) => fetch(`${gw.http}${p}`);

test('/api/config is ts:meta and the instrument list', async () => {
  const r = await get('/api/config');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /application\/json/);
  const cfg = await r.json();
  const meta = await client.hgetall('ts:meta');
  assert.deepEqual(cfg.instruments, await client.lrange('ts:instruments', 0, -1));
  assert.equal(cfg.instruments.length, 12);
  assert.equal(cfg.interval_ms, Number(meta.interval_ms));
  assert.equal(cfg.retention_ms, Number(meta.retention_ms));
  assert.equal(cfg.epoch, Number(meta.epoch));
  assert.ok(Number.isSafeInteger(cfg.epoch) && cfg.epoch > 0);
});

test('/api/history equals XRANGE, in the hist shape', async () => {
  const all = await readStream(client, 'ticker_03');
  const since = all[20].t, until = all[80].t;
  const h = await (await get(`/api/history?sym=ticker_03&since=${since}&until=${until}`)).json();
  const want = all.filter((x) => x.t > since && x.t <= until);
  assert.equal(h.op, 'hist');
  assert.equal(h.sym, 'ticker_03');
  assert.equal(h.epoch, Number(await client.hget('ts:meta', 'epoch')));
  assert.equal(h.t0, want[0].t);
  assert.equal(h.dt, DT);
  assert.deepEqual(h.p, want.map((x) => x.p));
  assert.equal(h.last, until);
  assert.equal(h.more, false);
  // --history-max 100 cuts a long answer: more: true, resume from last
  const first = await (await get('/api/history?sym=ticker_03&since=0')).json();
  assert.equal(first.p.length, 100);
  assert.equal(first.more, true);
  const next = await (await get(`/api/history?sym=ticker_03&since=${first.last}`)).json();
  assert.equal(next.t0, first.last + DT, 'resuming from last continues the run');
  // nothing after since: p [] with last = since
  const future = Date.now() + 60000;
  const none = await (await get(`/api/history?sym=ticker_03&since=${future}`)).json();
  assert.deepEqual([none.p, none.last, none.more], [[], future, false]);
});

test('/api/history: at most 8 reads in flight per worker thread, the rest get 503 at once', { timeout: 20000 }, async () => {
  // CLIENT PAUSE holds every other client's commands in Redis: the
  // gateway's XRANGEs stay in flight until it ends. Its OK means the pause
  // is in effect, so no timing guess is needed.
  const admin = redis.client();
  await admin.call('CLIENT', 'PAUSE', '1500', 'ALL');
  const N = 40; // over 2 worker threads: at least 40 - 2 × 8 get 503
  const replies = await Promise.all(Array.from({ length: N }, async () => {
    const r = await get('/api/history?sym=ticker_04&since=0');
    return { status: r.status, body: await r.text() };
  }));
  await admin.quit();
  const busy = replies.filter((r) => r.status === 503);
  const ok = replies.filter((r) => r.status === 200);
  assert.equal(busy.length + ok.length, N, `statuses: ${replies.map((r) => r.status)}`);
  assert.ok(busy.length >= N - 16, `${busy.length} refused, want >= ${N - 16}`);
  assert.ok(ok.length >= 1 && ok.length <= 16, `${ok.length} served`);
  for (const r of busy) assert.match(r.body, /too many history reads in flight/);
  for (const r of ok) assert.equal(JSON.parse(r.body).p.length, 100, 'the held reads are answered in full');
  // The slots are given back: a read after the pause is served.
  assert.equal((await get('/api/history?sym=ticker_04&since=0')).status, 200);
});

test('/api/history refuses bad parameters', async () => {
  for (const [q, status] of [['', 400], ['?sym=ticker_99', 404], ['?sym=nope&since=0', 404],
    ['?sym=ticker_01&since=-1', 400], ['?sym=ticker_01&since=abc', 400], ['?sym=ticker_01&until=1.5', 400]]) {
    const r = await get(`/api/history${q}`);
    assert.equal(r.status, status, `/api/history${q}`);
    assert.ok((await r.json()).error, 'a JSON error message');
  }
});

test('/healthz, /readyz, static files', async () => {
  assert.equal(await (await get('/healthz')).text(), 'ok\n');
  const ready = await get('/readyz');
  assert.equal(ready.status, 200);
  const index = await get('/');
  assert.equal(index.status, 200);
  assert.match(await index.text(), /tickstream test page/);
  const js = await get('/app.js');
  assert.equal(js.status, 200);
  assert.match(js.headers.get('content-type'), /javascript/);
  assert.equal((await get('/nothing-here.css')).status, 404);
  const ws = await get('/ws');
  assert.equal(ws.status, 400, 'plain GET /ws is refused');
});

test('/metrics counts connections, subscriptions, messages, catch-ups, live', async () => {
  const m0 = await metrics(gw);
  const c = await WsClient.open(gw.ws);
  c.sub('ticker_01', 0);
  c.sub('ticker_02', Date.now());
  c.send({ op: 'nope' });
  await c.waitLive('ticker_01', 20);
  await waitFor('metrics to show the connection', async () => (await metrics(gw)).tickgw_connections === m0.tickgw_connections + 1);
  const m = await metrics(gw);
  assert.equal(m.tickgw_subscriptions, m0.tickgw_subscriptions + 2);
  assert.equal(m.tickgw_catchup_seconds_count, m0.tickgw_catchup_seconds_count + 2);
  assert.equal(m['tickgw_catchup_seconds_bucket{le="+Inf"}'], m.tickgw_catchup_seconds_count);
  assert.equal(m.tickgw_client_errors_total, m0.tickgw_client_errors_total + 1);
  assert.ok(m.tickgw_messages_sent_total >= m0.tickgw_messages_sent_total + c.msgs.length);
  assert.ok(m.tickgw_bytes_sent_total > m0.tickgw_bytes_sent_total);
  assert.ok(m.tickgw_live_messages_total > m0.tickgw_live_messages_total);
  assert.ok(m.tickgw_live_lag_ms >= 0 && m.tickgw_live_lag_ms < 1000, `live lag ${m.tickgw_live_lag_ms} ms`);
  assert.equal(m.tickgw_ready, 1);
  for (const name of ['tickgw_slow_client_closes_total', 'tickgw_redis_reconnects_total', 'tickgw_connections_rejected_total'])
    assert.ok(name in m, `${name} is exported`);
  const text = await (await get('/metrics')).text();
  assert.match(text, /# TYPE tickgw_catchup_seconds histogram/);
  await c.close();
  await waitFor('metrics to drop the connection', async () => (await metrics(gw)).tickgw_connections === m0.tickgw_connections);
  assert.equal((await metrics(gw)).tickgw_subscriptions, m0.tickgw_subscriptions);
});
