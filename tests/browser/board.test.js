// tests/browser/board.test.js — the market watch (#board) in headless Debian
// Chromium against a real redis-server, tickgen and tickgw: it lists every
// instrument, its prices are the streams' and its changes over the day the
// streams' too, it updates live, sorts, filters,
// opens a chart (click and Enter) and comes back; with 10,000 instruments it
// keeps only the rows in view in the DOM, scrolls to the last one and
// updates, at a low main-thread cost per tick.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { RedisServer, waitStreamLength } from '../lib/redis.js';
import { ROOT, BUILD, Proc, freePort, waitFor, startGenerator } from '../lib/procs.js';
import { waitReady } from '../lib/gateway.js';

const ARTIFACTS = path.join(ROOT, 'tests/artifacts');
const stacks = [];
let browser, page;
const pageLog = [];

/** redis + tickgen (n instruments every dt ms) + tickgw serving webui/. */
async function startStack(n, dt) {
  const s = { redis: await RedisServer.start({ aof: false }) };
  stacks.push(s);
  s.client = s.redis.client();
  s.gen = startGenerator(s.redis.url, ['--interval-ms', String(dt), '--instruments', String(n), '--reset', '--rollups', 'off']);
  await waitStreamLength(s.client, n > 100 ? 'ticker_0000' : 'ticker_00', 3, 30000);
  const port = await freePort();
  s.gw = new Proc('tickgw', path.join(BUILD, 'tickgw'), [
    '--listen', `127.0.0.1:${port}`, '--redis', s.redis.url, '--webui', path.join(ROOT, 'webui'), '--threads', '1',
  ]);
  s.gw.http = `http://127.0.0.1:${port}`;
  await waitReady(s.gw, 30000);
  return s;
}

async function until(what, fn, arg, timeout = 15000) {
  try {
    await page.waitForFunction(fn, arg, { timeout, polling: 50 });
  } catch (e) {
    const st = await page.evaluate(() => { const b = tickstream.board(); return b && { ...b, prices: undefined }; }).catch(() => null);
    throw new Error(`${what}: ${e.message.split('\n')[0]}; board: ${JSON.stringify(st)}`);
  }
}

/** What the board shows, once the rows in view are drawn (they are drawn in the next animation frame). */
async function board() {
  await until('rows drawn', () => tickstream.board() && !tickstream.board().pending);
  return page.evaluate(() => tickstream.board());
}
const num = (s) => Number(s.replace(/[,\s]/g, '').replace('−', '-'));

before(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage({ viewport: { width: 1100, height: 700 } });
  page.on('console', (m) => pageLog.push(`console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => pageLog.push(`pageerror: ${e.message}`));
});

after(async () => {
  if (page) await page.screenshot({ path: path.join(ARTIFACTS, 'board-last.png') }).catch(() => {});
  if (browser) await browser.close();
  for (const s of stacks) {
    await s.gw?.stop();
    await s.gen?.stop();
    s.client?.disconnect();
    await s.redis?.stop();
  }
  const errors = pageLog.filter((l) => l.startsWith('pageerror'));
  assert.deepEqual(errors, [], 'no page errors');
});

test('board: every instrument, the streams\' prices, live; sort, filter, chart and back', { timeout: 90000 }, async () => {
  const s = await startStack(100, 200);
  await page.goto(`${s.gw.http}/#board`);
  await until('board live with 100 instruments', () => tickstream.board() && tickstream.board().n === 100 && tickstream.board().state === 'live');
  let b = await board();
  assert.ok(b.rows.length > 5 && b.rows.length < 40, `only the rows in view exist: ${b.rows.length}`);
  assert.equal(b.rows[0].sym, 'ticker_00');
  // Live: frames arrive, and the board at its tick equals the streams.
  const t1 = b.last;
  await until('5 more ticks', (t) => tickstream.board().last >= t + 5 * 200, t1);
  b = await board();
  for (const sym of ['ticker_00', 'ticker_37', 'ticker_99']) {
    const [[, f]] = await s.client.xrange(`ts:tick:{${sym}}`, b.last, b.last);
    assert.equal(b.prices[sym], Number(f[1]), `${sym} at ${b.last}`);
  }
  // The change over the day: the price minus the first tick of the UTC day,
  // the raw XRANGE from the day's start, COUNT 1.
  await until('changes shown', () => { const x = tickstream.board(); return x.rows.every((r) => r.change !== '' && Number(r.change.replace(/[,\s±+]/g, '').replace('−', '-')) === x.prices[r.sym] - x.ref[r.sym]); });
  b = await board();
  assert.equal(b.day, b.last - (b.last % 86400000));
  for (const r of b.rows) {
    const [[, f]] = await s.client.xrange(`ts:tick:{${r.sym}}`, b.day, '+', 'COUNT', 1);
    assert.equal(b.ref[r.sym], Number(f[1]), `${r.sym}: the day's first tick`);
  }
  assert.equal(await page.textContent('[data-sort="change"]'), 'day change');
  await page.screenshot({ path: path.join(ARTIFACTS, 'board-100.png') });
  // The rows shown follow the ticks.
  await until('shown prices follow', () => { const x = tickstream.board(); return x.rows.every((r) => Number(r.price.replace(/[,\s]/g, '').replace('−', '-')) === x.prices[r.sym]); });

  // Sort by price (high first), then by name again.
  await page.click('[data-sort="price"]');
  await until('sorted by price', () => tickstream.board().sort.key === 'price' && !tickstream.board().pending);
  b = await board();
  const shown = b.rows.map((r) => num(r.price));
  assert.deepEqual(shown, [...shown].sort((x, y) => y - x), `descending prices: ${shown}`);
  await page.click('[data-sort="price"]');
  b = await board();
  assert.equal(b.sort.dir, 1, 'a second click reverses');
  // By the day's change, largest first: the changes as shown (the live
  // prices read after the draw may hold a tick the drawn order has not yet
  // taken: that raced under load).
  await page.click('[data-sort="change"]');
  await until('sorted by change', () => tickstream.board().sort.key === 'change' && !tickstream.board().pending);
  b = await board();
  const changes = b.rows.map((r) => num(r.change.replace('±', '')));
  assert.ok(changes.every(Number.isFinite), `changes shown: ${b.rows.map((r) => r.change)}`);
  assert.deepEqual(changes, [...changes].sort((x, y) => y - x), `descending changes: ${changes}`);
  await page.click('[data-sort="name"]');
  await until('by name', () => tickstream.board().rows[0].sym === 'ticker_00');

  // Filter by typing; Enter opens the first match's chart.
  await page.fill('.board-filter', 'ticker_4');
  await until('filtered', () => tickstream.board().shown === 10 && !tickstream.board().pending);
  b = await board();
  assert.ok(b.rows.every((r) => r.sym.startsWith('ticker_4')), JSON.stringify(b.rows.map((r) => r.sym)));
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await until('chart of ticker_41', () => location.hash === '#ticker_41' && tickstream.sym === 'ticker_41' && tickstream.state === 'live');
  assert.equal(await page.isVisible('#chart'), true);
  assert.equal(await page.isVisible('#board'), false);
  // Back to the board: the filter is kept.
  await page.click('#to-board');
  await until('board again', () => location.hash === '#board' && tickstream.board().shown === 10);
  // A click opens a chart; Esc comes back.
  await page.fill('.board-filter', '');
  await until('unfiltered', () => tickstream.board().shown === 100);
  await page.click('.brow[data-sym="ticker_03"]');
  await until('chart of ticker_03', () => tickstream.sym === 'ticker_03' && tickstream.state === 'live');
  await page.keyboard.press('Escape');
  await until('board after Esc', () => location.hash === '#board');
  // The sparklines were read (the last hour's buckets).
  await until('sparklines', () => document.querySelectorAll('.brow canvas').length > 5);

  // A 390 px phone: the board fits the screen (no sideways scroll), every
  // column of the header and of a row inside it; a tap opens the chart.
  const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 });
  try {
    phone.on('pageerror', (e) => pageLog.push(`pageerror: ${e.message}`));
    await phone.goto(`${s.gw.http}/#board`);
    await phone.waitForFunction(() => tickstream.board() && tickstream.board().state === 'live' && !tickstream.board().pending &&
      document.querySelectorAll('.brow canvas').length > 5, null, { timeout: 15000, polling: 50 });
    const out = await phone.evaluate(() => {
      const w = document.documentElement.clientWidth;
      const row = document.querySelector('.brow[data-sym="ticker_00"]');
      const cells = [...document.querySelectorAll('.board-head button, .board-tools > *'), ...row.children];
      const bad = cells.filter((e) => e.getClientRects().length > 0) /* not the ones hidden on a phone */
        .map((e) => [e.className || e.tagName, e.getBoundingClientRect()])
        .filter(([, r]) => r.width === 0 || r.left < 0 || r.right > w + 0.5).map(([n, r]) => `${n} ${r.left}..${r.right}`);
      return { bad, scroll: document.documentElement.scrollWidth, width: w };
    });
    await phone.screenshot({ path: path.join(ARTIFACTS, 'board-phone.png') });
    assert.deepEqual(out.bad, [], 'board parts outside the 390 px screen');
    assert.ok(out.scroll <= out.width, `the page scrolls sideways: ${out.scroll} px wide on a ${out.width} px screen`);
    await phone.tap('.brow[data-sym="ticker_05"]');
    await phone.waitForFunction(() => tickstream.sym === 'ticker_05' && tickstream.state === 'live', null, { timeout: 15000, polling: 50 });
    // A few seconds of a ±1 walk: a price axis of a few units, labelled in whole prices only.
    await phone.waitForFunction(() => tickstream.draw && tickstream.draw.ySplits && tickstream.draw.ySplits.length > 2, null, { timeout: 15000, polling: 50 });
    const splits = await phone.evaluate(() => tickstream.draw.ySplits);
    assert.ok(splits.every(Number.isInteger), `price axis labels at whole prices only: ${splits}`);
  } finally {
    await phone.close();
  }
});

test('board: a new history (generator --reset) replaces the board with a snapshot of it', { timeout: 60000 }, async () => {
  const s = stacks[0];
  await until('board live', () => location.hash === '#board' && tickstream.board().state === 'live');
  const before = await board();
  await s.gen.stop();
  s.gen = startGenerator(s.redis.url, ['--interval-ms', '200', '--instruments', '100', '--reset', '--rollups', 'off']);
  // The gateway closes with 1012 and the page comes back with since = its
  // last tick: in the new history that is a resume of another epoch, which
  // the page must not keep: it asks for a snapshot of the new history.
  await until('a new epoch, live', (e) => { const x = tickstream.board(); return x.epoch !== e && x.state === 'live' && x.frames > 0; }, before.epoch, 30000);
  const t = (await board()).last;
  await until('2 more ticks', (x) => tickstream.board().last >= x + 400, t);
  const b = await board();
  assert.ok(b.snapshots > before.snapshots, `a snapshot of the new history (${before.snapshots} → ${b.snapshots})`);
  for (const sym of ['ticker_00', 'ticker_42', 'ticker_99']) {
    const [[, f]] = await s.client.xrange(`ts:tick:{${sym}}`, b.last, b.last);
    assert.equal(b.prices[sym], Number(f[1]), `${sym} at ${b.last}`);
    const [[, g]] = await s.client.xrange(`ts:tick:{${sym}}`, b.day, '+', 'COUNT', 1);
    assert.equal(b.ref[sym], Number(g[1]), `${sym}: the new history's first tick of the day`);
  }
});

test('board: 10,000 instruments scroll and update with only the rows in view in the DOM', { timeout: 180000 }, async () => {
  const s = await startStack(10000, 1000);
  await page.goto(`${s.gw.http}/#board`);
  await until('10,000 instruments', () => tickstream.board() && tickstream.board().n === 10000 && tickstream.board().state === 'live', undefined, 30000);
  let b = await board();
  assert.ok(b.dom < 60, `row elements: ${b.dom}`);
  // Scroll to the end: the last instrument is shown.
  await page.$eval('.board-rows', (el) => { el.scrollTop = el.scrollHeight; });
  await until('last row shown', () => tickstream.board().rows.some((r) => r.sym === 'ticker_9999'));
  b = await board();
  assert.ok(b.dom < 60, `still only the rows in view: ${b.dom}`);
  // Updates: two more ticks reach the rows in view.
  const t = b.last;
  await until('2 more ticks', (x) => tickstream.board().last >= x + 2000, t, 20000);
  b = await board();
  const [[, f]] = await s.client.xrange('ts:tick:{ticker_9999}', b.last, b.last);
  assert.equal(b.prices.ticker_9999, Number(f[1]));
  // Main-thread time at 1 Hz over 5 s, as Chromium counts it.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const busy = async () => (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'TaskDuration').value;
  const b0 = await busy(), w0 = Date.now();
  await new Promise((r) => setTimeout(r, 5000));
  const frac = (await busy() - b0) / ((Date.now() - w0) / 1000);
  console.log(`# 10,000-instrument board: main thread busy ${(frac * 100).toFixed(1)} % of the time at 1 Hz`);
  assert.ok(frac < 0.25, `main thread busy ${(frac * 100).toFixed(1)} %`);
  await page.screenshot({ path: path.join(ARTIFACTS, 'board-10000.png') });
});
