// tests/browser/zoom.test.js — the chart over a long history (#16) in
// headless Debian Chromium against a real redis-server, tickgen (100 ms
// ticks, 7 days of retention, the default candle ladder) and tickgw.
//
// ticker_00 gets 7 days of history written straight into Redis (a tick
// every 10 s: 60,480 ticks) and its candles from --rebuild-rollups; the
// generator then continues it live. The page must open on the whole 7 days
// from a bounded number of bytes, ask for exactly the window shown on every
// zoom and pan, draw buckets equal to the raw ticks' (XRANGE) and to
// /api/range's, keep the live edge exact, draw candles at every timeframe,
// and work on a 390 px touch screen (controls inside the screen, pinch and
// drag). Its time axis labels never overlap (#14).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { decode } from '@msgpack/msgpack';
import { RedisServer } from '../lib/redis.js';
import { ROOT, BUILD, Proc, freePort, waitFor, startGenerator } from '../lib/procs.js';
import { newestTick } from '../lib/candles.js';
import { waitReady, stopStack } from '../lib/gateway.js';
import { launchChromium } from '../lib/browser.js';
import { fillHistory } from './fill.js';
import { settled, pageFrame, checkFrame, checkTicks } from './frame.js';

const INTERVAL = 100;
const DAYS = 7;
const STEP = 10000; // the seeded history's tick spacing
const ARTIFACTS = path.join(ROOT, 'tests/artifacts');

let redis, client, gen, gw, gwArgs, browser, page;
const pageLog = [];
let received = 0; // WebSocket bytes the page received
let sent = []; // the page's requests, decoded

async function until(what, fn, arg, timeout = 10000, p = page) {
  try {
    await p.waitForFunction(fn, arg, { timeout, polling: 50 });
  } catch (e) {
    const st = await p.evaluate(() => window.tickstream && { sym: tickstream.sym, state: tickstream.state, phase: tickstream.phase, view: tickstream.view, ranges: tickstream.ranges, notices: tickstream.notices }).catch(() => null);
    throw new Error(`${what}: ${e.message.split('\n')[0]}; page: ${JSON.stringify(st)}`);
  }
}

/** A page that counts what its WebSocket receives and keeps what it sends. */
async function newPage(opts) {
  const ctx = await browser.newContext(opts);
  const p = await ctx.newPage();
  p.on('console', (m) => pageLog.push(`console.${m.type()}: ${m.text()}`));
  p.on('pageerror', (e) => pageLog.push(`pageerror: ${e.message}`));
  p.on('websocket', (ws) => {
    ws.on('framereceived', (f) => (received += f.payload.length));
    ws.on('framesent', (f) => sent.push(typeof f.payload === 'string' ? JSON.parse(f.payload) : decode(f.payload)));
  });
  return p;
}

/** Runs `fn(p, wait)` on a new page of its own (`wait` is until() on it), closed afterwards. */
async function onNewPage(opts, fn) {
  const p = await newPage(opts);
  try {
    await fn(p, (w, f, a, t) => until(w, f, a, t, p));
  } finally {
    await p.context().close();
  }
}

// The same port again after a kill: the page reconnects to the same URL.
async function startGateway() {
  gw = new Proc('tickgw', path.join(BUILD, 'tickgw'), gwArgs);
  gw.http = `http://${gwArgs[1]}`;
  await waitReady(gw);
}

before(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  redis = await RedisServer.start({ aof: false });
  client = redis.client();
  const endT = Math.floor(Date.now() / STEP) * STEP - STEP;
  await fillHistory(client, ['ticker_00'], { count: (DAYS * 86400000) / STEP - 60, interval: STEP, endT });
  await fillHistory(client, ['ticker_01', 'ticker_02'], { count: 20, interval: STEP, endT, seed: 7 });
  gen = startGenerator(redis.url, ['--interval-ms', String(INTERVAL), '--instruments', '3', '--retention', `${DAYS}d`, '--rebuild-rollups']);
  await gen.waitOutput(/rollups rebuilt/, 60000);
  const port = await freePort();
  gwArgs = ['--listen', `127.0.0.1:${port}`, '--redis', redis.url, '--webui', path.join(ROOT, 'webui'), '--threads', '1'];
  await startGateway();
  browser = await launchChromium();
  page = await newPage({ viewport: { width: 1200, height: 640 } });
});

after(async () => {
  if (page) await page.screenshot({ path: path.join(ARTIFACTS, 'zoom-last.png') }).catch(() => {});
  if (browser) await browser.close();
  await stopStack({ gateways: [gw], procs: [gen], client, redis });
  const errors = pageLog.filter((l) => l.startsWith('pageerror'));
  assert.deepEqual(errors, [], pageLog.join('\n'));
});

test('opens on the whole 7 days from a bounded number of bytes; the buckets are the raw ticks\'; switching back costs the same', async () => {
  received = 0;
  await page.goto(`${gw.http}/#ticker_00`);
  await settled(until, 'ticker_00');
  const first = received;
  const f = await checkFrame(client, await pageFrame(page));
  const days = (f.lastT - f.t[0]) / 86400000;
  console.log(`# 7 days of ticker_00 (${(DAYS * 86400000) / STEP} ticks): ${f.t.length} buckets of ${f.w / 1000} s from ${f.source}, ${first} bytes received`);
  assert.ok(days > DAYS - 0.1, `the chart spans ${days.toFixed(2)} days`);
  const plot = await page.evaluate(() => tickstream.plotWidth);
  assert.ok(f.t.length <= plot + 1 && f.t.length > plot / 3, `${f.t.length} buckets for ${plot} px`);
  // The old page downloaded every tick (60,480 here, ~2 bytes each and more); this is a pixel's worth per column.
  assert.ok(first < 64 * 1024, `${first} bytes received to open 7 days`);
  await checkTicks(client, page, 'ticker_00');
  // Another instrument and back: the same requests, the same bounded bytes.
  await page.evaluate(() => (location.hash = '#ticker_01'));
  await settled(until, 'ticker_01');
  await checkFrame(client, await pageFrame(page));
  received = 0;
  await page.evaluate(() => (location.hash = '#ticker_00'));
  await settled(until, 'ticker_00');
  assert.ok(received < 64 * 1024, `${received} bytes received to switch back`);
  await checkFrame(client, await pageFrame(page));
});

test('zoom and pan ask for exactly the window shown at the plot\'s width; the buckets equal /api/range\'s and XRANGE\'s', async () => {
  await settled(until, 'ticker_00');
  // Zoom in 8 wheel steps at the right edge (following live), then pan into the past with the keyboard.
  const box = await page.locator('#chart .u-over').boundingBox();
  await page.mouse.move(box.x + box.width * 0.8, box.y + box.height / 2);
  for (let i = 0; i < 8; i++) await page.mouse.wheel(0, -100);
  await until('following a narrower window', () => tickstream.view.mode === 'follow');
  for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowLeft');
  await until('a fixed window', () => tickstream.view.mode === 'fixed');
  const v = await page.evaluate(() => tickstream.view);
  await until('its buckets', (x) => { const f = tickstream.frame(); return f && !f.live && f.to === Math.floor(x.max) && !tickstream.ranges.pending && tickstream.state === 'live'; }, v);
  // And painted: a window that stays put gets no scale change, on which alone uPlot paints.
  await settled(until, 'ticker_00');
  const f = await pageFrame(page);
  const req = sent.filter((m) => m.op === 'range').at(-1);
  const plot = await page.evaluate(() => tickstream.plotWidth);
  assert.deepEqual({ from: req.from, to: req.to, points: req.points }, { from: Math.floor(v.min), to: Math.floor(v.max), points: plot }, 'the request is the window shown');
  // The same request over HTTP gives the same buckets.
  const r = await (await fetch(`${gw.http}/api/range?sym=ticker_00&from=${req.from}&to=${req.to}&points=${req.points}`)).json();
  assert.deepEqual({ w: f.w, t: f.t, o: f.o, h: f.h, l: f.l, c: f.c, n: f.n }, { w: r.width, t: r.t, o: r.o, h: r.h, l: r.l, c: r.c, n: r.n });
  await checkFrame(client, f);
  // Back to live keeps the width and is exact at the live edge.
  await page.click('#btn-live');
  await until('live again', () => tickstream.view.mode === 'follow');
  await until('its buckets', () => { const f = tickstream.frame(); return f && f.live && !tickstream.ranges.pending && tickstream.state === 'live'; });
  await checkFrame(client, await pageFrame(page));
  // A double click shows everything again.
  await page.dblclick('#chart .u-over');
  await until('everything', () => tickstream.view.mode === 'all');
  await until('its buckets', () => { const f = tickstream.frame(); return f && f.live && f.w >= 600000 && !tickstream.ranges.pending && tickstream.state === 'live'; });
  await checkFrame(client, await pageFrame(page));
});

test('one hour: finer buckets, exact at the live edge while ticks arrive', async () => {
  await page.click('[data-range="3600"]');
  await until('an hour in view', () => Math.abs(tickstream.view.max - tickstream.view.min - 3600000) < 2000);
  await until('its buckets', () => { const f = tickstream.frame(); return f && f.live && f.w < 60000 && !tickstream.ranges.pending && tickstream.state === 'live'; });
  const f1 = await checkFrame(client, await pageFrame(page));
  await until('20 more ticks', (t) => tickstream.lastT >= t + 20 * 100, f1.lastT);
  const f2 = await checkFrame(client, await pageFrame(page));
  assert.ok(f2.n.reduce((a, b) => a + b, 0) >= f1.n.reduce((a, b) => a + b, 0) + 20, 'live ticks are folded into the buckets');
  await checkTicks(client, page, 'ticker_00');
});

test('gateway killed and restarted while an hour is in view: the ticks resume with no hole, the buckets are exact again', async () => {
  const before_ = await page.evaluate(() => tickstream.lastT);
  await gw.stop('SIGKILL');
  await until('reconnecting', () => tickstream.state === 'reconnecting');
  // The generator moves on meanwhile: the page has to catch up on that.
  await waitFor('ticks while the gateway is down', async () => (await newestTick(client, 'ticker_00')) >= before_ + 15 * INTERVAL, { timeout: 5000 });
  await startGateway();
  await until('live again', () => tickstream.state === 'live', undefined, 20000);
  await until('past the outage', (t) => tickstream.lastT > t + 2000, before_);
  await settled(until, 'ticker_00');
  const held = await checkTicks(client, page, 'ticker_00');
  assert.ok(held[0].t <= before_, 'the ticks held reach back before the outage (a resume, not a restart)');
  const f = await checkFrame(client, await pageFrame(page));
  assert.ok(f.live && Math.abs(f.lastT - f.t[0] - 3600000) < 3600000 / 10, 'still the last hour');
});

test('to the board and back: the hidden chart asks for nothing, and shows its window again at once', async () => {
  await settled(until, 'ticker_00');
  const asked = sent.length, f0 = await pageFrame(page);
  await page.click('#to-board');
  await until('the board', () => document.body.dataset.view === 'board' && tickstream.board() && tickstream.board().state === 'live');
  // The chart's ticks go on while it is hidden: wait for three of them.
  await until('ticks while on the board', (t) => tickstream.lastT >= t + 3 * 100, f0.lastT);
  await page.goBack();
  await until('the chart', () => document.body.dataset.view === 'chart');
  await settled(until, 'ticker_00');
  const trip = sent.slice(asked).filter((m) => m.op === 'range' || (m.op === 'sub' && m.sym === 'ticker_00'));
  assert.deepEqual(trip, [], 'requests of the chart on a trip to the board');
  const f = await checkFrame(client, await pageFrame(page));
  assert.deepEqual([f.w, f.from, f.t.length >= f0.t.length], [f0.w, f0.from, true], 'the same window');
});

test('candles at every timeframe: buckets of exactly that width, equal to the raw ticks\'; drawn up and down', async () => {
  await page.click('#btn-reset');
  await page.selectOption('#kind', 'candles');
  await until('candles', () => { const f = tickstream.frame(); return tickstream.kind === 'candles' && f && !tickstream.ranges.pending && tickstream.state === 'live' && f.t.length < tickstream.plotWidth / 4; });
  await checkFrame(client, await pageFrame(page));
  const colours = await page.evaluate(() => {
    const c = document.querySelector('#chart canvas');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let up = 0, down = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (Math.abs(d[i] - 0x26) < 30 && Math.abs(d[i + 1] - 0xc2) < 30 && Math.abs(d[i + 2] - 0x81) < 30) up++;
      if (Math.abs(d[i] - 0xef) < 30 && Math.abs(d[i + 1] - 0x53) < 30 && Math.abs(d[i + 2] - 0x50) < 30) down++;
    }
    return { up, down };
  });
  assert.ok(colours.up > 200 && colours.down > 200, `up and down candles drawn: ${JSON.stringify(colours)}`);
  for (const [label, ms] of [['1m', 60000], ['15m', 900000], ['1h', 3600000], ['1d', 86400000], ['ticks', 0]]) {
    await page.selectOption('#timeframe', String(ms));
    await until(`timeframe ${label}`, (w) => { const f = tickstream.frame(); return tickstream.timeframe === w && f && (w === 0 || f.w === w) && !tickstream.ranges.pending && tickstream.state === 'live'; }, ms);
    const f = await checkFrame(client, await pageFrame(page));
    // About 150 candles in view (setTimeframe), up to the live edge.
    if (ms) assert.ok(f.t.length >= Math.min(145, (7 * 86400000) / ms - 1) && f.t.at(-1) > f.lastT - 2 * ms, `${label}: ${f.t.length} candles, the last at ${f.t.at(-1)}, the last tick at ${f.lastT}`);
    // The newest candle, still open, is drawn at its middle: the window reaches to its end, so it is seen whole.
    if (ms) await until(`${label}: the window to the newest candle's end`, (ms) => { const v = tickstream.view, t = tickstream.frame().t.at(-1); return v.max >= t + ms && v.max <= Math.max(tickstream.lastT, t + ms); }, ms);
  }
  await page.selectOption('#kind', 'line');
});

test('a timeframe\'s window in the past holds every candle it shows, the one under each edge too', async () => {
  await page.selectOption('#timeframe', '900000');
  await settled(until, 'ticker_00');
  await page.evaluate(() => document.activeElement.blur()); // ← is the page's, not the menu's
  // Panned left until the candle under the right edge is a closed one: a
  // pan that ends inside the open candle (the first minutes of a quarter
  // hour) still shows a live window, rightly.
  for (let k = 0; k < 4; k++) {
    await page.keyboard.press('ArrowLeft');
    await until('a fixed window', () => tickstream.view.mode === 'fixed');
    await settled(until, 'ticker_00');
    if (await page.evaluate(() => !tickstream.frame().live)) break;
  }
  await until('its candles', () => { const f = tickstream.frame(); return f && !f.live && f.w === 900000; });
  await settled(until, 'ticker_00');
  const f = await checkFrame(client, await pageFrame(page));
  const v = await page.evaluate(() => tickstream.view);
  const under = (x) => f.t.findIndex((t) => t <= x && x < t + f.w);
  assert.equal(f.w, 900000);
  assert.deepEqual([under(v.min), under(v.max)], [0, f.t.length - 1], `the candles under the edges of ${JSON.stringify(v)}: first ${f.t[0]}, last ${f.t.at(-1)}`);
  await page.selectOption('#timeframe', '0');
  await page.click('#btn-reset');
  await settled(until, 'ticker_00');
});

/**
 * Between page `p` and the gateway: the page's range requests are kept in
 * `asked`; while `held` is true the gateway's messages of the `ops` wait
 * (release() sends them on and lets the next ones through), so a test can
 * act before an answer arrives, or see what the page does with no tick,
 * whatever the timing.
 */
async function holdRanges(p, { held = true, ops = ['range'] } = {}) {
  const h = { asked: [], held, queue: [], release: null };
  const unpack = (m) => (typeof m === 'string' ? JSON.parse(m) : decode(m));
  await p.routeWebSocket(/\/ws$/, (ws) => {
    const server = ws.connectToServer();
    ws.onMessage((m) => {
      const d = unpack(m);
      if (d.op === 'range') h.asked.push(d);
      server.send(m);
    });
    server.onMessage((m) => (h.held && ops.includes(unpack(m).op) ? h.queue.push(m) : ws.send(m)));
    h.release = () => {
      h.held = false;
      for (const m of h.queue.splice(0)) ws.send(m);
    };
  });
  return h;
}

test('a timeframe picked before the first chart arrives: its candles are asked for once, and drawn exact', async () => {
  await onNewPage({ viewport: { width: 1200, height: 640 } }, async (p, wait) => {
    // The range answers wait until the timeframe is picked, so the pick is before the first chart.
    const h = await holdRanges(p);
    const asked = h.asked;
    await p.goto(`${gw.http}/#ticker_00`);
    await waitFor('the whole history asked for', () => asked.length === 1);
    await p.selectOption('#timeframe', '3600000');
    await waitFor('the timeframe asked for', () => asked.length === 2);
    h.release();
    await settled(wait, 'ticker_00');
    const f = await checkFrame(client, await pageFrame(p));
    assert.equal(f.w, 3600000, 'hour candles drawn');
    const hours = asked.filter((r) => r.from !== undefined && r.to !== undefined && (r.to + 1 - r.from) / r.points === 3600000);
    assert.equal(hours.length, 1, `the hour candles were asked for ${hours.length} times: ${JSON.stringify(asked)}`);
    assert.ok(f.t.length >= 7 * 24 - 1 && f.t[0] <= f.lastT - 7 * 86400000 + 2 * 3600000, `the whole 7 days in hour candles: ${f.t.length}, the first at ${f.t[0]}`);
  });
});

test('switching instruments: the old chart is gone at once, not left under "Loading" until the new one arrives', async () => {
  await onNewPage({ viewport: { width: 1200, height: 640 } }, async (p, wait) => {
    const h = await holdRanges(p, { held: false });
    await p.goto(`${gw.http}/#ticker_00`);
    await settled(wait, 'ticker_00');
    h.held = true;
    await p.evaluate(() => (location.hash = '#ticker_01'));
    await wait('ticker_01 asked for', () => tickstream.sym === 'ticker_01' && tickstream.ranges.pending);
    await wait('nothing painted', () => tickstream.draw.painted === null);
    assert.equal(await p.isVisible('#loading'), true, 'the loading overlay');
    h.release();
    await settled(wait, 'ticker_01');
    await checkFrame(client, await pageFrame(p));
  });
});

test('a live window is painted once its tail is in, not at the next tick', async () => {
  await onNewPage({ viewport: { width: 1200, height: 640 } }, async (p, wait) => {
    // No tick reaches the page once it is live: only the answers can make it draw.
    const h = await holdRanges(p, { held: false, ops: ['tick', 'hist'] });
    // Day candles: the open one's tail is asked for in pieces (4h, 1h, ... 1m: a round trip after the window).
    await p.goto(`${gw.http}/#ticker_00`);
    await p.selectOption('#timeframe', '86400000');
    await settled(wait, 'ticker_00');
    h.held = true;
    const asked = h.asked.length;
    await p.click('#btn-reset');
    await waitFor('the window and its tail asked for', () => h.asked.length >= asked + 2);
    await wait('the tail in and painted', () => { const f = tickstream.frame(), d = tickstream.draw.painted; return !tickstream.ranges.pending && f.tail !== null && d.from === f.from && d.version === f.version; });
    h.release();
    await settled(wait, 'ticker_00');
    await checkFrame(client, await pageFrame(p));
  });
});

test('an instrument younger than one candle of the timeframe opens on its own history, in candles of exactly that width', async () => {
  await onNewPage({ viewport: { width: 1200, height: 640 } }, async (p, wait) => {
    await p.goto(`${gw.http}/#ticker_00`);
    await settled(wait, 'ticker_00');
    // ticker_02's history began a few minutes ago: its last 10,000 hours (or
    // days) hold no closed candle (unless one began meanwhile), only the
    // open one. Asked for up to its end, that one would come cut at the
    // gateway's now, in a bucket as wide as the time since it opened
    // rounded up to a stored level (an hour 40 min old: 45 min). Opened with
    // the timeframe picked, and picked on the open instrument.
    for (const [label, w] of [['1h', 3600000], ['1d', 86400000]]) {
      await p.evaluate(() => (location.hash = '#ticker_00'));
      await settled(wait, 'ticker_00');
      await p.selectOption('#timeframe', String(w));
      await wait(`${label} candles`, (w) => tickstream.frame().w === w, w);
      await p.evaluate(() => (location.hash = '#ticker_02'));
      await settled(wait, 'ticker_02');
      const [[id]] = await client.xrange('ts:tick:{ticker_02}', '-', '+', 'COUNT', 1);
      const first = parseInt(id, 10);
      const shown = async (what, start) => {
        const f = await checkFrame(client, await pageFrame(p));
        const v = await p.evaluate(() => tickstream.view);
        assert.equal(v.mode, 'all', what);
        assert.ok(v.min >= start, `${what}: the chart starts at ${new Date(v.min).toISOString()}, the history at ${new Date(first).toISOString()} (${f.t.length} buckets of ${f.w} ms)`);
        return f;
      };
      let f = await shown(`${label} on opening`, Math.floor(first / w) * w);
      assert.equal(f.w, w, `${label} on opening: candles of ${f.w} ms`);
      // Ticks: everything is the whole history, from its first tick.
      await p.selectOption('#timeframe', '0');
      await settled(wait, 'ticker_02');
      await shown(`ticks after ${label}`, first);
      await p.selectOption('#timeframe', String(w));
      await settled(wait, 'ticker_02');
      f = await shown(`${label} picked`, Math.floor(first / w) * w);
      assert.equal(f.w, w, `${label} picked: candles of ${f.w} ms`);
      // As candles the window reaches to the open candle's end; the header's
      // change is over the history shown, not over that candle (most of it to come).
      await p.selectOption('#kind', 'candles');
      await settled(wait, 'ticker_02');
      const span = await p.textContent('#span'), age = ((await pageFrame(p)).lastT - first) / 60000;
      const mins = Number(/^over (\d+) min$/.exec(span)?.[1]);
      assert.ok(mins <= age + 1, `${label}: '${span}' for a history of ${age.toFixed(1)} min`);
      await p.selectOption('#kind', 'line');
    }
  });
});

test('a 390 px phone: every control inside the screen; one finger pans, two fingers pinch to zoom', async () => {
  const phone = await newPage({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 });
  try {
    await phone.goto(`${gw.http}/#ticker_00`);
    await settled((w, fn, a, t) => until(w, fn, a, t, phone), 'ticker_00');
    const out = await phone.evaluate(() => {
      const bad = [];
      for (const el of document.querySelectorAll('header *, nav.tools *')) {
        const r = el.getBoundingClientRect();
        if (r.width === 0 || getComputedStyle(el).visibility === 'hidden') continue;
        if (r.left < 0 || r.right > window.innerWidth + 0.5) bad.push(`${el.id || el.className || el.tagName} ${Math.round(r.left)}..${Math.round(r.right)}`);
      }
      return { bad, scroll: document.documentElement.scrollWidth, width: window.innerWidth, tools: document.querySelector('nav.tools').getBoundingClientRect().height };
    });
    await phone.screenshot({ path: path.join(ARTIFACTS, 'zoom-phone.png') });
    assert.deepEqual(out.bad, [], 'controls outside the 390 px screen');
    assert.ok(out.scroll <= out.width, `the page scrolls sideways: ${out.scroll} px`);
    assert.ok(out.tools < 90, `the controls take ${out.tools} px of height`);
    assert.equal(await phone.isVisible('.help.touch'), true, 'the touch hint is shown');
    const cdp = await phone.context().newCDPSession(phone);
    const box = await phone.locator('#chart .u-over').boundingBox();
    const y = box.y + box.height / 2;
    const touch = (type, xs) => cdp.send('Input.dispatchTouchEvent', { type, touchPoints: xs.map((x, id) => ({ x, y, id })) });
    // Pinch out: the window narrows around the fingers.
    const v0 = await phone.evaluate(() => tickstream.view);
    await touch('touchStart', [box.x + box.width * 0.4, box.x + box.width * 0.6]);
    for (let k = 1; k <= 5; k++) await touch('touchMove', [box.x + box.width * (0.4 - 0.06 * k), box.x + box.width * (0.6 + 0.06 * k)]);
    await touch('touchEnd', []);
    const v1 = await phone.evaluate(() => tickstream.view);
    const r = (v1.max - v1.min) / (v0.max - v0.min);
    assert.ok(r > 0.1 && r < 0.4, `pinch: the span went from ${v0.max - v0.min} to ${v1.max - v1.min} ms`);
    // Drag right: the window moves into the past by about the distance dragged.
    await touch('touchStart', [box.x + box.width * 0.3]);
    for (let k = 1; k <= 5; k++) await touch('touchMove', [box.x + box.width * (0.3 + 0.08 * k)]);
    await touch('touchEnd', []);
    const v2 = await phone.evaluate(() => tickstream.view);
    assert.equal(v2.mode, 'fixed');
    const moved = (v1.min - v2.min) / (v1.max - v1.min);
    assert.ok(moved > 0.3 && moved < 0.5, `drag: the window moved by ${moved.toFixed(2)} of its width`);
    // And the window shown is what gets asked for.
    await until('the dragged window\'s buckets', (x) => { const f = tickstream.frame(); return f && !f.live && f.to === Math.floor(x.max) && !tickstream.ranges.pending && tickstream.state === 'live'; }, v2, 10000, phone);
    await settled((w, fn, a, t) => until(w, fn, a, t, phone), 'ticker_00');
    await checkFrame(client, await pageFrame(phone));
    // Held sideways (844 × 390): the header in one row, the chart most of the height, nothing scrolls.
    await phone.setViewportSize({ width: 844, height: 390 });
    await until('the plot resized', () => document.querySelector('#chart .u-over').getBoundingClientRect().width > 600, undefined, 10000, phone);
    const side = await phone.evaluate(() => ({
      scroll: [document.documentElement.scrollWidth, document.documentElement.scrollHeight],
      screen: [innerWidth, innerHeight],
      plot: document.querySelector('#chart .u-over').getBoundingClientRect().height,
      header: document.querySelector('header').getBoundingClientRect().height,
    }));
    await phone.screenshot({ path: path.join(ARTIFACTS, 'zoom-phone-sideways.png') });
    assert.deepEqual(side.scroll, side.screen, 'the page scrolls');
    assert.ok(side.plot >= 0.45 * side.screen[1], `a plot ${side.plot} px high under a header of ${side.header} px`);
  } finally {
    await phone.context().close();
  }
});

test('time axis labels never overlap: 1 ms, 200 ms, 1 s and 1 day spans at 800 and 1,920 px', async () => {
  const p = await newPage({ viewport: { width: 1920, height: 600 } });
  try {
    await p.goto(`${gw.http}/#ticker_00`);
    await until('page loaded', () => window.tickstream && tickstream.instruments.length > 0, undefined, 10000, p);
    const t0 = Date.UTC(2026, 10, 30, 7, 4, 57, 123);
    for (const width of [800, 1920]) {
      for (const span of [1, 200, 1000, 86400000]) {
        const got = await p.evaluate(async ({ width, span, t0 }) => {
          const { Chart } = await import('./chart.js');
          const el = document.createElement('div');
          el.style.cssText = `position:fixed;left:0;top:0;width:${width}px;height:300px;background:#000`;
          document.body.append(el);
          const c = new Chart(el, { bounds: () => [t0, t0 + span] });
          c.u.setScale('x', { min: t0, max: t0 + span });
          await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
          const ax = c.u.axes[0], pr = window.devicePixelRatio || 1;
          const ctx = c.u.ctx;
          ctx.save();
          ctx.font = ax.font[0];
          const boxes = [];
          ax._splits.forEach((v, i) => {
            const label = ax._values[i];
            if (label == null || v < t0 || v > t0 + span) return;
            const w = Math.max(...String(label).split('\n').map((s) => ctx.measureText(s).width)) / pr;
            const x = c.u.valToPos(v, 'x');
            boxes.push({ label, left: x - w / 2, right: x + w / 2 });
          });
          ctx.restore();
          c.u.destroy();
          el.remove();
          return boxes;
        }, { width, span, t0 });
        const what = `${span} ms at ${width} px: ${JSON.stringify(got.map((b) => b.label))}`;
        assert.ok(got.length >= (span >= 1000 ? 3 : 1), `too few labels, ${what}`);
        for (let i = 1; i < got.length; i++) assert.ok(got[i].left >= got[i - 1].right, `labels ${i - 1} and ${i} overlap by ${(got[i - 1].right - got[i].left).toFixed(1)} px, ${what}`);
        assert.equal(new Set(got.map((b) => b.label)).size, got.length, `repeated labels, ${what}`);
      }
    }
  } finally {
    await p.context().close();
  }
});

test('a window that starts at a fraction of a millisecond (a drag, a pinch): its time labels are on whole minutes, not a millisecond before', async () => {
  await onNewPage({ viewport: { width: 1200, height: 600 } }, async (p, wait) => {
    await p.goto(`${gw.http}/#ticker_00`);
    await until('page loaded', () => window.tickstream && tickstream.instruments.length > 0, undefined, 10000, p);
    // uPlot places time splits from its date of the scale's min, rounded to
    // the nearest ms, and from the min floored: 0.5 ms or more apart, every
    // split was 1 ms before the hour ("15:59" for 16:00).
    const min = Date.UTC(2026, 10, 26, 14, 7, 59, 785) + 0.87;
    for (const span of [3600000, 86400000, 3 * 86400000]) {
      const splits = await p.evaluate(async ({ min, span }) => {
        const { Chart } = await import('./chart.js');
        const el = document.createElement('div');
        el.style.cssText = 'position:fixed;left:0;top:0;width:1200px;height:300px;background:#000';
        document.body.append(el);
        const c = new Chart(el, { bounds: () => [min, min + span] });
        c.u.setScale('x', { min, max: min + span });
        await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
        const out = c.u.axes[0]._splits.filter((v) => v >= min && v <= min + span);
        c.u.destroy();
        el.remove();
        return out;
      }, { min, span });
      assert.ok(splits.length >= 3, `${span} ms: ${splits.length} labels`);
      assert.deepEqual(splits.filter((v) => v % 60000 !== 0).map((v) => new Date(v).toISOString()), [], `${span} ms: splits off the minute`);
    }
  });
});
