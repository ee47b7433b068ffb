// tests/gw/range-bench.test.js — the short version of `make bench-range`
// (bench/range.sh): half an hour of history instead of 30 days, 2 windows a
// zoom. It asserts what the script promises, not timings: it fills Redis,
// tickgen rebuilds the candles, and every zoom gets its row of answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { BUILD } from '../lib/procs.js';

test('bench/range.sh runs end to end on a short history', { timeout: 120000 }, async () => {
  const { stdout } = await promisify(execFile)('bench/range.sh', [], {
    env: { ...process.env, BUILD, DAYS: '0.02', PANS: '2', POINTS: '300' },
    timeout: 110000,
  });
  assert.match(stdout, /filled 1728 ticks of ticker_00/);
  assert.match(stdout, /ts:candle:1m: 2[89] candles/);
  assert.match(stdout, /ts:candle:10s: 17[23] candles/); // the default ladder, read back from ts:meta
  for (const zoom of ['everything', '10 d', '7 d', '1 d', '16 h', '6 h', '1 h', '10 min', '1 min']) {
    assert.match(stdout, new RegExp(`^\\| ${zoom} \\| (ticks|10s|1m|5m|15m|1h|4h|1d)`, 'm'), `a row for ${zoom}:\n${stdout}`);
  }
  assert.match(stdout, /worst round trip: [0-9.]+ ms over 9 zooms × 3 windows of 300 points/);
});
