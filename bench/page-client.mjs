// bench/page-client.mjs — the browser half of bench/page.sh: headless
// Chromium opens each instrument on two gateways that serve the same Redis,
// one with the page as it was (BEFORE) and one with this tree's, and
// measures, per instrument and page:
//   first load — navigation (static files cached) to the first chart (the
//                new page's marks; the old one draws all at once, at live)
//                and to the chart drawn and live;
//   switch     — the same from a switch from a light instrument to this one;
// each with the WebSocket bytes received and the JS heap after a GC
// (typed arrays' buffers included).
// Prints a markdown table of the medians of PAGE_RUNS runs with the
// after/before ratios, each run's first chart, and a timeline of what comes
// before the first chart.
//
// node bench/page-client.mjs BEFORE_PORT AFTER_PORT SYM:LABEL... (e.g. ticker_01:7d)
import { createRequire } from 'node:module';
const require = createRequire(process.cwd() + '/');
const { chromium } = require('playwright-core');

const [beforePort, afterPort, ...syms] = process.argv.slice(2);
const LIGHT = 'ticker_02';
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });

// Drawn and live on either page: the old one is live once its catch-up of every tick ended;
// the new one once its window and the window's tail are in too.
const ready = (sym) => tickstream.sym === sym && tickstream.state === 'live' && tickstream.phase === 'live'
  && (typeof tickstream.frame !== 'function' || (tickstream.frame() !== null && !tickstream.ranges.pending));

async function measure(port, sym) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  // Long tasks (50 ms or more on the page's main thread) from the start of each document.
  await ctx.addInitScript(() => {
    window.__longtasks = [];
    new PerformanceObserver((l) => l.getEntries().forEach((e) => window.__longtasks.push([e.startTime, e.duration]))).observe({ type: 'longtask', buffered: true });
  });
  const page = await ctx.newPage();
  let bytes = 0;
  page.on('websocket', (ws) => ws.on('framereceived', (f) => (bytes += f.payload.length)));
  const cdp = await ctx.newCDPSession(page);
  // The JS heap plus the typed arrays' buffers (the old page's ticks live
  // there, outside what JSHeapUsedSize counts).
  const heap = async () => {
    await cdp.send('HeapProfiler.collectGarbage');
    const h = await cdp.send('Runtime.getHeapUsage');
    return h.usedSize + (h.backingStorageSize || 0);
  };
  const base = `http://127.0.0.1:${port}/`;
  // Warm the HTTP cache with the static files.
  await page.goto(`${base}#${LIGHT}`);
  await page.waitForFunction(ready, LIGHT, { timeout: 60000, polling: 20 });
  const out = {};
  // First load: a new navigation (another query string, the same cached files).
  bytes = 0;
  let t0 = Date.now();
  await page.goto(`${base}?first#${sym}`);
  await page.waitForFunction(ready, sym, { timeout: 180000, polling: 20 });
  // performance.now() counts from the navigation; the old page has no marks.
  const marks = () => page.evaluate(() => tickstream.marks || null);
  let m = await marks();
  out.first = { ms: Date.now() - t0, chart: m && Math.round(m.chart), bytes, heap: await heap(), timeline: await timeline(page) };
  // Switch: from the light instrument to this one.
  await page.evaluate((s) => (location.hash = '#' + s), LIGHT);
  await page.waitForFunction(ready, LIGHT, { timeout: 60000, polling: 20 });
  bytes = 0;
  t0 = Date.now();
  await page.evaluate((s) => (location.hash = '#' + s), sym);
  await page.waitForFunction(ready, sym, { timeout: 180000, polling: 20 });
  m = await marks();
  out.switch = { ms: Date.now() - t0, chart: m && Math.round(m.chart - m.open), bytes, heap: await heap() };
  await ctx.close();
  return out;
}

// What comes before the first chart of a first load, in ms of navigation
// (Resource Timing and the page's own marks): the HTML, each module or
// fetch (start–end; "cached" when no byte came over the network, "304"
// when it was revalidated), the WebSocket open, the config in, the
// instrument opened (its first range request sent when the socket is open),
// the first chart; and the long tasks of the main thread.
async function timeline(page) {
  return page.evaluate(() => {
    const r = (x) => Math.round(x);
    const nav = performance.getEntriesByType('navigation')[0];
    const parts = [`html ${r(nav.requestStart)}–${r(nav.responseEnd)}`, `parsed ${r(nav.domInteractive)}`];
    for (const e of performance.getEntriesByType('resource')) {
      const name = e.name.replace(/^.*\/\/[^/]+\//, '').replace(/\?.*$/, '');
      const how = e.transferSize === 0 ? ' cached' : e.encodedBodySize > 0 ? '' : ' 304';
      parts.push(`${name} ${r(e.startTime)}–${r(e.responseEnd)}${how}`);
    }
    for (const [start, d] of window.__longtasks || []) parts.push(`long task ${r(start)}–${r(start + d)}`);
    const t = window.tickstream;
    if (t && t.boot) parts.push(`ws open ${r(t.boot.ws)}`, `config ${r(t.boot.config)}`, `opened ${r(t.marks.open)}`, `chart ${r(t.marks.chart)}`);
    return parts.join(' · ');
  });
}

const kb = (b) => `${(b / 1024).toFixed(b < 10240 ? 1 : 0)} KB`;
const mb = (b) => `${(b / 1048576).toFixed(1)} MB`;
const ratio = (a, b) => (b > 0 ? `${(a / b).toFixed(a / b < 0.1 ? 3 : 2)}×` : '—');
console.log('| history | step | page | first chart | time to live | WebSocket bytes | JS heap + buffers (after GC) |');
console.log('|---|---|---|---:|---:|---:|---:|');
// Each page is measured RUNS times (PAGE_RUNS, default 5), before and after
// taking turns, and the table gives each figure's median: on a shared
// machine one run of a first load varies by ±40 %. Every run's first chart
// is listed under the table.
const RUNS = Number(process.env.PAGE_RUNS || 5);
const median = (xs) => {
  const v = xs.filter((x) => x !== null && x !== undefined).sort((a, b) => a - b);
  return v.length ? (v.length % 2 ? v[(v.length - 1) / 2] : Math.round((v[v.length / 2 - 1] + v[v.length / 2]) / 2)) : null;
};
const mid = (runs, step) => Object.fromEntries(['ms', 'chart', 'bytes', 'heap'].map((k) => [k, median(runs.map((r) => r[step][k]))]));
const timelines = [], perRun = [];
for (const arg of syms) {
  const [sym, label] = arg.split(':');
  const befores = [], afters = [];
  for (let r = 0; r < RUNS; r++) {
    befores.push(await measure(beforePort, sym));
    afters.push(await measure(afterPort, sym));
  }
  timelines.push(`- ${label}, first load, after (run 1): ${afters[0].first.timeline}`);
  for (const step of ['first', 'switch']) {
    const b = mid(befores, step), a = mid(afters, step);
    const name = step === 'first' ? 'first load' : 'switch';
    const chart = (x) => (x.chart === null || x.chart === undefined ? '(at live)' : `${x.chart} ms`);
    const bc = b.chart ?? b.ms, ac = a.chart ?? a.ms;
    console.log(`| ${label} | ${name} | before | ${chart(b)} | ${b.ms} ms | ${kb(b.bytes)} | ${mb(b.heap)} |`);
    console.log(`| ${label} | ${name} | after | ${chart(a)} | ${a.ms} ms | ${kb(a.bytes)} | ${mb(a.heap)} |`);
    console.log(`| ${label} | ${name} | after/before | ${ratio(ac, bc)} | ${ratio(a.ms, b.ms)} | ${ratio(a.bytes, b.bytes)} | ${ratio(a.heap, b.heap)} |`);
    const runs = (xs) => xs.map((x) => x[step].chart ?? x[step].ms).join(', ');
    perRun.push(`- ${label}, ${name}: before ${runs(befores)} ms; after ${runs(afters)} ms`);
  }
}
console.log(`\nFirst chart, each of the ${RUNS} runs (the table gives the medians):`);
for (const line of perRun) console.log(line);
console.log('\nBefore the first chart (ms of navigation):');
for (const line of timelines) console.log(line);
await browser.close();
