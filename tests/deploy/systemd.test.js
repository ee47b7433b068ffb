// tests/deploy/systemd.test.js — deploy/systemd/ units: `systemd-analyze
// verify` (it works offline, without systemd as PID 1, as on this machine),
// and always a static check of the keys that matter (restart, hardening,
// environment files), which also covers hosts without systemd-analyze.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BUILD } from '../lib/procs.js';
import { ROOT, hasCommand, run } from './util.js';

const DIR = path.join(ROOT, 'deploy/systemd');
const UNITS = fs.readdirSync(DIR).filter((f) => /\.(service|target)$/.test(f)).sort();

/** INI → {section: {key: [values]}} with continuation lines joined. */
function parseUnit(text) {
  const out = {};
  let sec;
  for (const l of text.replace(/\\\n/g, ' ').split('\n')) {
    const s = l.trim();
    if (!s || s.startsWith('#') || s.startsWith(';')) continue;
    const m = /^\[(\w+)\]$/.exec(s);
    if (m) { sec = out[m[1]] = out[m[1]] || {}; continue; }
    const kv = /^([A-Za-z]+)=(.*)$/.exec(s);
    assert.ok(kv && sec, `not a key=value in a section: ${s}`);
    (sec[kv[1]] = sec[kv[1]] || []).push(kv[2].trim());
  }
  return out;
}
const unit = (f) => parseUnit(fs.readFileSync(path.join(DIR, f), 'utf8'));
const one = (u, sec, key) => u[sec]?.[key]?.at(-1);

test('the units are there: redis, generator, templated gateway', () => {
  assert.deepEqual(UNITS, ['tickgen.service', 'tickgw.target', 'tickgw@.service', 'tickstream-redis.service']);
});

for (const f of UNITS.filter((u) => u.endsWith('.service'))) {
  test(`${f}: restarts on failure, hardened, installable`, () => {
    const u = unit(f);
    assert.ok(one(u, 'Unit', 'Description'));
    assert.match(one(u, 'Service', 'ExecStart'), /^\//, 'ExecStart is an absolute path');
    assert.equal(one(u, 'Service', 'Restart'), 'on-failure');
    assert.equal(one(u, 'Service', 'DynamicUser'), 'yes');
    assert.equal(one(u, 'Service', 'ProtectSystem'), 'strict');
    assert.equal(one(u, 'Service', 'NoNewPrivileges'), 'yes');
    assert.equal(one(u, 'Service', 'ProtectHome'), 'yes');
    assert.equal(one(u, 'Service', 'PrivateTmp'), 'yes');
    assert.equal(one(u, 'Service', 'CapabilityBoundingSet'), '');
    assert.ok(one(u, 'Install', 'WantedBy'));
    for (const e of u.Service.EnvironmentFile || []) {
      assert.match(e, /^-\/etc\/tickstream\/[\w%.-]+\.env$/, 'optional env files under /etc/tickstream');
    }
  });
}

test('tickgw@.service: one instance per port, its own env file, --listen from the instance', () => {
  const u = unit('tickgw@.service');
  assert.match(one(u, 'Service', 'ExecStart'), /^\/usr\/local\/bin\/tickgw --listen \$\{TS_BIND\}:%i$/);
  assert.ok(u.Service.EnvironmentFile.includes('-/etc/tickstream/tickgw-%i.env'));
  assert.ok(u.Service.EnvironmentFile.includes('-/etc/tickstream/common.env'));
  assert.equal(one(u, 'Unit', 'PartOf'), 'tickgw.target');
});

test('tickgen.service reads the shared and its own env file; the redis unit keeps AOF', () => {
  const g = unit('tickgen.service');
  assert.deepEqual(g.Service.EnvironmentFile, ['-/etc/tickstream/common.env', '-/etc/tickstream/tickgen.env']);
  assert.match(one(g, 'Unit', 'After'), /tickstream-redis\.service/);
  const r = unit('tickstream-redis.service');
  assert.match(one(r, 'Service', 'ExecStart'), /--appendonly yes/);
  assert.match(one(r, 'Service', 'ExecStart'), /--supervised systemd/);
  assert.equal(one(r, 'Service', 'Type'), 'notify');
  assert.equal(one(r, 'Service', 'StateDirectory'), 'tickstream-redis');
});

test('the units use the ACL users: redis loads users.acl, each daemon has its user and a Sentinel example', () => {
  const r = unit('tickstream-redis.service');
  assert.match(one(r, 'Service', 'ExecStart'), /--aclfile \/etc\/tickstream\/users\.acl\b/);
  for (const [f, user] of [['tickgen.service', 'tickgen'], ['tickgw@.service', 'tickgw']]) {
    const text = fs.readFileSync(path.join(DIR, f), 'utf8');
    assert.match(text, new RegExp(`^#\\s+TS_REDIS_URL=redis://${user}:PASSWORD@`, 'm'), `${f} shows its user`);
    const m = new RegExp(`^#\\s+TS_REDIS_URL=(redis-sentinel://${user}:\\S+)$`, 'm').exec(text);
    assert.ok(m, `${f} shows a Sentinel URL`);
    // The example is a URL the daemons take: parsed, it fails only on the bad --log-level after it.
    const r2 = run(path.join(BUILD, user === 'tickgen' ? 'tickgen' : 'tickgw'), ['--redis', m[1], '--log-level', 'nope']);
    assert.equal(r2.code, 2);
    assert.match(r2.stderr, /--log-level/, r2.stderr);
    const bad = run(path.join(BUILD, user === 'tickgen' ? 'tickgen' : 'tickgw'), ['--redis', `${m[1]}&x=1`, '--log-level', 'nope']);
    assert.match(bad.stderr, /redis/, 'a bad URL is refused first (the check checks)');
  }
});

/** Copies the units to a temp dir for systemd-analyze: binaries pointed at
 * this build (it checks ExecStart is executable), the template instantiated. */
function stage(extra = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-units-'));
  const bin = (name) => (fs.existsSync(path.join(BUILD, name)) ? path.join(BUILD, name) : '/bin/true');
  for (const f of UNITS) {
    const text = fs.readFileSync(path.join(DIR, f), 'utf8')
      .replaceAll('/usr/local/bin/tickgen', bin('tickgen'))
      .replaceAll('/usr/local/bin/tickgw', bin('tickgw'));
    fs.writeFileSync(path.join(dir, f === 'tickgw@.service' ? 'tickgw@8081.service' : f), text + (extra[f] || ''));
  }
  return dir;
}

function verify(dir) {
  const files = fs.readdirSync(dir).map((f) => path.join(dir, f));
  return run('systemd-analyze', ['verify', ...files], { cwd: dir });
}

const noAnalyze = !hasCommand('systemd-analyze') && 'systemd-analyze is not installed (static checks above still ran)';

test('systemd-analyze verify: the units parse with no warning', { skip: noAnalyze }, () => {
  const dir = stage();
  try {
    const r = verify(dir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((r.stdout + r.stderr).trim(), '', 'no warnings');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('systemd-analyze verify reports a misspelt key here (so the check above means something)', { skip: noAnalyze }, () => {
  const dir = stage({ 'tickgen.service': '\n[Service]\nRestrat=always\n' });
  try {
    const r = verify(dir);
    assert.match(r.stdout + r.stderr, /Unknown key.*Restrat/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
