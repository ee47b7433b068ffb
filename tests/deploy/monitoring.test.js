// tests/deploy/monitoring.test.js — the monitoring files against live
// daemons: Prometheus' own parser (`promtool check metrics`) accepts both
// daemons' /metrics, `promtool check config` accepts
// deploy/prometheus/prometheus.yml, and every metric the Grafana dashboard
// (deploy/grafana/tickstream.json) queries exists in a live scrape.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { freePort, startGenerator, waitFor } from '../lib/procs.js';
import { RedisServer, waitStreamLength } from '../lib/redis.js';
import { startGateway, WsClient } from '../lib/gateway.js';
import { SseClient } from '../lib/sse.js';
import { ROOT, run } from './util.js';

let redis, client, gen, gw, genMetrics;
const texts = {};

before(async () => {
  redis = await RedisServer.start({ aof: false });
  client = redis.client();
  const port = await freePort();
  genMetrics = `http://127.0.0.1:${port}/metrics`;
  gen = startGenerator(redis.url, ['--interval-ms', '50', '--instruments', '4', '--metrics-listen', `127.0.0.1:${port}`]);
  await waitStreamLength(client, 'ticker_03', 10);
  gw = await startGateway(redis.url);
  // Clients of both kinds, so the histograms have samples.
  const ws = await WsClient.open(gw.ws, { json: true });
  ws.sub('ticker_01', 0);
  ws.send({ op: 'board', since: 0 }); // so the board's counters move too
  const sse = new SseClient(`${gw.http}/sse?sym=ticker_02&since=0`, { reconnect: false });
  await waitFor('both clients live', () => ws.msgs.some((m) => m.op === 'tick') && ws.msgs.some((m) => m.op === 'bt') &&
    sse.events.some((e) => e.type === 'live'), { timeout: 10000 });
  await new Promise((r) => setTimeout(r, 300));
  texts.tickgw = await (await fetch(`${gw.http}/metrics`)).text();
  texts.tickgen = await (await fetch(genMetrics)).text();
  ws.ws.terminate();
  sse.stop();
});

after(async () => {
  await gw?.stop();
  await gen?.stop();
  await client?.quit();
  await redis?.stop();
});

for (const name of ['tickgw', 'tickgen']) {
  test(`promtool check metrics accepts ${name}'s /metrics`, () => {
    assert.ok(texts[name].includes(`${name}_`), `${name} exposes its metrics`);
    const r = run('promtool', ['check', 'metrics'], { input: texts[name] });
    // Exit 3 is lint findings only (1 would be a parse error). The one
    // allowed: tickgw_live_lag_ms, kept beside tickgw_live_lag_seconds for
    // the dashboards and tests that read it.
    const findings = (r.stdout + r.stderr).trim().split('\n').filter(Boolean);
    const allowed = name === 'tickgw' ? ['tickgw_live_lag_ms metric names should not contain abbreviated units'] : [];
    assert.deepEqual(findings, allowed, `promtool: ${r.stdout}${r.stderr}`);
    assert.equal(r.code, allowed.length ? 3 : 0);
  });
}

test('promtool check config accepts deploy/prometheus/prometheus.yml', () => {
  const r = run('promtool', ['check', 'config', path.join(ROOT, 'deploy/prometheus/prometheus.yml')]);
  assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
});

test('the board\'s metrics count the one watcher and its frames', () => {
  const value = (name) => Number(texts.tickgw.match(new RegExp(`^${name} (\\S+)$`, 'm'))?.[1]);
  assert.equal(value('tickgw_board_watchers'), 1);
  assert.equal(value('tickgw_board_snapshots_total'), 1);
  assert.ok(value('tickgw_board_frames_encoded_total') >= 1);
  // One watcher: every frame sent was encoded for it alone.
  assert.equal(value('tickgw_board_frames_sent_total'), value('tickgw_board_frames_encoded_total'));
});

test('every metric the Grafana dashboard queries exists in a live scrape', () => {
  const dash = JSON.parse(fs.readFileSync(path.join(ROOT, 'deploy/grafana/tickstream.json'), 'utf8'));
  const exprs = dash.panels.flatMap((p) => p.targets.map((t) => t.expr));
  assert.ok(exprs.length >= 9, `${exprs.length} queries`);
  const samples = new Set(Object.values(texts).join('\n').split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(/[{ ]/)[0]));
  const used = new Set(exprs.flatMap((e) => e.match(/\b(tickgw|tickgen)_[a-z_]+\b/g) ?? []));
  for (const want of ['tickgw_fanout_seconds_bucket', 'tickgw_catchup_seconds_bucket', 'tickgw_connections',
    'tickgw_slow_client_closes_total', 'tickgw_redis_reconnects_total', 'tickgen_lag_seconds',
    'tickgw_board_watchers', 'tickgw_board_frames_sent_total', 'tickgw_board_frames_encoded_total']) {
    assert.ok(used.has(want), `the dashboard shows ${want}`);
  }
  const missing = [...used].filter((m) => !samples.has(m));
  assert.deepEqual(missing, [], 'queried but not exposed');
  assert.ok(!samples.has('tickgw_no_such_metric'), 'the check can fail');
});
