// tests/browser/client.test.js — the client module webui/tickstream.js in
// headless Chromium, through its example page webui/examples/ticker.html
// as the gateway serves it: history since a time then live ticks, the
// gateway SIGKILLed and started again on the same port, the module's own
// reconnect and resume, and in the end the page's ticks equal to XRANGE:
// no gap, no duplicate; and its range() (twelve at once, one unknown
// instrument) against /api/range. The page loads no msgpack, so this is also the
// module's JSON path; the chart page (page.test.js, board.test.js) runs
// the module over msgpack.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { launchChromium } from '../lib/browser.js';
import { startTicking, readStream, checkSeries } from '../lib/redis.js';
import { ROOT, waitFor } from '../lib/procs.js';
import { startGateway, stopStack } from '../lib/gateway.js';

const DT = 50;
const SYM = 'ticker_02';
let redis, client, gen, browser, page;
const gateways = [];
const pageErrors = [];

before(async () => {
  ({ redis, client, gen } = await startTicking(['--interval-ms', String(DT), '--instruments', '4', '--reset'], SYM, 60, 15000));
  gateways.push(await startGateway(redis.url, ['--webui', path.join(ROOT, 'webui')]));
  browser = await launchChromium();
  page = await browser.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
});

after(async () => {
  if (browser) await browser.close();
  await stopStack({ gateways, procs: [gen], client, redis });
});

const seen = () => page.evaluate(() => {
  const e = window.example;
  return e && { opens: e.opens, lives: e.lives, downs: e.downs, epochs: e.epochs, n: e.ticks.length, last: e.ticks.length ? e.ticks.at(-1).t : 0 };
});

test('the example page: history since a time, live, across a gateway kill and restart, exactly XRANGE', { timeout: 60000 }, async () => {
  const gw = gateways[0];
  const since = Date.now() - 40 * DT;
  await page.goto(`${gw.http}/examples/ticker.html?sym=${SYM}&since=${since}`);
  await waitFor('the page live with ticks', async () => {
    const s = await seen();
    return s && s.lives === 1 && s.n > 40;
  }, { timeout: 10000 }).catch(async (e) => {
    throw new Error(`${e.message}: ${JSON.stringify(await seen())}, state ${await page.textContent('#state')}, errors ${pageErrors}`);
  });
  assert.equal(await page.textContent('#state'), 'live');

  gw.signal_('SIGKILL');
  await waitFor('the gateway to die', () => !gw.running, { timeout: 5000 });
  await waitFor('the page to see it down', async () => (await seen()).downs >= 1, { timeout: 5000 });
  assert.match(await page.textContent('#state'), /^reconnecting in \d+ s/);
  const [[id]] = await client.xrevrange(`ts:tick:{${SYM}}`, '+', '-', 'COUNT', 1);
  await waitFor('ticks the page misses while the gateway is down', async () => {
    const [[newest]] = await client.xrevrange(`ts:tick:{${SYM}}`, '+', '-', 'COUNT', 1);
    return Number(newest.split('-')[0]) >= Number(id.split('-')[0]) + 10 * DT;
  }, { timeout: 5000 });
  gateways.push(await startGateway(redis.url, ['--webui', path.join(ROOT, 'webui')], { port: gw.port }));
  const t = Date.now();
  await waitFor('the module to reconnect by itself, resume and go live again', async () => {
    const s = await seen();
    return s.opens === 2 && s.lives === 2 && s.last > t;
  }, { timeout: 20000 });

  const ticks = await page.evaluate(() => window.example.ticks);
  assert.equal(checkSeries(ticks, DT), null, `${SYM}: ${checkSeries(ticks, DT)}`);
  const want = await readStream(client, SYM, `(${since}`, String(ticks.at(-1).t));
  assert.equal(ticks.length, want.length, `the page holds ${ticks.length} ticks, XRANGE ${want.length}`);
  assert.deepEqual(ticks, want);
  assert.equal((await seen()).epochs, 0, 'no epoch change');
  assert.deepEqual(pageErrors, []);
});

test('range(): twelve requests at once (the gateway takes 8) all answered, each equal to /api/range\'s; an unknown instrument rejects', { timeout: 30000 }, async () => {
  const gw = gateways.at(-1);
  const now = Date.now();
  const wins = Array.from({ length: 12 }, (_, i) => ({ from: now - 3000 - i * 100, to: now - 500, points: 5 + i }));
  const got = await page.evaluate(async (ws) => {
    const { connect } = await import('/tickstream.js');
    const ts = connect();
    await new Promise((r) => ts.addEventListener('open', r, { once: true })); // before that, range() rejects: not connected
    const errors = [];
    ts.addEventListener('error', (e) => errors.push(e.detail.code));
    const answers = await Promise.all(ws.map((w) => ts.range('ticker_02', w)));
    const bad = await ts.range('ticker_99', { from: ws[0].from }).then(() => null, (e) => e.code);
    ts.close();
    return { answers, bad, errors };
  }, wins);
  assert.equal(got.bad, 'unknown_sym');
  assert.deepEqual(got.errors, [], 'a range\'s err is its promise\'s, not an error event');
  for (const [i, w] of wins.entries()) {
    const want = await (await fetch(`${gw.http}/api/range?sym=${SYM}&from=${w.from}&to=${w.to}&points=${w.points}`)).json();
    const a = got.answers[i];
    assert.deepEqual({ w: a.width, t: a.t, o: a.o, h: a.h, l: a.l, c: a.c, n: a.n }, { w: want.width, t: want.t, o: want.o, h: want.h, l: want.l, c: want.c, n: want.n }, `request ${i}`);
  }
});

test('Chromium negotiates permessage-deflate: a JSON catch-up and a range answer (compressed) are exact', { timeout: 60000 }, async () => {
  const gw = gateways.find((g) => g.running) ?? gateways.at(-1);
  await waitFor(`${SYM} to hold 400 ticks`, async () => (await client.xlen(`ts:tick:{${SYM}}`)) >= 400, { timeout: 40000 });
  const [[newest]] = await client.xrevrange(`ts:tick:{${SYM}}`, '+', '-', 'COUNT', 1);
  const [[oldest]] = await client.xrange(`ts:tick:{${SYM}}`, '-', '+', 'COUNT', 1);
  const to = Number(newest.split('-')[0]), from = Number(oldest.split('-')[0]);
  const r = await page.evaluate(async ({ url, sym, from, to }) => {
    const ws = new WebSocket(`${url}?format=json`);
    await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = () => reject(new Error('ws error')); });
    const msgs = [];
    let range = null;
    const done = new Promise((resolve) => {
      ws.onmessage = (e) => {
        const m = JSON.parse(e.data);
        if (m.op === 'range') range = { m, bytes: e.data.length };
        else msgs.push(m);
        if (range && msgs.some((x) => x.op === 'hist' && !x.more)) resolve();
      };
    });
    // Requests as Chromium sends them (compressed or not, its choice): both answered.
    ws.send(JSON.stringify({ op: 'sub', sym, since: 0 }));
    ws.send(JSON.stringify({ op: 'range', sym, from, to, points: 1000, id: 1 }));
    await done;
    ws.close();
    return { ext: ws.extensions, msgs, range };
  }, { url: gw.ws, sym: SYM, from, to });
  assert.equal(r.ext, 'permessage-deflate; server_no_context_takeover; client_no_context_takeover');
  const series = r.msgs.filter((m) => m.op === 'hist').flatMap((m) => m.p.map((p, i) => ({ t: m.t0 + i * m.dt, p })));
  assert.ok(series.length >= 400, `${series.length} ticks`);
  assert.equal(checkSeries(series, DT), null);
  assert.deepEqual(series, await readStream(client, SYM, '-', String(series.at(-1).t)));
  // The range answer is well over the 1 KB from which the gateway compresses.
  assert.ok(r.range.bytes > 4096, `range answer of ${r.range.bytes} bytes`);
  const want = await (await fetch(`${gw.http}/api/range?sym=${SYM}&from=${from}&to=${to}&points=1000`)).json();
  const a = r.range.m;
  assert.deepEqual({ w: a.width, t: a.t, o: a.o, h: a.h, l: a.l, c: a.c, n: a.n }, { w: want.width, t: want.t, o: want.o, h: want.h, l: want.l, c: want.c, n: want.n });
});
