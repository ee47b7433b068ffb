// tests/build/deps.test.js — tools/deps.sh (`make deps`) and the prometheus
// service: Debian's package enables it, and we install it for promtool only,
// so when deps.sh installed it, it disables it again; when it was there
// before, or not installed by this run, deps.sh leaves it alone.
//
// The script runs for real, on a copy of it, with apt-get, dpkg-query,
// systemctl, sudo and npm replaced on PATH by scripts that record their
// arguments: installing packages on the test machine is not the test's to do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../lib/procs.js';

/** Runs a copy of deps.sh where dpkg-query says `missing` are not installed; returns {status, out, calls}. */
function runDeps(missing) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-deps-'));
  try {
    fs.mkdirSync(path.join(dir, 'tools'));
    fs.copyFileSync(path.join(ROOT, 'tools/deps.sh'), path.join(dir, 'tools/deps.sh'));
    fs.writeFileSync(path.join(dir, 'package-lock.json'), '{}');
    fs.mkdirSync(path.join(dir, 'node_modules'));
    const later = new Date(Date.now() + 60000);
    fs.writeFileSync(path.join(dir, 'node_modules/.package-lock.json'), '{}');
    fs.utimesSync(path.join(dir, 'node_modules/.package-lock.json'), later, later);
    const bin = path.join(dir, 'bin');
    const log = path.join(dir, 'calls');
    fs.mkdirSync(bin);
    const standIn = (name, body = '') => fs.writeFileSync(path.join(bin, name), `#!/bin/sh\necho "${name} $*" >> '${log}'\n${body}\n`, { mode: 0o755 });
    standIn('dpkg-query', `case " ${missing.join(' ')} " in *" $3 "*) exit 1 ;; esac\necho "install ok installed"`);
    standIn('apt-get');
    standIn('systemctl');
    standIn('npm');
    standIn('sudo', 'exec "$@"');
    const r = spawnSync('sh', [path.join(dir, 'tools/deps.sh')], {
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, encoding: 'utf8', timeout: 30000,
    });
    const calls = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter((l) => l && !l.startsWith('dpkg-query ')) : [];
    return { status: r.status, out: r.stdout + r.stderr, calls };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const systemctl = (calls) => calls.filter((c) => c.startsWith('systemctl '));

test('deps.sh installing prometheus (for promtool) disables the service the package enabled', () => {
  const r = runDeps(['prometheus']);
  assert.equal(r.status, 0, r.out);
  assert.ok(r.calls.some((c) => /^apt-get install .*\bprometheus\b/.test(c)), r.calls.join('\n'));
  const s = systemctl(r.calls);
  assert.equal(s.length, 1, r.calls.join('\n'));
  // --now (stop it too) where systemd runs; on a host without it, only the links.
  const booted = fs.existsSync('/run/systemd/system');
  assert.match(s[0], booted ? /^systemctl disable --now --quiet prometheus\.service$/ : /^systemctl disable --quiet prometheus\.service$/);
  assert.match(r.out, /prometheus is installed for promtool only/);
});

test('deps.sh leaves the prometheus service alone when it did not install prometheus', () => {
  const other = runDeps(['libfaketime']);
  assert.equal(other.status, 0, other.out);
  assert.ok(other.calls.some((c) => /^apt-get install .*\blibfaketime\b/.test(c)), other.calls.join('\n'));
  assert.deepEqual(systemctl(other.calls), []);
  const none = runDeps([]);
  assert.equal(none.status, 0, none.out);
  assert.deepEqual(none.calls, [], 'nothing missing: nothing installed');
});
