// tests/browser/eventsource.test.js — Chromium's own EventSource on GET /sse:
// history then live for two instruments, the gateway SIGKILLed and started
// again on the same port, and the browser's automatic reconnect (with
// Last-Event-ID) ending with series equal to XRANGE: no gap, no duplicate.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { launchChromium } from '../lib/browser.js';
import { startTicking, readStream, checkSeries } from '../lib/redis.js';
import { ROOT, waitFor } from '../lib/procs.js';
import { startGateway, stopStack } from '../lib/gateway.js';

const DT = 50;
const SYMS = ['ticker_01', 'ticker_02'];
let redis, client, gen, browser, page;
const gateways = [];

before(async () => {
  ({ redis, client, gen } = await startTicking(['--interval-ms', String(DT), '--instruments', '4', '--reset'], 'ticker_02', 60, 15000));
  gateways.push(await startGateway(redis.url, ['--webui', path.join(ROOT, 'webui')]));
  browser = await launchChromium();
  page = await browser.newPage();
});

after(async () => {
  if (browser) await browser.close();
  await stopStack({ gateways, procs: [gen], client, redis });
});

const state = () => page.evaluate(() => ({ opens: window.es.opens, lives: window.es.lives, last: window.es.last }));

test('EventSource: history, live, gateway killed and restarted, resumed exactly', { timeout: 60000 }, async () => {
  const gw = gateways[0];
  await page.goto(`${gw.http}/healthz`); // the gateway's origin, for a same-origin EventSource
  const since = Date.now() - 40 * DT;
  await page.evaluate(({ syms, since }) => {
    const es = new EventSource(`/sse?sym=${syms.join(',')}&since=${since}`);
    Object.assign(es, { opens: 0, lives: 0, ticks: [], ids: [], hellos: [], last: {} });
    es.onopen = () => es.opens++;
    es.onmessage = (e) => {
      const d = JSON.parse(e.data);
      es.ticks.push(d);
      es.ids.push(e.lastEventId);
      es.last[d.sym] = d.t;
    };
    es.addEventListener('live', () => es.lives++);
    es.addEventListener('hello', (e) => es.hellos.push(JSON.parse(e.data).epoch));
    window.es = es;
  }, { syms: SYMS, since });
  await waitFor('both live', async () => (await state()).lives === 2, { timeout: 10000 });

  gw.signal_('SIGKILL');
  await waitFor('the gateway to die', () => !gw.running, { timeout: 5000 });
  await new Promise((r) => setTimeout(r, 500)); // ticks the browser misses while it is down
  gateways.push(await startGateway(redis.url, ['--webui', path.join(ROOT, 'webui')], { port: gw.port }));
  await waitFor('the browser to reconnect by itself and go live', async () => {
    const s = await state();
    return s.opens === 2 && s.lives === 4;
  }, { timeout: 20000 });
  const t = Date.now();
  await waitFor('live ticks after the restart', async () => {
    const s = await state();
    return SYMS.every((sym) => s.last[sym] > t);
  }, { timeout: 5000 });
  const got = await page.evaluate(() => {
    window.es.close();
    return { ticks: window.es.ticks, ids: window.es.ids, hellos: window.es.hellos };
  });
  const epoch = Number(await client.hget('ts:meta', 'epoch'));
  assert.deepEqual(got.hellos, [epoch, epoch]);
  for (const [i, id] of got.ids.entries()) assert.match(id, /^\d+,\d+$/, `id ${i}`);
  for (const sym of SYMS) {
    const series = got.ticks.filter((d) => d.sym === sym).map(({ t, p }) => ({ t, p }));
    assert.equal(checkSeries(series, DT), null, `${sym}: ${checkSeries(series, DT)}`);
    const want = await readStream(client, sym, `(${since}`, String(series.at(-1).t));
    assert.equal(series.length, want.length, `${sym}: the browser holds ${series.length}, XRANGE ${want.length}`);
    assert.deepEqual(series, want);
  }
});
