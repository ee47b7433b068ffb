// tests/browser/page.test.js — the web page in headless Debian Chromium
// against a real redis-server, tickgen (100 ms ticks) and tickgw.
//
// Two instruments get a full day's worth of points (86,400) written straight
// into Redis first (and their candles made by tickgen --rebuild-rollups, as
// after an upgrade), so the page opens on a real-size history; the
// generator then continues them live. The page holds the buckets of the
// window it shows and the live ticks since it subscribed, not every tick:
// every comparison is of those against XRANGE.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { RedisServer, readStream, checkSeries } from '../lib/redis.js';
import { ROOT, BUILD, Proc, freePort, waitFor, startGenerator } from '../lib/procs.js';
import { waitReady } from '../lib/gateway.js';
import { fillHistory } from './fill.js';
import { settled, pageFrame, checkFrame, checkTicks } from './frame.js';

const INTERVAL = 100;
const INSTRUMENTS = 8;
const NAMES = Array.from({ length: INSTRUMENTS }, (_, i) => `ticker_${String(i).padStart(2, '0')}`);
const HEAVY = ['ticker_03', 'ticker_05']; // 86,400 points each
const DAY_POINTS = 86400;
const ARTIFACTS = path.join(ROOT, 'tests/artifacts');

let redis, client, gen, gw, gwPort, browser, page;
const pageLog = [];

// Not tests/lib/gateway.js startGateway(): the restart must reuse the port,
// as a browser reconnects to the same URL.
async function startGateway() {
  const proc = new Proc('tickgw', path.join(BUILD, 'tickgw'), [
    '--listen', `127.0.0.1:${gwPort}`, '--redis', redis.url, '--webui', path.join(ROOT, 'webui'), '--threads', '1',
  ]);
  proc.http = `http://127.0.0.1:${gwPort}`;
  await waitReady(proc);
  return proc;
}

/** Waits for a condition in the page; `what` names it in the failure. */
async function until(what, fn, arg, timeout = 10000) {
  try {
    await page.waitForFunction(fn, arg, { timeout, polling: 50 });
  } catch (e) {
    const st = await page.evaluate(() => window.tickstream && { sym: tickstream.sym, state: tickstream.state, phase: tickstream.phase, length: tickstream.length, notices: tickstream.notices }).catch(() => null);
    throw new Error(`${what}: ${e.message.split('\n')[0]}; page: ${JSON.stringify(st)}`);
  }
}

/** The page's buckets and its live ticks of `sym` equal XRANGE, without hole or duplicate. */
async function assertSeriesMatchesRedis(sym) {
  await checkFrame(client, await pageFrame(page));
  const got = await checkTicks(client, page, sym);
  assert.equal(checkSeries(got, INTERVAL), null);
  return got;
}

before(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  redis = await RedisServer.start({ aof: false });
  client = redis.client();
  // A common last tick for every stream, a few intervals in the past: the
  // generator resumes after it (and backfills up to now).
  const endT = Math.floor(Date.now() / INTERVAL) * INTERVAL - 5 * INTERVAL;
  await fillHistory(client, HEAVY, { count: DAY_POINTS, interval: INTERVAL, endT });
  await fillHistory(client, NAMES.filter((n) => !HEAVY.includes(n)), { count: 20, interval: INTERVAL, endT, seed: 7 });
  gen = startGenerator(redis.url, ['--interval-ms', String(INTERVAL), '--instruments', String(INSTRUMENTS), '--rebuild-rollups']);
  await gen.waitOutput(/resuming after tick/);
  await gen.waitOutput(/rollups rebuilt/, 60000);
  gwPort = await freePort();
  gw = await startGateway();
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage({ viewport: { width: 1200, height: 640 } });
  page.on('console', (m) => pageLog.push(`console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => pageLog.push(`pageerror: ${e.message}`));
});

after(async () => {
  if (page) await page.screenshot({ path: path.join(ARTIFACTS, 'browser-last.png') }).catch(() => {});
  if (browser) await browser.close();
  if (gw) await gw.stop();
  if (gen) await gen.stop();
  if (client) client.disconnect();
  if (redis) await redis.stop();
  const errors = pageLog.filter((l) => l.startsWith('pageerror'));
  if (errors.length) console.log(pageLog.join('\n'));
});

test('the picker lists every instrument from /api/config; typing 05 + Enter picks ticker_05', async () => {
  const cfg = await (await fetch(`http://127.0.0.1:${gwPort}/api/config`)).json();
  assert.deepEqual(cfg.instruments, NAMES);
  await page.goto(`http://127.0.0.1:${gwPort}/`);
  await until('config loaded', () => window.tickstream && window.tickstream.instruments.length > 0);
  // No hash: the board is the default view, and the address stays `/`.
  await until('the board at /', () => document.body.dataset.view === 'board' && location.hash === '' &&
    tickstream.board() && tickstream.board().n === tickstream.instruments.length && tickstream.board().rows.length > 0);
  assert.equal(await page.isVisible('#chart'), false, 'no chart under the board');
  assert.equal(await page.evaluate(() => tickstream.sym), null, "no instrument subscribed under the board");
  // A row opens its chart at an address of its own; the browser's back and
  // forward buttons move between the two.
  await page.click('.brow[data-sym="ticker_00"]');
  await until('chart of ticker_00', () => tickstream.sym === 'ticker_00' && location.hash === '#ticker_00' && document.body.dataset.view === 'chart');
  await page.goBack();
  await until('back on the board', () => document.body.dataset.view === 'board' && location.hash === '');
  await page.goForward();
  await until('the chart again', () => document.body.dataset.view === 'chart' && location.hash === '#ticker_00');
  await page.focus('#picker');
  const listed = await page.$$eval('#picker-list li[data-name]', (lis) => lis.map((li) => li.dataset.name));
  assert.deepEqual(listed, cfg.instruments);
  await page.keyboard.type('05');
  const first = await page.$eval('#picker-list li.active', (li) => li.dataset.name);
  assert.equal(first, 'ticker_05');
  await page.keyboard.press('Enter');
  await until('ticker_05 in the URL', () => location.hash === '#ticker_05' && tickstream.sym === 'ticker_05');
  assert.equal(await page.inputValue('#picker'), 'ticker_05');
});

test('the chart shows the whole day of the chosen stream as XRANGE\'s buckets, then grows live', async () => {
  const t0 = Date.now();
  await settled(until, 'ticker_05');
  console.log(`# a day of ticker_05 live in the page after ${Date.now() - t0} ms`);
  const got = await assertSeriesMatchesRedis('ticker_05');
  const f = await pageFrame(page);
  assert.ok(f.t[0] <= f.lastT - DAY_POINTS * INTERVAL + f.w, `the chart starts at ${f.t[0]}, not a day back`);
  const last = got[got.length - 1].t;
  await until('live ticks', (l) => tickstream.lastT >= l + 10 * 100, last);
  await assertSeriesMatchesRedis('ticker_05');
  // The header follows the series.
  const price = await page.textContent('#price');
  assert.match(price.replace(/[,\s]/g, ''), /^-?\d+$/);
  assert.equal(await page.getAttribute('#conn', 'data-state'), 'live');
  // The chart's connection is the WebSocket index.html opened before the modules loaded, taken over (not a second one).
  assert.ok(await page.evaluate(() => window.tickstreamBoot.ws.readyState === WebSocket.OPEN && window.tickstreamBoot.ws.onmessage !== null),
    'the early WebSocket is open and in use');
  // Appending a tick redraws; nothing may take near a second, even with a day of points.
  const draw = await page.evaluate(() => tickstream.draw);
  console.log(`# chart draws: ${JSON.stringify(draw)}`);
  assert.ok(draw.draws > 5 && draw.maxMs < 500, JSON.stringify(draw));
});

test('a screenshot is written and the chart canvas is not blank', async () => {
  await until('chart drawn', () => document.querySelector('#chart canvas') !== null);
  // Count pixels in the series colour (--line, #4fc3f7) on the plot canvas.
  const drawn = await page.evaluate(() => {
    const c = document.querySelector('#chart canvas');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let line = 0, colours = new Set();
    for (let i = 0; i < d.length; i += 4) {
      if (d[i + 3] === 0) continue;
      colours.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
      if (Math.abs(d[i] - 0x4f) < 40 && Math.abs(d[i + 1] - 0xc3) < 40 && Math.abs(d[i + 2] - 0xf7) < 40) line++;
    }
    return { line, colours: colours.size, w: c.width, h: c.height };
  });
  const shot = path.join(ARTIFACTS, 'browser-page.png');
  await page.screenshot({ path: shot });
  assert.ok(fs.statSync(shot).size > 10000, 'screenshot is suspiciously small');
  assert.ok(drawn.line > 2000, `chart canvas looks blank: ${JSON.stringify(drawn)}`);
  assert.ok(drawn.colours > 20, `chart canvas looks blank: ${JSON.stringify(drawn)}`);
});

test('switching instrument switches the data completely, even when switching fast', async () => {
  // One switch with a visible loading state (switchTo runs synchronously in hashchange).
  const loading = await page.evaluate(() => {
    location.hash = '#ticker_03';
    window.dispatchEvent(new HashChangeEvent('hashchange'));
    return { sym: tickstream.sym, length: tickstream.length, overlay: !document.getElementById('loading').hidden };
  });
  assert.deepEqual(loading, { sym: 'ticker_03', length: 0, overlay: true });
  await settled(until, 'ticker_03');
  assert.equal(await page.isHidden('#loading'), true);
  await assertSeriesMatchesRedis('ticker_03');
  // Back and forth faster than a catch-up: 03 → 05 → 03 → 05 → 03 → 01 → 03.
  await page.evaluate(async () => {
    for (const s of ['ticker_05', 'ticker_03', 'ticker_05', 'ticker_03', 'ticker_01', 'ticker_03']) {
      location.hash = '#' + s;
      await new Promise((r) => setTimeout(r, 15));
    }
  });
  await settled(until, 'ticker_03');
  const got = await assertSeriesMatchesRedis('ticker_03');
  await until('live ticks', (l) => tickstream.lastT >= l + 5 * 100, got[got.length - 1].t);
  await assertSeriesMatchesRedis('ticker_03');
  // A light instrument: its stream is far shorter than the heavy ones.
  await page.evaluate(() => (location.hash = '#ticker_01'));
  await settled(until, 'ticker_01');
  await assertSeriesMatchesRedis('ticker_01');
  const light = await pageFrame(page);
  assert.ok(light.t.reduce((a, b) => a + b, 0) && light.n.reduce((a, b) => a + b, 0) < DAY_POINTS, `ticker_01's buckets hold ${light.n.reduce((a, b) => a + b, 0)} ticks`);
});

test('a gateway error is shown to the user (a link to an unknown instrument)', async () => {
  await page.evaluate(() => (location.hash = '#ticker_99'));
  await until('error shown', () => tickstream.phase === 'error' && tickstream.notices.some((n) => /unknown_sym/.test(n.text)));
  assert.equal(await page.isVisible('#notices li.error'), true);
  assert.match(await page.textContent('#loading'), /Cannot show ticker_99/);
  assert.equal(await page.evaluate(() => tickstream.length), 0);
  // Past the delay after which a live connection without ticks says "no ticks"
  // (3 intervals + 2 s): the connection is fine, the instrument is what is wrong.
  const at = await page.evaluate(() => tickstream.notices.at(-1).at);
  await until('the no-ticks delay passed', (t) => Date.now() - t.at > 3 * t.iv + 2000 + 1000, { at, iv: INTERVAL });
  assert.equal(await page.textContent('#conn-text'), 'live');
});

test('gateway killed and restarted: reconnecting, then live, no hole and no duplicate', async () => {
  await page.evaluate(() => (location.hash = '#ticker_05'));
  await settled(until, 'ticker_05');
  const before_ = await page.evaluate(() => tickstream.lastT);
  await gw.stop('SIGKILL');
  await until('reconnecting shown', () => tickstream.state === 'reconnecting' && /reconnecting in \d+s/.test(document.getElementById('conn-text').textContent));
  // Let the generator move on while the gateway is down: the page must catch up on that.
  await waitFor('ticks while the gateway is down', async () => {
    const [[id]] = await client.xrevrange('ts:tick:{ticker_05}', '+', '-', 'COUNT', 1);
    return Number(id.split('-')[0]) >= before_ + 10 * INTERVAL;
  }, { timeout: 5000 });
  gw = await startGateway();
  await until('live again', () => tickstream.state === 'live', undefined, 20000);
  const [[id]] = await client.xrevrange('ts:tick:{ticker_05}', '+', '-', 'COUNT', 1);
  await until('caught up past the outage', (t) => tickstream.lastT > t, Number(id.split('-')[0]));
  await settled(until, 'ticker_05');
  const held = await assertSeriesMatchesRedis('ticker_05');
  assert.ok(held[0].t <= before_, 'the ticks held reach back before the outage (a resume, not a restart)');
  const shot = path.join(ARTIFACTS, 'browser-after-reconnect.png');
  await page.screenshot({ path: shot });
});

test('history reset on the server (new epoch): the page reloads the series and says so', async () => {
  await settled(until, 'ticker_05');
  const oldEpoch = await page.evaluate(() => tickstream.epoch);
  await gen.stop();
  gen = startGenerator(redis.url, ['--interval-ms', String(INTERVAL), '--instruments', String(INSTRUMENTS), '--reset']);
  await gen.waitOutput(/no history: starting a new one/);
  const epoch = Number(await client.hget('ts:meta', 'epoch'));
  assert.notEqual(epoch, oldEpoch);
  await until('new epoch in the page', (e) => tickstream.epoch === e && tickstream.state === 'live' && tickstream.length > 5, epoch, 20000);
  await settled(until, 'ticker_05');
  const notices = await page.evaluate(() => tickstream.notices.map((n) => n.text));
  assert.ok(notices.some((t) => /new epoch/.test(t)), `notices: ${JSON.stringify(notices)}`);
  assert.ok(await page.isVisible('#notices li.warn'), 'the epoch notice is not on screen');
  await assertSeriesMatchesRedis('ticker_05');
  const f = await pageFrame(page);
  const shown = f.n.reduce((a, b) => a + b, 0);
  assert.ok(shown < DAY_POINTS, `old history still shown: ${shown} ticks in the buckets`);
});
