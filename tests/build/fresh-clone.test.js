// tests/build/fresh-clone.test.js — `make` on a fresh clone that has no
// node_modules yet (before `make deps`) stops with one line saying what to
// run, not make's "No rule to make target".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../lib/procs.js';

test('make without node_modules says in one line to run make deps', { timeout: 60000 }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-fresh-'));
  try {
    // The working tree's files as a clone would have them (tracked files only).
    const files = spawnSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' }).stdout.split('\0').filter(Boolean);
    for (const f of files) {
      if (!fs.existsSync(path.join(ROOT, f))) continue;
      fs.mkdirSync(path.join(dir, path.dirname(f)), { recursive: true });
      fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
    }
    assert.ok(!fs.existsSync(path.join(dir, 'node_modules')));
    // Not as a sub-make of `make test`: a fresh shell's make.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(MAKEFLAGS|MAKELEVEL|MFLAGS|MAKEOVERRIDES)$/.test(k)));
    const r = spawnSync('make', ['webui/vendor/uPlot.esm.js'], { cwd: dir, env, encoding: 'utf8', timeout: 30000 });
    assert.notEqual(r.status, 0);
    assert.doesNotMatch(r.stderr, /No rule to make target/);
    const lines = r.stderr.split('\n').filter((l) => l && !/^make(\[\d+\])?: \*\*\*/.test(l));
    assert.deepEqual(lines, ["make: node_modules/uplot/dist/uPlot.esm.js is missing: run 'make deps' first (apt packages and npm ci; 'make run' and 'make test' do it themselves)"]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
