// tests/gw/board.test.js — board subscriptions (docs/PROTOCOL.md "Boards"):
// the snapshot and every tick's frame equal the streams, for all
// instruments, a prefix and a list, in both formats; across a Redis
// restart and a gateway kill -9 every watcher resumes with no tick missed or
// repeated; a resume older than the ring gets a snapshot that replaces the
// board; one frame per tick is encoded and shared by the watchers of a
// selection (/metrics); bad requests get an err and the connection stays usable.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readStream, startTicking } from '../lib/redis.js';
import { waitFor } from '../lib/procs.js';
import { startGateway, WsClient, stopStack, metrics } from '../lib/gateway.js';
import { BoardWatcher, checkBoard } from '../lib/board.js';

const DT = 50;
let redis, client, gen;
const gateways = [];
const watchers = [];
const clients = [];

after(async () => {
  for (const w of watchers) w.stop();
  await stopStack({ clients, gateways, procs: [gen], client, redis });
});

async function streamsOf(syms) {
  const out = {};
  for (const s of syms) out[s] = await readStream(client, s);
  return out;
}

const framesAfter = (w, t) => w.frames.filter((f) => f.t > t).length;

test('board: bad requests get an err, the connection stays usable', { timeout: 30000 }, async () => {
  ({ redis, client, gen } = await startTicking(['--interval-ms', String(DT), '--reset'], 'ticker_00', 20));
  gateways.push(await startGateway(redis.url));
  const c = await WsClient.open(gateways[0].ws, { json: true });
  clients.push(c);
  const cases = [
    [{ op: 'board' }, 'bad_since'],
    [{ op: 'board', since: -1 }, 'bad_since'],
    [{ op: 'board', since: 0, prefix: 7 }, 'bad_request'],
    [{ op: 'board', since: 0, prefix: 'nope_' }, 'unknown_sym'],
    [{ op: 'board', since: 0, syms: [] }, 'bad_request'],
    [{ op: 'board', since: 0, syms: 'ticker_01' }, 'bad_request'],
    [{ op: 'board', since: 0, syms: ['ticker_01', 5] }, 'bad_request'],
    [{ op: 'board', since: 0, syms: ['ticker_01'], prefix: 'ticker_0' }, 'bad_request'],
    [{ op: 'board', since: 0, syms: ['ticker_01', 'ticker_999'] }, 'unknown_sym'],
    [{ op: 'unboard' }, 'not_subscribed'],
  ];
  for (const [req, code] of cases) {
    const from = c.msgs.length;
    c.send(req);
    const m = await c.next((x) => x.op === 'err', { from, what: `err for ${JSON.stringify(req)}` });
    assert.equal(m.code, code, `${JSON.stringify(req)}: ${m.msg}`);
  }
  // Still usable: a list board (names repeated and out of order come back once, in index order).
  c.send({ op: 'board', since: 0, syms: ['ticker_07', 'ticker_03', 'ticker_07'] });
  const b = await c.next((x) => x.op === 'board', { what: 'the board' });
  assert.deepEqual(b.syms, ['ticker_03', 'ticker_07']);
  assert.equal(b.p.length, 2);
  const bt = await c.next((x) => x.op === 'bt', { what: 'a frame' });
  assert.equal(bt.p.length, 2);
  assert.ok(bt.t > b.t, 'frames come after the snapshot');
  c.send({ op: 'unboard' });
  await new Promise((r) => setTimeout(r, 300));
  const n = c.msgs.length;
  await new Promise((r) => setTimeout(r, 5 * DT));
  assert.ok(c.msgs.slice(n).every((m) => m.op !== 'bt'), 'no frames after unboard');
});

test('board: every watcher equals the streams at each tick, across a Redis restart and a gateway kill -9', { timeout: 90000 }, async () => {
  const sels = [{}, { prefix: 'ticker_1' }, { syms: ['ticker_05', 'ticker_42', 'ticker_99'] }, {}];
  for (const [i, sel] of sels.entries()) watchers.push(new BoardWatcher(gateways[0].ws, { json: i % 2 === 1, sel }).start());
  await waitFor('every watcher has 20 frames', () => watchers.every((w) => w.frames.length >= 20), { timeout: 20000 });
  assert.equal(watchers[0].syms.length, 100);
  assert.equal(watchers[1].syms.length, 10);
  assert.deepEqual(watchers[2].syms, ['ticker_05', 'ticker_42', 'ticker_99']);

  // Redis dies and comes back: the gateway repairs the live hole from the streams.
  await redis.kill();
  await new Promise((r) => setTimeout(r, 700));
  await redis.restart();
  const back = Math.max(...watchers.map((w) => w.last));
  await waitFor('20 frames after the Redis restart', () => watchers.every((w) => framesAfter(w, back) >= 20), { timeout: 30000 });

  // The gateway dies: every watcher reconnects to a new one and resumes from its last tick.
  const held = watchers.map((w) => w.starts.length);
  gateways[0].signal_('SIGKILL');
  await gateways[0].exited;
  const gw2 = await startGateway(redis.url);
  gateways.push(gw2);
  for (const w of watchers) w.url = gw2.ws;
  await waitFor('every watcher resumed', () => watchers.every((w, i) => w.starts.length > held[i]), { timeout: 20000 });
  const resumedAt = Math.max(...watchers.map((w) => w.last));
  await waitFor('20 frames after the resume', () => watchers.every((w) => framesAfter(w, resumedAt) >= 20), { timeout: 30000 });

  // Away for a few ticks from a running gateway: the missed ticks come from its ring.
  const before = watchers.map((w) => w.starts.length);
  const away = watchers.map((w) => w.last);
  for (const w of watchers) w.drop(10 * DT);
  await waitFor('every watcher resumed again', () => watchers.every((w, i) => w.starts.length > before[i]), { timeout: 20000 });
  await waitFor('20 frames after that', () => watchers.every((w, i) => framesAfter(w, away[i]) >= 30), { timeout: 30000 });
  for (const w of watchers) w.stop();

  const streams = await streamsOf(watchers[0].syms);
  for (const [i, w] of watchers.entries()) {
    assert.ok(w.connects >= 2, `watcher ${i} reconnected`);
    const resumes = w.starts.slice(1);
    assert.ok(resumes.length >= 1 && resumes.every((s) => s.resumed), `watcher ${i} resumed without a new snapshot: ${JSON.stringify(w.starts)}`);
    assert.equal(checkBoard(w, streams, DT), null, `watcher ${i} (${JSON.stringify(w.sel)})`);
  }
});

test('board: a resume older than the ring gets a snapshot that replaces the board; one encoding per tick is shared', { timeout: 90000 }, async () => {
  // One worker thread, so that every watcher shares its encodings, and a
  // ring of 1 s (20 ticks), so that a watcher away for 3 s is older than it.
  const gw = await startGateway(redis.url, ['--threads', '1', '--ring', '1s']);
  gateways.push(gw);
  const ws = [0, 1, 2, 3].map((i) => new BoardWatcher(gw.ws, { json: i === 3 }).start());
  watchers.push(...ws);
  await waitFor('4 watchers with 5 frames', () => ws.every((w) => w.frames.length >= 5), { timeout: 20000 });
  let m1 = await metrics(gw);
  assert.equal(m1.tickgw_board_watchers, 4);
  assert.equal(m1.tickgw_board_snapshots_total, 4);
  const at = Math.max(...ws.map((w) => w.last));
  await waitFor('10 more frames', () => ws.every((w) => framesAfter(w, at) >= 10), { timeout: 20000 });
  let m2 = await metrics(gw);
  const encoded = m2.tickgw_board_frames_encoded_total - m1.tickgw_board_frames_encoded_total;
  const sent = m2.tickgw_board_frames_sent_total - m1.tickgw_board_frames_sent_total;
  // Per tick: one msgpack encoding for three watchers, one JSON for one.
  assert.ok(encoded >= 2 * 10, `${encoded} frames encoded over 10+ ticks`);
  assert.equal(sent, 2 * encoded, `sent ${sent}, encoded ${encoded}`);

  // Away for 3 s: older than the ring, so a fresh snapshot, later than any
  // tick the watcher held; away for 5 ticks: a resume from the ring.
  const held = ws.map((w) => w.starts.length);
  const away = ws[0].last;
  ws[0].drop(3000);
  ws[1].drop(5 * DT);
  await waitFor('both back', () => ws[0].starts.length > held[0] && ws[1].starts.length > held[1], { timeout: 20000 });
  const back = ws[0].starts[ws[0].starts.length - 1];
  assert.equal(back.resumed, false, `a snapshot, not a resume: ${JSON.stringify(back)}`);
  assert.equal(back.since, away);
  assert.ok(back.t - away > 1000, `the snapshot (${back.t}) is past the ring from ${away}`);
  assert.equal(ws[1].starts[ws[1].starts.length - 1].resumed, true);
  m2 = await metrics(gw);
  assert.equal(m2.tickgw_board_snapshots_total, 5);
  assert.equal(m2.tickgw_board_resumes_total, 1);
  assert.equal(m2.tickgw_board_watchers, 4);
  await waitFor('10 frames after the snapshot', () => framesAfter(ws[0], back.t) >= 10, { timeout: 20000 });
  for (const w of ws) w.stop();
  await waitFor('no watchers left', async () => (await metrics(gw)).tickgw_board_watchers === 0, { timeout: 10000, every: 100 });

  // The change over the day: this gateway started long after the day's first
  // ticks left its 1 s ring, so its references came from Redis; each equals
  // the raw XRANGE from the day's start, COUNT 1.
  const snap = ws[2].snapshot;
  assert.equal(snap.day, snap.t - (snap.t % 86400000));
  for (const [i, sym] of ws[2].syms.entries()) {
    const [[id, fields]] = await client.xrange(`ts:tick:{${sym}}`, snap.day, '+', 'COUNT', 1);
    assert.ok(Number(id.split('-')[0]) < snap.t - 1000, `${sym}'s first tick of the day is older than the ring`);
    assert.equal(snap.ref[i], Number(fields[1]), `${sym}: reference ${snap.ref[i]}, XRANGE ${fields}`);
  }
  const streams = await streamsOf(ws[0].syms);
  for (const [i, w] of ws.entries()) assert.equal(checkBoard(w, streams, DT), null, `watcher ${i}`);
  assert.equal(ws[0].seq.filter((f) => f.snap).length, 2, 'watcher 0: its first snapshot and the one that replaced the board');
});
