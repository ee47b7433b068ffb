// tests/browser/fill.js — writes a long past history straight into Redis, in
// the generator's layout, so that the browser test loads a full day's worth
// of points (86,400) without waiting a day. The generator started afterwards
// finds the streams' common last tick and continues from it.

/** ±1 walks for `names`, `count` ticks `interval` ms apart, the last at `endT`. */
export async function fillHistory(client, names, { count, interval, endT, seed = 1 }) {
  let x = seed >>> 0;
  const rand = () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) >>> 16) & 1;
  const t0 = endT - (count - 1) * interval;
  for (const name of names) {
    let p = 0;
    const key = `ts:tick:{${name}}`;
    for (let i = 0; i < count; ) {
      const pipe = client.pipeline();
      for (const end = Math.min(count, i + 10000); i < end; i++) {
        if (i > 0) p += rand() ? 1 : -1;
        pipe.xadd(key, `${t0 + i * interval}-0`, 'p', String(p));
      }
      const res = await pipe.exec();
      const bad = res.find(([e]) => e);
      if (bad) throw bad[0];
    }
  }
}
