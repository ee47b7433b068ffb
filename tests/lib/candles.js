// tests/lib/candles.js — candles (docs/REDIS.md "Rollups") read back, and the
// reference they are checked against: the aggregate of the raw ticks.

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
