// tests/deploy/images.test.js — the files behind `make images`, statically
// (tests/docker builds and runs them): the Redis and HAProxy Dockerfiles, the
// extra-CA build argument in every stage that runs apt-get, the Redis
// entrypoint's arguments, and what must never be committed (a certificate,
// the host's Debian mirror).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, read, run, tempFile } from './util.js';

/** Stages of a Dockerfile: [{name, base, lines}], continuation lines joined, comments dropped. */
function stages(file) {
  const lines = read(file).replace(/\\\n/g, ' ').split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
  const out = [];
  for (const l of lines) {
    const m = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(l);
    if (m) out.push({ name: m[2] || file, base: m[1], lines: [] });
    else if (out.length) out.at(-1).lines.push(l);
  }
  return out;
}

const aptPackages = (st) => {
  const r = st.lines.find((l) => /apt-get install/.test(l));
  return r.split('apt-get install')[1].split('&&')[0].trim().split(/\s+/).filter((w) => !w.startsWith('-'));
};

test('redis, haproxy and prometheus images: on ${DEBIAN_IMAGE} (bookworm-slim by default), Debian\'s package, not root', () => {
  for (const [file, pkg, user] of [['deploy/redis/Dockerfile', 'redis-server', 'redis'], ['deploy/haproxy/Dockerfile', 'haproxy', 'haproxy'],
    ['deploy/prometheus/Dockerfile', 'prometheus', 'prometheus']]) {
    assert.match(read(file), /^ARG DEBIAN_IMAGE=debian:bookworm-slim$/m, file);
    const [st, ...more] = stages(file);
    assert.equal(more.length, 0, `${file}: one stage`);
    assert.equal(st.base, '${DEBIAN_IMAGE}');
    assert.deepEqual(aptPackages(st), [pkg]);
    const r = run('apt-cache', ['show', '--no-all-versions', pkg]);
    assert.equal(r.code, 0, `apt-cache show ${pkg}: ${r.stderr}`);
    assert.ok(st.lines.includes(`USER ${user}`), `${file} runs as ${user}`);
  }
  // Where docker-compose.yml mounts the config, as in the official image.
  assert.match(read('deploy/haproxy/Dockerfile'), /"-f", "\/usr\/local\/etc\/haproxy\/haproxy\.cfg"/);
  assert.match(read('deploy/prometheus/Dockerfile'), /"--config\.file=\/etc\/prometheus\/prometheus\.yml", "--storage\.tsdb\.path=\/prometheus"/);
});

test('every stage that runs apt-get takes EXTRA_CA_CERTS; the shipped ones keep no copy', () => {
  const all = [...stages('deploy/Dockerfile'), ...stages('deploy/redis/Dockerfile'), ...stages('deploy/haproxy/Dockerfile'), ...stages('deploy/prometheus/Dockerfile')];
  const apt = all.filter((s) => s.lines.some((l) => /apt-get install/.test(l)));
  assert.deepEqual(apt.map((s) => s.name), ['build-base', 'runtime', 'deploy/redis/Dockerfile', 'deploy/haproxy/Dockerfile', 'deploy/prometheus/Dockerfile']);
  for (const s of apt) {
    assert.ok(s.lines.includes('ARG EXTRA_CA_CERTS='), `${s.name} declares EXTRA_CA_CERTS (empty by default)`);
    const runLine = s.lines.find((l) => /apt-get install/.test(l));
    assert.match(runLine, /if \[ -n "\$EXTRA_CA_CERTS" \]; then .*Acquire::https::CAInfo/, `${s.name}: apt trusts it`);
    if (s.name === 'build-base') continue; // a build stage: the CA stays for npm (NODE_EXTRA_CA_CERTS)
    assert.match(runLine, /rm -rf [^&]*\/tmp\/extra-ca\.crt [^&]*\/etc\/apt\/apt\.conf\.d\/99extra-ca/, `${s.name}: removed in the same RUN`);
  }
  const base = stages('deploy/Dockerfile').find((s) => s.name === 'build-base');
  assert.ok(base.lines.includes('ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt'), 'npm ci trusts the system bundle, extra CA included');
});

test('the Redis entrypoint: options alone mean redis-server; protected mode off, before the command\'s own options, after a config file', () => {
  // A redis-server on PATH that prints its arguments.
  const t = tempFile('redis-server', '#!/bin/sh\necho "$@"\n');
  fs.chmodSync(t.file, 0o755);
  try {
    const entry = path.join(ROOT, 'deploy/redis/docker-entrypoint.sh');
    const args = (...a) => {
      const r = run(entry, a, { env: { PATH: `${t.dir}:/usr/bin:/bin` } });
      assert.equal(r.code, 0, r.stderr);
      return r.stdout.trim();
    };
    assert.equal(args('redis-server'), '--protected-mode no');
    assert.equal(args('redis-server', '--appendonly', 'yes'), '--protected-mode no --appendonly yes');
    assert.equal(args('--appendonly', 'yes'), '--protected-mode no --appendonly yes');
    assert.equal(args('redis-server', '/etc/redis.conf', '--port', '7000'), '/etc/redis.conf --protected-mode no --port 7000');
    assert.equal(args('redis-server', '--protected-mode', 'yes'), '--protected-mode no --protected-mode yes', 'a later option wins in Redis');
    assert.equal(run(entry, ['echo', 'other', 'command']).stdout.trim(), 'other command');
  } finally {
    t.cleanup();
  }
});

test('no certificate or private key is committed', () => {
  const files = run('git', ['ls-files', '-z']).stdout.split('\0').filter(Boolean);
  assert.ok(files.length > 50);
  const found = files.filter((f) => {
    const p = path.join(ROOT, f);
    if (!fs.existsSync(p) || !fs.statSync(p).isFile()) return false;
    return /-----BEGIN ([A-Z ]*PRIVATE KEY|CERTIFICATE)-----/.test(fs.readFileSync(p, 'latin1'));
  });
  assert.deepEqual(found, []);
});

test('the host\'s Debian mirror is written in no committed file (tools/images.sh reads it at run time)', (t) => {
  const text = ['/etc/apt/sources.list', ...(fs.existsSync('/etc/apt/sources.list.d')
    ? fs.readdirSync('/etc/apt/sources.list.d').map((f) => path.join('/etc/apt/sources.list.d', f)) : [])]
    .filter((f) => fs.existsSync(f) && fs.statSync(f).isFile()).map((f) => fs.readFileSync(f, 'utf8')).join('\n');
  const hosts = [...new Set([...text.matchAll(/^[^#\n]*?\b(?:https?|ftp):\/\/([^/\s:\]]+)/gm)].map((m) => m[1]))];
  if (hosts.length === 0) return t.skip('this host has no apt sources');
  for (const h of hosts) {
    const r = run('git', ['grep', '-F', '-l', '-i', h]);
    assert.equal(r.stdout, '', 'a committed file names one of the host\'s apt mirrors');
  }
});
