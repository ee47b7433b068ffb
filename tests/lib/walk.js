// tests/lib/walk.js — the generator's move function (common/ts_walk.c) in
// JavaScript, so tests can check that a series is *the* walk, not just a walk.
const M64 = (1n << 64n) - 1n;

export const DEFAULT_SEED = 0x7469636b73747265n;

function splitmix64(x) {
  x = (x + 0x9e3779b97f4a7c15n) & M64;
  x = ((x ^ (x >> 30n)) * 0xbf58476d1ce4e5b9n) & M64;
  x = ((x ^ (x >> 27n)) * 0x94d049bb133111ebn) & M64;
  return x ^ (x >> 31n);
}

/** +1 or -1: the move of `instrument` at tick index `n` (= t / interval). */
export function move(seed, instrument, n) {
  const h = splitmix64(splitmix64(seed ^ (BigInt(instrument) << 40n)) ^ BigInt(n));
  return h >> 63n ? 1 : -1;
}

/**
 * Checks that every step of `series` ([{t, p}], consecutive) is the move the
 * walk prescribes for instrument `i` at that time; a message, or null.
 */
export function walkError(series, i, iv, seed = DEFAULT_SEED) {
  for (let k = 1; k < series.length; k++) {
    const want = move(seed, i, series[k].t / iv);
    if (series[k].p - series[k - 1].p !== want) return `at ${series[k].t}: step ${series[k].p - series[k - 1].p}, the walk says ${want}`;
  }
  return null;
}
