// tests/docker/monitoring.test.js — the compose file's `monitoring` profile
// for real, on the images of `make images` (Prometheus from Debian's
// package): `docker-compose --profile monitoring up -d --scale gateway=2`
// under its own project name, Prometheus published on a free port of
// 127.0.0.1, and through that port its API says every target of
// deploy/prometheus/prometheus.yml (both gateways and both generators) is
// scraped, `up == 1`, with the daemons' own metrics in it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { freePort, waitFor } from '../lib/procs.js';
import { Stack, buildImages, useEngine } from './engine.js';

let engine, stack, prom;

before(async () => {
  engine = await useEngine();
  await buildImages();
  const port = await freePort();
  stack = await Stack.create({ TS_INSTRUMENTS: '4', TS_INTERVAL_MS: '500', TS_PROMETHEUS_PORT: String(port) });
  prom = `http://127.0.0.1:${port}`;
});

after(async () => {
  if (stack) {
    const r = await stack.destroy();
    if (r.code !== 0) console.error(`docker-compose down -v failed:\n${r.stdout}${r.stderr}`);
  }
  await engine?.release();
});

async function api(pathAndQuery) {
  const r = await fetch(prom + pathAndQuery, { signal: AbortSignal.timeout(5000) });
  assert.equal(r.status, 200, `GET ${pathAndQuery}: HTTP ${r.status}`);
  const body = await r.json();
  assert.equal(body.status, 'success', JSON.stringify(body));
  return body.data;
}

/** The value of each series of an instant query, by job and instance. */
async function query(q) {
  const data = await api(`/api/v1/query?query=${encodeURIComponent(q)}`);
  return data.result.map((s) => ({ job: s.metric.job, instance: s.metric.instance, value: Number(s.value[1]) }));
}

test('--profile monitoring: Prometheus scrapes both gateways and both generators, every target up', { timeout: 300000 }, async (t) => {
  try {
    await stack.must(['--profile', 'monitoring', 'up', '-d', '--scale', 'gateway=2']);
    await waitFor('every container running and healthy', () => stack.healthy(), { timeout: 120000, every: 1000 });
    assert.equal((await stack.containers('prometheus')).length, 1, 'the profile starts prometheus');

    // Four targets, by DNS discovery (refreshed every 10 s), each scraped (every 5 s) and up.
    let targets = [];
    await waitFor('four targets of Prometheus, all up', async () => {
      try {
        targets = (await api('/api/v1/targets?state=active')).activeTargets;
      } catch {
        return false; // not answering yet
      }
      return targets.length === 4 && targets.every((x) => x.health === 'up');
    }, { timeout: 60000, every: 1000 }).catch((e) => {
      throw new Error(`${e.message}: ${JSON.stringify(targets.map((x) => [x.labels.job, x.scrapeUrl, x.health, x.lastError]))}`);
    });
    const jobs = targets.map((x) => x.labels.job).sort();
    assert.deepEqual(jobs, ['tickgen', 'tickgen', 'tickgw', 'tickgw']);

    const up = await query('up');
    assert.equal(up.length, 4, JSON.stringify(up));
    assert.ok(up.every((s) => s.value === 1), JSON.stringify(up));
    // The daemons' own metrics made it in: ticks written, gateways' live messages.
    await waitFor("tickgen_ticks_written_total, one leader and one standby, and both gateways' tickgw_connections scraped", async () => {
      const gen = await query('sum(tickgen_ticks_written_total)');
      const leaders = await query('sum(tickgen_leader)');
      const standbys = await query('sum(tickgen_standby)');
      const gws = await query('tickgw_connections');
      return gen[0]?.value > 0 && leaders[0]?.value === 1 && standbys[0]?.value === 1 && gws.length === 2;
    }, { timeout: 30000, every: 1000 });
    t.diagnostic(`targets: ${targets.map((x) => x.scrapeUrl).join(', ')}`);
  } catch (e) {
    console.error(`docker-compose logs (tail):\n${await stack.logs('', 30)}`);
    throw e;
  }
});
