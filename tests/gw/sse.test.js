// tests/gw/sse.test.js — GET /sse: history then live as one event per tick,
// ids that resume every instrument exactly (Last-Event-ID) across a cut
// connection and a SIGKILLed and restarted gateway, the request errors, and
// the WebSocket path's limits (--max-conns, the send-queue cap, keepalive).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startTicking, readStream, checkSeries } from '../lib/redis.js';
import { waitFor } from '../lib/procs.js';
import { startGateway, metrics, stopStack, WsClient } from '../lib/gateway.js';
import { SseClient } from '../lib/sse.js';

const DT = 20;
let redis, client, gen, gw;
const gateways = [];
const sse = [];

before(async () => {
  ({ redis, client, gen } = await startTicking(['--interval-ms', String(DT), '--instruments', '4', '--reset'], 'ticker_03', 100, 15000));
  gw = await startGateway(redis.url, ['--max-conns', '4', '--ping-interval', '1s']);
  gateways.push(gw);
});

after(async () => {
  for (const c of sse) c.stop();
  await stopStack({ gateways, procs: [gen], client, redis });
});

function open(url, opts) {
  const c = new SseClient(url, opts);
  sse.push(c);
  return c;
}

/** The series equals XRANGE over (since, its last t]: no gap, no duplicate. */
async function assertExact(series, sym, since) {
  assert.ok(series.length > 0, `${sym}: some ticks`);
  assert.equal(checkSeries(series, DT), null, `${sym}: ${checkSeries(series, DT)}`);
  const want = await readStream(client, sym, `(${since}`, String(series[series.length - 1].t));
  assert.deepEqual(series, want, `${sym}: ${series.length} ticks, XRANGE has ${want.length}`);
}

const live = (c, sym) => c.events.some((e) => e.type === 'live' && JSON.parse(e.data).sym === sym);
const lastT = (c, sym) => c.series(sym).at(-1)?.t ?? 0;

test('one sym: hello, history after since, live, then ticks; ids are tick times', { timeout: 20000 }, async () => {
  // From the stream's newest tick, not the wall clock: a generator running
  // late under load (a busy machine) would leave no history after a
  // clock-based since, and the live event would follow no message. And
  // 200 ticks (4 s) back, not 40: a gateway whose feed ran 0.8 s behind the
  // stream under load served the catch-up from what it had heard — nothing
  // after since — and went live at once (correct, but no history to check;
  // seen in make test at load 6).
  const [[newest]] = await client.xrevrange('ts:tick:{ticker_01}', '+', '-', 'COUNT', 1);
  const since = Number(newest.split('-')[0]) - 200 * DT;
  const c = open(`${gw.http}/sse?sym=ticker_01&since=${since}`, { reconnect: false });
  await waitFor('live and 10 more ticks', () => live(c, 'ticker_01') && lastT(c, 'ticker_01') > Date.now() - 1000 &&
    c.series('ticker_01').length > 50, { timeout: 10000 });
  c.stop();
  assert.equal(c.contentType, 'text/event-stream');
  assert.equal(c.retry, 1000);
  const hello = c.events[0];
  assert.equal(hello.type, 'hello');
  const epoch = Number(await client.hget('ts:meta', 'epoch'));
  assert.deepEqual(JSON.parse(hello.data), { epoch, dt: DT });
  const ticks = c.events.filter((e) => e.type === 'message');
  for (const e of ticks) assert.equal(e.id, String(JSON.parse(e.data).t), 'id = the tick time');
  const lv = c.events.find((e) => e.type === 'live');
  const lvd = JSON.parse(lv.data);
  assert.equal(lvd.epoch, epoch);
  const before = c.events.indexOf(lv);
  assert.equal(lvd.last, JSON.parse(c.events.slice(0, before).filter((e) => e.type === 'message').at(-1).data).t,
    'live.last = the last history tick');
  assert.ok(c.series('ticker_01')[0].t > since);
  await assertExact(c.series('ticker_01'), 'ticker_01', since);
});

test('two syms, cut mid-catch-up and resumed by Last-Event-ID: every tick of both once', { timeout: 30000 }, async () => {
  // since=0: all history (hundreds of ticks each), cut after 150 events, 5 times.
  const c = open(`${gw.http}/sse?sym=ticker_02,ticker_00&since=0`, { reconnect: 50 });
  for (let k = 1; k <= 5; k++) {
    await waitFor(`connection ${k} to carry 150 events`, () => c.connects === k && c.events.filter((e) => e.conn === k).length >= 150, { timeout: 10000 });
    c.cut();
  }
  await waitFor('both live again', () => c.connects === 6 && c.events.filter((e) => e.conn === 6 && e.type === 'live').length === 2, { timeout: 10000 });
  const t = Date.now();
  await waitFor('ticks after now', () => lastT(c, 'ticker_02') > t && lastT(c, 'ticker_00') > t, { timeout: 5000 });
  c.stop();
  const ids = c.events.filter((e) => e.type === 'message').map((e) => e.id);
  assert.ok(ids.every((id) => /^\d+,\d+$/.test(id)), 'ids carry both positions');
  await assertExact(c.series('ticker_02'), 'ticker_02', 0);
  await assertExact(c.series('ticker_00'), 'ticker_00', 0);
});

test('bad requests get 400 with the reason; the gateway stays up', { timeout: 20000 }, async () => {
  const cases = [
    ['/sse', {}, /sym is required/],
    ['/sse?since=5', {}, /sym is required/],
    ['/sse?sym=ticker_09', {}, /unknown instrument/],
    ['/sse?sym=ticker_01,', {}, /unknown instrument/],
    ['/sse?sym=ticker_01&since=-3', {}, /since must be/],
    ['/sse?sym=ticker_01&since=1.5', {}, /since must be/],
    ['/sse?sym=ticker_01,ticker_02', { 'Last-Event-ID': '1,2,3' }, /Last-Event-ID/],
    ['/sse?sym=ticker_01', { 'Last-Event-ID': 'abc' }, /Last-Event-ID/],
  ];
  for (const [url, headers, re] of cases) {
    const res = await fetch(gw.http + url, { headers });
    assert.equal(res.status, 400, url);
    assert.match(await res.text(), re, url);
  }
  // One Last-Event-ID for several syms applies to each.
  const since = Date.now() - 10 * DT;
  const c = open(`${gw.http}/sse?sym=ticker_01&sym=ticker_03`, { reconnect: false, lastEventId: String(since) });
  await waitFor('both live', () => live(c, 'ticker_01') && live(c, 'ticker_03'), { timeout: 5000 });
  c.stop();
  for (const s of ['ticker_01', 'ticker_03']) await assertExact(c.series(s), s, since);
  assert.equal((await fetch(`${gw.http}/healthz`)).status, 200);
});

test('--max-conns counts SSE streams with WebSockets: the next one gets 503', { timeout: 20000 }, async () => {
  await waitFor('no connections left from earlier tests', async () => (await metrics(gw)).tickgw_connections === 0, { timeout: 5000 });
  const now = Date.now();
  const held = [0, 1, 2].map(() => open(`${gw.http}/sse?sym=ticker_00&since=${now}`, { reconnect: false }));
  const ws = await WsClient.open(gw.ws);
  await waitFor('3 streams and a WebSocket', () => held.every((c) => c.connects === 1), { timeout: 5000 });
  const res = await fetch(`${gw.http}/sse?sym=ticker_00`);
  assert.equal(res.status, 503);
  assert.match(await res.text(), /too many connections/);
  for (const c of held) c.stop();
  ws.ws.terminate();
  await waitFor('the streams to be counted closed', async () => (await metrics(gw)).tickgw_connections === 0, { timeout: 5000 });
  const again = open(`${gw.http}/sse?sym=ticker_00&since=${Date.now()}`, { reconnect: false });
  await waitFor('a stream once there is room', () => again.connects === 1, { timeout: 5000 });
  again.stop();
});

test('a stream that is not read is closed as a slow client; others go on', { timeout: 60000 }, async () => {
  // Its own stack: 100 instruments every 10 ms, so an unread stream of all
  // of them outgrows the kernel's socket buffers and a 256 KB queue at once.
  const big = await startTicking(['--interval-ms', '10', '--instruments', '100', '--reset'], 'ticker_99', 20, 15000);
  const g = await startGateway(big.redis.url, ['--max-subs', '100', '--send-queue', '262144', '--close-timeout', '1s']);
  try {
    const all = Array.from({ length: 100 }, (_, k) => `ticker_${String(k).padStart(2, '0')}`).join(',');
    const sock = net.connect({ port: g.port, host: '127.0.0.1' });
    sock.on('error', () => {});
    await new Promise((r) => sock.on('connect', r));
    sock.pause();
    sock.write(`GET /sse?sym=${all}&since=${Date.now() - 2000} HTTP/1.1\r\nHost: t\r\n\r\n`);
    const ok = open(`${g.http}/sse?sym=ticker_50&since=${Date.now()}`, { reconnect: false });
    await waitFor('the slow stream to be closed', async () => (await metrics(g)).tickgw_slow_client_closes_total === 1, { timeout: 30000, every: 100 });
    await waitFor('its socket to be dropped', async () => (await metrics(g)).tickgw_connections === 1, { timeout: 10000 });
    const t = Date.now();
    await waitFor('the healthy stream to go on', () => lastT(ok, 'ticker_50') > t, { timeout: 5000 });
    ok.stop();
    // Reading now, the slow one finds the close event at the end of its stream.
    const rest = await new Promise((resolve) => {
      let text = '';
      sock.setEncoding('utf8');
      sock.on('data', (d) => (text += d));
      sock.on('end', () => resolve(text));
      sock.on('close', () => resolve(text));
      sock.resume();
    });
    assert.match(rest, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(rest, /event: close\ndata: \{"code":1008,"reason":"slow client: send queue over 262144 bytes"\}\n\n$/);
  } finally {
    await stopStack({ gateways: [g], procs: [big.gen], client: big.client, redis: big.redis });
  }
});

test('keepalive: a quiet stream gets comments every --ping-interval', { timeout: 20000 }, async () => {
  const c = open(`${gw.http}/sse?sym=ticker_00&since=${Date.now()}`, { reconnect: false });
  await waitFor('connected', () => c.connects === 1, { timeout: 5000 });
  gen.signal_('SIGSTOP'); // our own generator: the feed goes quiet
  try {
    await waitFor('a keepalive comment', () => c.comments.length >= 1, { timeout: 5000 });
    assert.equal(c.comments[0], ': keepalive');
  } finally {
    gen.signal_('SIGCONT');
  }
  const t = Date.now();
  await waitFor('ticks again', () => lastT(c, 'ticker_00') > t, { timeout: 10000 });
  c.stop();
  await assertExact(c.series('ticker_00'), 'ticker_00', c.series('ticker_00')[0].t - DT);
});

test('SIGKILL of the gateway: the stream resumes on a new one with no gap and no duplicate', { timeout: 40000 }, async () => {
  const g = await startGateway(redis.url);
  gateways.push(g);
  const since = Date.now() - 100 * DT;
  const url = `${g.http}/sse?sym=ticker_01,ticker_02&since=${since}`;
  const c = open(url, { reconnect: 100 });
  await waitFor('live', () => live(c, 'ticker_01') && live(c, 'ticker_02'), { timeout: 10000 });
  g.signal_('SIGKILL');
  await waitFor('the gateway to die', () => !g.running, { timeout: 5000 });
  await new Promise((r) => setTimeout(r, 300)); // ticks it misses while down
  const g2 = await startGateway(redis.url, [], { port: g.port });
  gateways.push(g2);
  await waitFor('reconnected and live', () => c.connects === 2 && c.events.filter((e) => e.conn === 2 && e.type === 'live').length === 2, { timeout: 15000 });
  const t = Date.now();
  await waitFor('ticks after now', () => lastT(c, 'ticker_01') > t && lastT(c, 'ticker_02') > t, { timeout: 5000 });
  c.stop();
  for (const s of ['ticker_01', 'ticker_02']) await assertExact(c.series(s), s, since);
});
