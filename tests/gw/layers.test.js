// tests/gw/layers.test.js — the architecture stays what docs/ARCHITECTURE.md
// says: the gateway's folders are layers and every #include points down or
// sideways; no two object files of a daemon call each other in a circle
// (read from the built objects with nm); no C file grows far past ~500 lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, basename } from 'node:path';

const ROOT = new URL('../..', import.meta.url).pathname;
const BUILD = join(ROOT, process.env.TS_BUILD || 'build');
const LAYERS = ['base', 'net', 'proto', 'core']; // bottom up; gateway/ itself is the top

function cfiles(dir) {
  return readdirSync(join(ROOT, dir)).filter((f) => /\.[ch]$/.test(f)).map((f) => join(dir, f));
}

function layerOf(path) {
  const parts = path.split('/');
  if (parts[0] === 'common') return -1;
  const i = LAYERS.indexOf(parts[1]);
  return i >= 0 ? i : LAYERS.length;
}

test('gateway includes point one way: base <- net <- proto <- core <- app', () => {
  const files = [...LAYERS.flatMap((l) => cfiles(`gateway/${l}`)), ...cfiles('gateway'), ...cfiles('common')];
  const where = new Map(files.map((f) => [basename(f), f]));
  const wrong = [];
  for (const f of files) {
    for (const m of readFileSync(join(ROOT, f), 'utf8').matchAll(/^#include "([^"]+)"/gm)) {
      const target = where.get(m[1]);
      assert.ok(target, `${f} includes ${m[1]}, which is in no layer`);
      if (layerOf(target) > layerOf(f)) wrong.push(`${f} -> ${target}`);
    }
  }
  assert.deepEqual(wrong, [], 'includes that point up a layer');
});

function objects(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? objects(join(dir, e.name)) : e.name.endsWith('.o') ? [join(dir, e.name)] : []);
}

/** Cycles (strongly connected components of 2+ files) in "calls a function of" among objs. */
function cycles(objs) {
  const defs = new Map(), uses = new Map();
  for (const o of objs) {
    const out = execFileSync('nm', [o], { encoding: 'utf8' });
    uses.set(o, []);
    for (const line of out.split('\n')) {
      const m = line.trim().match(/^(?:[0-9a-f]+\s+)?([A-Za-z])\s+(\S+)$/);
      if (!m) continue;
      if (m[1] === 'U') uses.get(o).push(m[2]);
      else if (/[TDBR]/.test(m[1])) defs.set(m[2], o);
    }
  }
  const edges = new Map(objs.map((o) => [o, new Set(uses.get(o).map((s) => defs.get(s)).filter((d) => d && d !== o))]));
  // Tarjan's algorithm.
  let index = 0;
  const idx = new Map(), low = new Map(), stack = [], on = new Set(), found = [];
  const visit = (v) => {
    idx.set(v, index); low.set(v, index); index++; stack.push(v); on.add(v);
    for (const w of edges.get(v)) {
      if (!idx.has(w)) { visit(w); low.set(v, Math.min(low.get(v), low.get(w))); }
      else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const scc = [];
      let w;
      do { w = stack.pop(); on.delete(w); scc.push(basename(w)); } while (w !== v);
      if (scc.length > 1) found.push(scc.sort().join(' '));
    }
  };
  for (const o of objs) if (!idx.has(o)) visit(o);
  return found;
}

test('no object files of tickgw or tickgen call each other in a circle', () => {
  for (const d of ['gateway', 'generator']) {
    // Only objects whose source still exists (a build dir may hold stale ones).
    const objs = objects(join(BUILD, d)).filter((o) => existsSync(join(ROOT, o.slice(BUILD.length + 1).replace(/\.o$/, '.c'))));
    assert.ok(objs.length > 3, `built objects in ${join(BUILD, d)}`);
    assert.deepEqual(cycles(objs), [], `${d}: object files in a call cycle`);
  }
});

test('C files stay near 500 lines', () => {
  const dirs = ['common', 'generator', 'gateway', ...LAYERS.map((l) => `gateway/${l}`)];
  const long = dirs.flatMap(cfiles).map((f) => [f, readFileSync(join(ROOT, f), 'utf8').split('\n').length])
    .filter(([, n]) => n > 520).map(([f, n]) => `${f}: ${n}`);
  assert.deepEqual(long, []);
});
