// tests/lib/candles.js — candles (docs/REDIS.md "Rollups") read back, and the
// reference they are checked against: the aggregate of the raw ticks.
import assert from 'node:assert/strict';
import { readStream } from './redis.js';

/** XRANGE of a candle stream as [{t, o, h, l, c, n}]. */
export async function readCandles(client, label, name, from = '-', to = '+') {
  const rows = await client.xrange(`ts:candle:${label}:{${name}}`, from, to);
  return rows.map(([id, f]) => {
    const m = {};
    for (let i = 0; i < f.length; i += 2) m[f[i]] = Number(f[i + 1]);
    return { t: Number(id.split('-')[0]), o: m.o, h: m.h, l: m.l, c: m.c, n: m.n };
  });
}

/** The candle of ticks [{t, p}] (sorted) in [start, start + w); null when none. */
export function aggregate(ticks, start, w) {
  let x = null;
  for (const { t, p } of ticks) {
    if (t < start || t >= start + w) continue;
    if (x === null) x = { t: start, o: p, h: p, l: p, c: p, n: 0 };
    x.h = Math.max(x.h, p);
    x.l = Math.min(x.l, p);
    x.c = p;
    x.n++;
  }
  return x;
}

/** Every bucket of width w of the ticks, in order: [{t, o, h, l, c, n}]. */
export function bucketsOf(ticks, w) {
  const out = [];
  for (const { t, p } of ticks) {
    const s = Math.floor(t / w) * w;
    let x = out.at(-1);
    if (!x || x.t !== s) out.push((x = { t: s, o: p, h: p, l: p, c: p, n: 0 }));
    x.h = Math.max(x.h, p);
    x.l = Math.min(x.l, p);
    x.c = p;
    x.n++;
  }
  return out;
}

/** The time of the newest tick of name's stream. */
export async function newestTick(client, name) {
  const [[id0]] = await client.xrevrange(`ts:tick:{${name}}`, '+', '-', 'COUNT', 1);
  return Number(id0.split('-')[0]);
}

/**
 * Checks a range answer (docs/PROTOCOL.md "Ranges", over HTTP or the
 * WebSocket) of the window [from, to] in about `points` buckets against the
 * raw ticks: every bucket's o/h/l/c/n is their aggregate, no bucket that
 * has ticks is missing, and the newest bucket (the live tail) is the
 * aggregate of its first n ticks, holding at least every tick written up to
 * `before` (read before the request).
 */
export async function checkRange(client, sym, body, { from, to, points, before }) {
  const { width: w, t } = body;
  const ticks = await readStream(client, sym, String(Math.floor(body.from / w) * w), '+');
  assert.ok(Math.ceil((body.to - body.from + 1) / w) <= points + 1, `${t.length} buckets of ${w} ms for ${points} points`);
  assert.ok(t.length <= points + 1);
  const lastFirst = Math.floor(body.from / w) * w, lastT = Math.floor(body.to / w) * w;
  const at = new Map(t.map((s, i) => [s, i]));
  for (let s = lastFirst; s <= lastT; s += w) {
    const all = aggregate(ticks, s, w);
    const i = at.get(s);
    const where = `bucket ${s}+${w} of [${from}, ${to}] /${points} (source ${body.source})`;
    if (i === undefined) {
      // No bucket: no tick in it then — and none later, unless it is past the newest bucket.
      assert.ok(all === null || s > t.at(-1), `${where}: missing, the raw ticks have ${all?.n}`);
      continue;
    }
    const got = { t: s, o: body.o[i], h: body.h[i], l: body.l[i], c: body.c[i], n: body.n[i] };
    if (i < t.length - 1) {
      assert.deepEqual(got, all, `${where}: differs from the raw ticks`);
    } else {
      // The newest bucket was read at some tick; the first n ticks of it are what it must hold.
      const inIt = ticks.filter((x) => x.t >= s && x.t < s + w);
      assert.deepEqual(got, aggregate(inIt.slice(0, got.n), s, w), `${where}: the live tail differs from the raw ticks`);
      const due = inIt.filter((x) => x.t <= before).length;
      assert.ok(got.n >= due, `${where}: holds ${got.n} ticks, but ${due} were written before the request`);
    }
  }
}

/**
 * The live candles of (sym, width) as a client holds them (docs/PROTOCOL.md
 * "Live candles"): every candle of a `candles` or `candle` message replaces
 * the one with its t. Continues `view` when given (a resume on a new
 * connection). Throws when the messages break the protocol's order: a
 * `candle` before the final `candles`, a `last` that goes back, an epoch
 * that changes.
 */
export function candleView(msgs, sym, width, view) {
  view = view ? { ...view, byT: new Map(view.byT), final: false } : { byT: new Map(), last: -1, final: false, epoch: undefined, updates: 0, msgs: 0 };
  const put = (t, o, h, l, c, n) => view.byT.set(t, { t, o, h, l, c, n });
  for (const m of msgs) {
    if (m.sym !== sym || m.width !== width || (m.op !== 'candles' && m.op !== 'candle')) continue;
    if (m.op === 'candles') {
      if (view.final) throw new Error(`${sym}/${width}: candles after the final one`);
      if (view.epoch !== undefined && m.epoch !== view.epoch) throw new Error(`${sym}/${width}: epoch ${view.epoch} then ${m.epoch}`);
      view.epoch = m.epoch;
      for (let i = 0; i < m.t.length; i++) put(m.t[i], m.o[i], m.h[i], m.l[i], m.c[i], m.n[i]);
      if (!m.more) view.final = true;
    } else {
      if (!view.final) throw new Error(`${sym}/${width}: candle ${m.t} before the final candles`);
      if (m.last < m.t || m.last >= m.t + width) throw new Error(`${sym}/${width}: candle ${m.t} with last ${m.last}`);
      put(m.t, m.o, m.h, m.l, m.c, m.n);
      view.updates++;
    }
    if (m.last < view.last) throw new Error(`${sym}/${width}: last ${view.last} then ${m.last}`);
    view.last = m.last;
    view.msgs++;
  }
  return view;
}

/**
 * Checks a candle view against the raw ticks: from the bucket holding
 * `first` up to the view's `last`, its candles are exactly the aggregate of
 * the ticks with t <= last — none missing, none extra, none counted twice.
 */
export async function checkCandleView(client, sym, width, view, first) {
  const start = Math.floor(first / width) * width;
  const ticks = (await readStream(client, sym, start, view.last)).filter(({ t }) => t >= start && t <= view.last);
  const want = bucketsOf(ticks, width);
  const got = [...view.byT.values()].filter((c) => c.t >= start).sort((a, b) => a.t - b.t);
  assert.ok(want.length > 0, `${sym}/${width}: ticks from ${start} to ${view.last}`);
  assert.deepEqual(got, want, `${sym}/${width}: candles from ${start} to last ${view.last} vs the raw ticks`);
}

/**
 * Asserts every level of `ladder` ([label, width] pairs) holds, for each of
 * `names`, exactly the closed buckets of its raw ticks (the open bucket has
 * no candle). With `waiting`, the newest closed bucket of a level may still
 * lack its candle (tickgen --candle-budget: generator/gen_defer.h). Returns
 * how many lacked it.
 */
export async function assertClosedCandles(client, names, ladder, { minPerLevel = 1, waiting = false } = {}) {
  let lacking = 0;
  for (const name of names) {
    const ticks = await readStream(client, name);
    const end = ticks.at(-1).t;
    for (const [label, w] of ladder) {
      const want = bucketsOf(ticks, w).filter((b) => b.t + w <= end);
      const got = await readCandles(client, label, name);
      assert.ok(got.length >= minPerLevel, `${name} ${label}: ${got.length} candles, ${want.length} closed buckets, ticks ${ticks[0].t}..${end}`);
      assert.ok(got.every((c) => c.t + w <= end), `${name} ${label}: a candle of an open bucket`);
      if (waiting && got.length === want.length - 1) {
        lacking++;
        want.pop();
      }
      assert.deepEqual(got, want, `${name} ${label}: candles differ from the raw ticks' aggregate`);
    }
  }
  return lacking;
}

