// tests/deploy/haproxy.test.js — the one HAProxy config and its native
// rendering: both pass `haproxy -c`, and the native one differs from the
// compose one only in the marked regions. (tests/cluster runs it for real.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { read, run, tempFile } from './util.js';

const CFG = read('deploy/haproxy/haproxy.cfg');
const render = (args) => run('deploy/haproxy/render.sh', args);

function haproxyCheck(text) {
  const t = tempFile('haproxy.cfg', text);
  try {
    return run('haproxy', ['-c', '-f', t.file]);
  } finally {
    t.cleanup();
  }
}

/** Lines outside the #@docker regions. */
function shared(text) {
  const out = [];
  let skip = false;
  for (const l of text.split('\n')) {
    if (l.startsWith('#@docker-begin ')) skip = true;
    else if (l.startsWith('#@docker-end')) skip = false;
    else if (!skip) out.push(l);
  }
  return out;
}

test('haproxy -c accepts the compose config (gateway replicas resolved at run time)', () => {
  const r = haproxyCheck(CFG);
  assert.equal(r.code, 0, r.stdout + r.stderr);
});

test('the compose config balances, health-checks /readyz, re-resolves gateway and suits WebSockets', () => {
  assert.match(CFG, /^\s*balance (leastconn|roundrobin)$/m);
  assert.match(CFG, /^\s*option httpchk$/m);
  assert.match(CFG, /^\s*http-check send meth GET uri \/readyz\b/m);
  assert.match(CFG, /^\s*http-check expect status 200$/m);
  assert.match(CFG, /^\s*timeout tunnel \d+[smh]$/m, 'upgraded WebSockets get a tunnel timeout');
  assert.match(CFG, /^\s*default-server .*\bon-marked-down shutdown-sessions\b/m, 'a dead gateway is drained');
  assert.match(CFG, /^\s*option redispatch\b/m);
  assert.match(CFG, /^resolvers docker$/m);
  assert.match(CFG, /^\s*server-template gateway \d+-\d+ gateway:8080 resolvers docker init-addr none/m);
});

test('render.sh fills in the native server list and bind address, drops the Docker resolvers', () => {
  const r = render(['-b', '127.0.0.1:18080', '127.0.0.1:18081', '127.0.0.1:18082']);
  assert.equal(r.code, 0, r.stderr);
  const out = r.stdout;
  const directives = out.split('\n').filter((l) => !/^\s*#/.test(l)).join('\n');
  assert.doesNotMatch(directives, /resolvers|127\.0\.0\.11|server-template/);
  assert.doesNotMatch(out, /^#@docker/m);
  assert.match(out, /^\s*bind 127\.0\.0\.1:18080$/m);
  const servers = out.match(/^\s*server \S+ \S+$/gm).map((l) => l.trim().split(/\s+/).slice(1));
  assert.deepEqual(servers, [['gateway1', '127.0.0.1:18081'], ['gateway2', '127.0.0.1:18082']]);
  // One source: everything else is the compose file, line for line.
  const rest = out.split('\n').filter((l) => !/^\s*(bind|server) /.test(l));
  assert.deepEqual(rest, shared(CFG));
  const c = haproxyCheck(out);
  assert.equal(c.code, 0, c.stdout + c.stderr);
});

test('the default native bind is loopback 8080, for make run-cluster', () => {
  const r = render(['127.0.0.1:8081', '127.0.0.1:8082']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^\s*bind 127\.0\.0\.1:8080$/m);
});

test('render.sh -u adds user and group to the global section (for a HAProxy started as root)', () => {
  const r = render(['-u', 'haproxy', '127.0.0.1:8081']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^global\n    user haproxy\n    group haproxy\n/m);
  const c = haproxyCheck(r.stdout);
  assert.equal(c.code, 0, c.stdout + c.stderr);
});

test('render.sh refuses no servers, and a config without its regions', () => {
  assert.equal(render([]).code, 2);
  const t = tempFile('plain.cfg', shared(CFG).join('\n'));
  try {
    const r = render(['-c', t.file, '127.0.0.1:8081']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /region is missing/);
  } finally {
    t.cleanup();
  }
});
