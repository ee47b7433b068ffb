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
