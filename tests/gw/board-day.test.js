// tests/gw/board-day.test.js — the board's change over the day across
// midnight UTC (docs/PROTOCOL.md "Boards"). The generator's clock
// (libfaketime) stands a few seconds before a midnight: watchers that hold
// the board across it roll their references with the new day's first tick,
// a watcher away across midnight resumes from the ring and rolls the same
// way, and one that joins after midnight gets the new day's references in
// its snapshot — every reference equal to the raw XRANGE from its day's start.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RedisServer, readStream, waitStreamLength } from '../lib/redis.js';
import { startGenerator, waitFor } from '../lib/procs.js';
import { startGateway, stopStack } from '../lib/gateway.js';
import { BoardWatcher, checkBoard, DAY_MS } from '../lib/board.js';

const DT = 50;
const LEAD_S = 8; // the generator starts this long before midnight
let redis, client, gen, gw, dir;
const watchers = [];

after(async () => {
  for (const w of watchers) w.stop();
  await stopStack({ gateways: [gw].filter(Boolean), procs: [gen].filter(Boolean), client, redis });
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('board: at midnight UTC every watcher\'s day and references roll to the new day\'s first ticks', { timeout: 60000 }, async () => {
  // The generator's clock: LEAD_S before the last midnight (the past, so its
  // ticks stay inside the retention of a clock-true Redis and gateway).
  const now = Date.now();
  const midnight = now - (now % DAY_MS);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-faketime-'));
  const file = path.join(dir, 'offset');
  fs.writeFileSync(file, `${Math.round((midnight - LEAD_S * 1000 - now) / 1000)}\n`);
  redis = await RedisServer.start({ aof: false });
  client = redis.client();
  gen = startGenerator(redis.url, ['--interval-ms', String(DT), '--instruments', '20', '--reset'], {
    env: {
      LD_PRELOAD: '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1',
      FAKETIME_TIMESTAMP_FILE: file, FAKETIME_NO_CACHE: '1', FAKETIME_DONT_FAKE_MONOTONIC: '1',
      ASAN_OPTIONS: [process.env.ASAN_OPTIONS, 'verify_asan_link_order=0'].filter(Boolean).join(':'),
    },
  });
  await waitStreamLength(client, 'ticker_00', 5);
  gw = await startGateway(redis.url);
  const [all, some, away] = [{}, { prefix: 'ticker_1' }, {}].map((sel, i) => new BoardWatcher(gw.ws, { json: i === 1, sel }).start());
  watchers.push(all, some, away);
  await waitFor('three boards before midnight', () => watchers.every((w) => w.last > 0 && w.last < midnight), { timeout: 10000 });
  assert.equal(all.snapshot.day, midnight - DAY_MS, 'the snapshot is of the day before');

  // Away from shortly before midnight to after it: a resume from the ring.
  await waitFor('half a second before midnight', () => away.last >= midnight - 500, { timeout: 15000 });
  away.drop(1000);
  await waitFor('every watcher a second past midnight', () => watchers.every((w) => w.last >= midnight + 1000), { timeout: 15000 });
  const late = new BoardWatcher(gw.ws).start();
  watchers.push(late);
  await waitFor('20 frames after midnight for the late one', () => late.frames.length >= 20, { timeout: 15000 });
  for (const w of watchers) w.stop();

  assert.equal(away.starts.length, 2);
  assert.ok(away.starts[1].resumed && away.starts[1].since < midnight, `resumed from before midnight: ${JSON.stringify(away.starts)}`);
  assert.equal(late.snapshot.day, midnight, 'a snapshot after midnight is of the new day');
  for (const [i, sym] of late.syms.entries()) {
    const [[id, fields]] = await client.xrange(`ts:tick:{${sym}}`, midnight, '+', 'COUNT', 1);
    assert.ok(Number(id.split('-')[0]) < late.snapshot.t, 'the day had begun');
    assert.equal(late.snapshot.ref[i], Number(fields[1]), `${sym}: reference ${late.snapshot.ref[i]}, XRANGE ${fields}`);
  }
  const streams = {};
  for (const s of all.syms) streams[s] = await readStream(client, s);
  for (const [i, w] of watchers.entries()) {
    assert.ok(w.seq.some((f) => f.t < midnight) || w === late, `watcher ${i} held the board before midnight`);
    assert.ok(w.seq.some((f) => f.t >= midnight), `watcher ${i} held it after`);
    assert.equal(checkBoard(w, streams, DT), null, `watcher ${i} (${JSON.stringify(w.sel)})`);
  }
  // At the first tick of the day the references are that tick's prices.
  const first = all.seq.find((f) => f.t >= midnight);
  assert.equal(first.t, midnight, 'the generator wrote a tick at midnight');
  assert.deepEqual(first.ref, first.prices);
});
