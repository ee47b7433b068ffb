// tests/gen/clock.test.js — the generator's wall clock stepped forward
// (libfaketime; the step back is in faults.test.js). An hour forward: the
// hour is backfilled oldest first in batches of at most 65,536 commands,
// published in order, without losing the lease or blocking the loop, then
// the generator is live again at the new time. Beyond the retention window:
// one warning, the backfill starts at the window's start, and MINID trims
// what is older — exactly as after an outage that long (docs/RELIABILITY.md).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { decode } from '@msgpack/msgpack';
import { fakeClock, freePort, startGenerator, waitFor } from '../lib/procs.js';
import { RedisServer, checkSeries, readStream, waitStreamLength } from '../lib/redis.js';

const IV = 100;
const N = 3;
const NAMES = ['ticker_00', 'ticker_01', 'ticker_02'];
const stack = [];
after(async () => {
  for (const p of stack.reverse()) await p.stop();
});

async function setup(offset, args = []) {
  const clock = fakeClock(offset);
  const redis = await RedisServer.start();
  const client = redis.client();
  const sub = redis.client();
  const port = await freePort();
  const gen = startGenerator(redis.url, ['--interval-ms', String(IV), '--instruments', String(N), '--metrics-listen',
    `127.0.0.1:${port}`, ...args], { env: clock.env });
  stack.push({ stop: () => clock.remove() }, redis, { stop: () => client.quit() }, { stop: () => sub.quit() }, gen);
  await waitStreamLength(client, 'ticker_00', 10);
  // Every ts:live message's time, in arrival order.
  const live = [];
  await sub.subscribe('ts:live');
  sub.on('messageBuffer', (_ch, msg) => live.push(decode(msg).t));
  return { clock, client, gen, live, health: `http://127.0.0.1:${port}/healthz` };
}

/** Waits until ticker_00's newest tick is within 10 intervals of the generator's clock (real + offset ms). */
async function waitLive(client, offsetMs, timeout) {
  await waitFor('the generator to be live at its new time', async () => {
    const [[id]] = await client.xrevrange('ts:tick:{ticker_00}', '+', '-', 'COUNT', 1);
    return Math.abs(Date.now() + offsetMs - Number(id.split('-')[0])) < 10 * IV;
  }, { timeout });
}

test('the clock stepped forward an hour: backfilled in bounded batches, in order, then live at the new time', { timeout: 120000 }, async () => {
  const { clock, client, gen, live, health } = await setup('+0');
  const before = await readStream(client, 'ticker_00');
  clock.set('+3600');

  const m = await gen.waitOutput(/backfill: (\d+) intervals due \((\d+) s\), in batches of (\d+)/, 10000);
  const [, due, , batch] = /backfill: (\d+) intervals due \((\d+) s\), in batches of (\d+)/.exec(gen.output).map(Number);
  assert.ok(m);
  assert.ok(due >= 36000 && due < 36000 + 600, `about an hour of intervals due: ${due}`);
  assert.ok(batch * (N + 3) <= 65536, `a batch (${batch} tick times) stays within 65,536 commands`);
  // The loop keeps answering while it backfills: each batch yields to it.
  let probes = 0;
  while (!/backfill: done/.test(gen.output)) {
    assert.ok(gen.running, `tickgen exited: ${gen.tail()}`);
    const r = await fetch(health, { signal: AbortSignal.timeout(20000) });
    assert.equal(r.status, 200);
    probes++;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(probes > 0);
  assert.match(gen.output, /backfill: done, \d+ intervals in [\d.]+ s/);
  await waitLive(client, 3600000, 15000);
  assert.doesNotMatch(gen.output, /leader -> standby|renewing the lease/, 'the lease was kept through the backfill');

  for (const name of NAMES) {
    const s = await readStream(client, name);
    assert.equal(checkSeries(s, IV), null, `${name}: one consecutive ±1 series through the jump`);
    assert.ok(s.length >= before.length + 36000, `${name}: the hour is in the stream (${s.length})`);
  }
  // ts:live carried every tick time once, in order: a gateway reads it as
  // an ordinary backfill.
  await waitFor('ts:live to catch up', async () => {
    const [[id]] = await client.xrevrange('ts:tick:{ticker_00}', '+', '-', 'COUNT', 1);
    return live.length && live[live.length - 1] >= Number(id.split('-')[0]);
  }, { timeout: 10000 });
  for (let i = 1; i < live.length; i++) assert.equal(live[i] - live[i - 1], IV, `ts:live in order at ${i}`);
});

test('the clock stepped forward beyond the retention window: one warning, the window backfilled, older history trimmed', { timeout: 120000 }, async () => {
  const { clock, client, gen } = await setup('+0', ['--retention', '60s']);
  clock.set('+3600');
  await gen.waitOutput(/last tick \d+ is older than the retention window: skipping to \d+/, 10000);
  await waitLive(client, 3600000, 30000);
  assert.equal(gen.output.match(/older than the retention window/g).length, 1, 'one warning');
  const windowStart = Date.now() + 3600000 - 60000;
  for (const name of NAMES) {
    const s = await readStream(client, name);
    // MINID ~ drops whole stream nodes (100 entries): some of the old
    // history may stay in front of the hole, never more than a node.
    const hole = s.findIndex((x, i) => i > 0 && x.t - s[i - 1].t !== IV);
    const newer = hole < 0 ? s : s.slice(hole);
    assert.ok(hole <= 100, `${name}: at most one node of the old history left (${hole})`);
    assert.equal(checkSeries(newer, IV), null, `${name}: consecutive from the window's start`);
    assert.ok(newer[0].t >= windowStart - 10000, `${name}: the backfill starts at the window, not at the last tick`);
    assert.ok(newer.length <= 60000 / IV + 200, `${name}: no more than the window is written (${newer.length})`);
  }
});
