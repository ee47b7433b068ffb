// tests/browser/series.test.js — the page's pure parts in node: the series
// buffers (dedupe, runs, growth without per-tick copies, retention trim) and
// the picker's ranking. No browser needed; these run in milliseconds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Series } from '../../webui/series.js';
import { Picker } from '../../webui/picker.js';

const DT = 1000;

test('push dedupes by time and keeps order', () => {
  const s = new Series(4);
  assert.equal(s.push(1000, 5), true);
  assert.equal(s.push(1000, 6), false);
  assert.equal(s.push(500, 6), false);
  assert.equal(s.push(2000, 6), true);
  assert.deepEqual(s.copy(), { t: [1000, 2000], p: [5, 6] });
  assert.equal(s.firstT, 1000);
  assert.equal(s.lastT, 2000);
  assert.equal(s.lastP, 6);
});

test('pushRun skips the overlap with what is held, and handles runs entirely held', () => {
  const s = new Series(4);
  s.pushRun(0, DT, [0, 1, 2]);
  assert.equal(s.pushRun(1000, DT, [1, 2, 3, 4]), 2);
  assert.equal(s.pushRun(0, DT, [0, 1]), 0);
  assert.equal(s.pushRun(9000, DT, []), 0);
  assert.deepEqual(s.copy(), { t: [0, 1000, 2000, 3000, 4000], p: [0, 1, 2, 3, 4] });
});

test('appending a tick copies nothing until capacity runs out; growth doubles', () => {
  const s = new Series(1024);
  s.pushRun(0, DT, new Array(1000).fill(1));
  const buf = s.t;
  for (let i = 0; i < 24; i++) s.push((1000 + i) * DT, 2);
  assert.equal(s.t, buf, 'buffer replaced before it was full');
  s.push(1024 * DT, 3);
  assert.notEqual(s.t, buf);
  assert.ok(s.t.length >= 2048);
  const [t, p] = s.views();
  assert.equal(t.buffer, s.t.buffer, 'views must share memory with the buffers');
  assert.equal(t.length, 1025);
  assert.equal(p[1024], 3);
});

test('86,400 points then a day of live ticks with a retention trim stay bounded', () => {
  const s = new Series();
  const day = 86400;
  s.pushRun(0, DT, Array.from({ length: day }, (_, i) => i));
  let caps = new Set();
  for (let i = day; i < 3 * day; i++) {
    s.push(i * DT, i);
    if (s.lastT - s.firstT > day * DT * 1.02) s.trimBefore(s.lastT - day * DT);
    caps.add(s.t.length);
  }
  assert.ok(s.length <= day * 1.02 + 2, `holds ${s.length}`);
  assert.ok(Math.max(...caps) <= 4 * 262144, `capacity grew to ${Math.max(...caps)}`);
  const c = s.copy();
  for (let i = 1; i < c.t.length; i++) assert.equal(c.t[i] - c.t[i - 1], DT);
  assert.equal(c.p[c.p.length - 1], 3 * day - 1);
  assert.equal(s.lowerBound(s.lastT), s.end - 1);
});

test('picker: digits find the instrument with that number first', () => {
  const names = Array.from({ length: 200 }, (_, i) => `ticker_${String(i).padStart(2, '0')}`);
  const f = (q) => Picker.prototype.filter.call({ names }, q);
  assert.equal(f('07')[0], 'ticker_07');
  assert.ok(f('07').includes('ticker_107'));
  assert.equal(f('7')[0], 'ticker_07');
  assert.equal(f('107')[0], 'ticker_107');
  assert.equal(f('TICKER_1')[0], 'ticker_10');
  assert.equal(f('').length, 200);
  assert.deepEqual(f('zz'), []);
});
