// tests/deploy/compose.test.js — docker-compose.yml, checked statically:
// there is no Docker engine on our machines, so nothing here builds or
// starts an image. `docker-compose config` (Debian's 1.29) validates the file
// against the Compose schema and prints it normalised; the topology is then
// asserted on that normalised form, so anchors and defaults are resolved
// exactly as docker-compose resolves them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BUILD } from '../lib/procs.js';
import { composeConfig, parseYaml, read, run, tempFile, ROOT } from './util.js';

const cfg = (() => {
  const r = composeConfig();
  if (r.code !== 0) return { error: r.stderr };
  return parseYaml(r.stdout);
})();
const svc = (name) => cfg.services?.[name];
// The services `docker-compose up` starts: those of no profile (1.29's
// `config` prints every service, whatever its profiles).
const always = () => Object.entries(cfg.services).filter(([, s]) => !s.profiles);

// Volumes as {type, source, target, read_only}: docker-compose 1.29 prints
// the short form `source:target[:mode]`, v2 the long one.
function volumes(s) {
  return (s.volumes || []).map((v) => {
    if (typeof v !== 'string') return v;
    const [source, target, mode = 'rw'] = v.split(':');
    const bind = source.startsWith('/') || source.startsWith('.');
    return { type: bind ? 'bind' : 'volume', source, target, read_only: mode.split(',').includes('ro') };
  });
}

// Published ports as {host_ip, published, target}: docker-compose 1.29 prints
// a port with a host address in the short form `ip:published:target/proto`,
// v2 the long one.
function ports(s) {
  return (s.ports || []).map((p) => {
    if (typeof p !== 'string') return { host_ip: p.host_ip, published: Number(p.published), target: Number(p.target) };
    const m = /^(?:(.*):)?(\d+):(\d+)(?:\/\w+)?$/.exec(p);
    assert.ok(m, `port ${p}`);
    return { host_ip: m[1], published: Number(m[2]), target: Number(m[3]) };
  });
}

test('docker-compose config -q accepts docker-compose.yml', () => {
  const r = composeConfig(undefined, ['-q']);
  assert.equal(r.code, 0, `docker-compose config -q failed:\n${r.stderr}`);
  assert.equal(cfg.error, undefined);
});

test('docker-compose config -q rejects a broken copy (the check checks)', () => {
  const bad = read('docker-compose.yml').replace('condition: service_healthy', 'condition: service_ready_soon');
  const t = tempFile('docker-compose.yml', bad);
  try {
    const r = composeConfig(t.file, ['-q']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /service_ready_soon/);
  } finally {
    t.cleanup();
  }
});

test('the file uses no compose v2-only top-level keys and no version pin', () => {
  const raw = parseYaml(read('docker-compose.yml'));
  const top = Object.keys(raw).filter((k) => !k.startsWith('x-'));
  assert.deepEqual(top.sort(), ['services', 'volumes']);
});

test('five services: redis, generator, generator-standby, gateway, lb; prometheus in the monitoring profile only', () => {
  assert.deepEqual(always().map(([n]) => n).sort(), ['gateway', 'generator', 'generator-standby', 'lb', 'redis']);
  assert.deepEqual(Object.keys(cfg.services).sort(), ['gateway', 'generator', 'generator-standby', 'lb', 'prometheus', 'redis']);
  assert.deepEqual(svc('prometheus').profiles, ['monitoring']);
});

test('prometheus: mounts deploy/prometheus/prometheus.yml, data on a named volume, scrapes where the generator serves /metrics', () => {
  const p = svc('prometheus');
  assert.match(p.image, /^prom\/prometheus:/);
  const v = volumes(p);
  assert.ok(v.some((x) => x.type === 'bind' && x.source.endsWith('deploy/prometheus/prometheus.yml') && x.target === '/etc/prometheus/prometheus.yml' && x.read_only), JSON.stringify(v));
  assert.ok(v.some((x) => x.type === 'volume' && x.target === '/prometheus'), JSON.stringify(v));
  assert.deepEqual(ports(p), [{ host_ip: '0.0.0.0', published: 9090, target: 9090 }]);
  // The scrape config's generator target is the port TS_METRICS_LISTEN opens.
  assert.equal(svc('generator').environment.TS_METRICS_LISTEN, '0.0.0.0:9100');
  const prom = read('deploy/prometheus/prometheus.yml');
  assert.match(prom, /names: \[generator, generator-standby\]\s+type: A\s+port: 9100/);
  assert.match(prom, /names: \[gateway\]\s+type: A\s+port: 8080/);
  const c = configWith('TS_PUBLISH_ADDR=127.0.0.1\nTS_PROMETHEUS_PORT=19090\nTS_PROMETHEUS_IMAGE=tickstream/prometheus:bookworm\n');
  assert.deepEqual(ports(c.services.prometheus), [{ host_ip: '127.0.0.1', published: 19090, target: 9090 }]);
  assert.equal(c.services.prometheus.image, 'tickstream/prometheus:bookworm');
});

test('two generators by default: the standby is the generator again (same image, settings, health check)', () => {
  const g = svc('generator'), s = svc('generator-standby');
  assert.deepEqual(s.build, g.build);
  assert.equal(s.image, g.image);
  assert.deepEqual(s.environment, g.environment, 'a standby must share seed, interval and instruments with the leader');
  assert.deepEqual(s.depends_on, g.depends_on);
  assert.equal(s.container_name, undefined);
});

test('redis: official image, AOF on a named volume, ACL users from deploy/redis, ts-cli ping health check, no host port', () => {
  const r = svc('redis');
  assert.match(r.image, /^redis:/);
  const cmd = [].concat(r.command).join(' ');
  assert.match(cmd, /--appendonly yes/);
  assert.match(cmd, /^sh \/usr\/local\/etc\/tickstream\/start\.sh /, 'start.sh renders the ACL file, then starts redis-server');
  const acl = volumes(r).find((v) => v.target === '/usr/local/etc/tickstream');
  assert.equal(path.relative(ROOT, acl.source), 'deploy/redis');
  assert.equal(acl.read_only, true);
  const cli = volumes(r).find((v) => v.target === '/usr/local/bin/ts-cli');
  assert.equal(path.relative(ROOT, cli.source), 'deploy/redis/ts-cli');
  assert.ok(fs.statSync(path.join(ROOT, 'deploy/redis/ts-cli')).mode & 0o111, 'ts-cli is executable');
  for (const k of ['TS_REDIS_TICKGEN_PASSWORD', 'TS_REDIS_TICKGW_PASSWORD']) assert.ok(r.environment[k], `redis gets ${k}`);
  const vol = volumes(r).find((v) => v.target === '/data');
  assert.ok(vol, 'redis has a volume on /data');
  assert.equal(vol.type, 'volume', 'a named volume, not a bind mount');
  assert.ok(cfg.volumes && vol.source in cfg.volumes, `volume ${vol.source} is declared at the top level`);
  assert.deepEqual(r.healthcheck.test.filter((a) => a !== 'CMD' && a !== 'CMD-SHELL').join(' '), 'ts-cli ping | grep -q PONG');
  assert.equal(r.ports, undefined, 'redis publishes no port (use docker-compose exec redis redis-cli)');
});

test('generator and gateway are built from deploy/Dockerfile targets on bookworm-slim', () => {
  const dockerfile = read('deploy/Dockerfile');
  for (const name of ['generator', 'gateway']) {
    const b = svc(name).build;
    assert.equal(path.resolve(b.context), ROOT);
    assert.equal(b.dockerfile, 'deploy/Dockerfile');
    assert.match(dockerfile, new RegExp(`^FROM \\S+ AS ${b.target}$`, 'm'), `Dockerfile has stage ${b.target}`);
  }
  assert.equal(svc('generator').build.target, 'generator');
  assert.equal(svc('gateway').build.target, 'gateway');
});

test('gateway is scalable: no fixed host port, no container name', () => {
  const g = svc('gateway');
  assert.equal(g.ports, undefined, 'gateway publishes no host port');
  assert.equal(g.container_name, undefined);
  assert.equal(g.network_mode, undefined);
  assert.ok((g.expose || []).map(String).includes('8080'));
  assert.equal(g.environment.TS_LISTEN, '0.0.0.0:8080');
});

test('services start in order, on health', () => {
  const dep = (a, b) => svc(a).depends_on?.[b]?.condition;
  assert.equal(dep('generator', 'redis'), 'service_healthy');
  assert.equal(dep('gateway', 'redis'), 'service_healthy');
  assert.equal(dep('gateway', 'generator'), 'service_healthy');
  assert.equal(dep('lb', 'gateway'), 'service_healthy');
  // generator and gateway get their health checks from the image.
  const dockerfile = read('deploy/Dockerfile');
  for (const stage of ['generator', 'gateway']) {
    const body = dockerfile.split(/^FROM /m).find((s) => new RegExp(` AS ${stage}$`, 'm').test(s.split('\n')[0]));
    assert.match(body, /^HEALTHCHECK .*\n?.*CMD/m, `stage ${stage} has a HEALTHCHECK`);
  }
});

test('every service restarts on failure', () => {
  for (const [name, s] of Object.entries(cfg.services)) {
    assert.ok(['always', 'unless-stopped', 'on-failure'].includes(s.restart), `${name} restart is ${s.restart}`);
  }
});

test('the daemons point at the compose redis, each as its ACL user with the password redis renders', () => {
  const pw = svc('redis').environment;
  for (const name of ['generator', 'generator-standby']) {
    assert.equal(svc(name).environment.TS_REDIS_URL, `redis://tickgen:${pw.TS_REDIS_TICKGEN_PASSWORD}@redis:6379`);
  }
  assert.equal(svc('gateway').environment.TS_REDIS_URL, `redis://tickgw:${pw.TS_REDIS_TICKGW_PASSWORD}@redis:6379`);
  const c = configWith('TS_REDIS_TICKGEN_PASSWORD=g1\nTS_REDIS_TICKGW_PASSWORD=w1\n');
  assert.equal(c.services.generator.environment.TS_REDIS_URL, 'redis://tickgen:g1@redis:6379');
  assert.equal(c.services.gateway.environment.TS_REDIS_URL, 'redis://tickgw:w1@redis:6379');
  assert.deepEqual([c.services.redis.environment.TS_REDIS_TICKGEN_PASSWORD, c.services.redis.environment.TS_REDIS_TICKGW_PASSWORD], ['g1', 'w1']);
});

test('lb: HAProxy publishes 8080 and mounts deploy/haproxy/haproxy.cfg, which names the gateway service', () => {
  const lb = svc('lb');
  assert.match(lb.image, /^haproxy:/);
  assert.deepEqual(ports(lb).map((p) => [p.published, p.target]), [[8080, 8080]]);
  const mount = volumes(lb).find((v) => v.target === '/usr/local/etc/haproxy/haproxy.cfg');
  assert.ok(mount, 'the config is mounted where the official image reads it');
  assert.equal(path.relative(ROOT, mount.source), 'deploy/haproxy/haproxy.cfg');
  assert.equal(mount.read_only, true);
  const hcfg = read('deploy/haproxy/haproxy.cfg');
  assert.match(hcfg, /^\s*server-template\s+\S+\s+\d+-\d+\s+gateway:8080\s.*\bresolvers docker\b/m);
  assert.match(hcfg, /^\s*nameserver\s+\S+\s+127\.0\.0\.11:53$/m);
  assert.match(hcfg, /^\s*bind :8080$/m, 'HAProxy listens on the port lb publishes');
});

test('only lb publishes a port (and prometheus, in its profile)', () => {
  const published = always().filter(([, s]) => s.ports).map(([n]) => n);
  assert.deepEqual(published, ['lb']);
});

test('TS_PORT in .env moves the published port', () => {
  const t = tempFile('.env', 'TS_PORT=9090\n');
  try {
    const r2 = run('docker-compose', ['--env-file', t.file, '--project-directory', ROOT, 'config']);
    assert.equal(r2.code, 0, r2.stderr);
    assert.deepEqual(ports(parseYaml(r2.stdout).services.lb).map((p) => p.published), [9090]);
  } finally {
    t.cleanup();
  }
});

test('lb is published on every address by default; TS_PUBLISH_ADDR=127.0.0.1 keeps it on loopback', () => {
  assert.deepEqual(ports(svc('lb')).map((p) => p.host_ip), ['0.0.0.0']);
  const t = tempFile('.env', 'TS_PUBLISH_ADDR=127.0.0.1\nTS_PORT=9090\n');
  try {
    const r2 = run('docker-compose', ['--env-file', t.file, '--project-directory', ROOT, 'config']);
    assert.equal(r2.code, 0, r2.stderr);
    assert.deepEqual(ports(parseYaml(r2.stdout).services.lb), [{ host_ip: '127.0.0.1', published: 9090, target: 8080 }]);
  } finally {
    t.cleanup();
  }
});

/** docker-compose config with `env` as the .env file. */
function configWith(env) {
  const t = tempFile('.env', env);
  try {
    const r = run('docker-compose', ['--env-file', t.file, '--project-directory', ROOT, 'config']);
    assert.equal(r.code, 0, r.stderr);
    return parseYaml(r.stdout);
  } finally {
    t.cleanup();
  }
}

test('images: official by default; TS_BASE_IMAGE, TS_REDIS_IMAGE, TS_HAPROXY_IMAGE select those of `make images`', () => {
  assert.equal(svc('redis').image, 'redis:7.2-bookworm');
  assert.equal(svc('lb').image, 'haproxy:2.8-bookworm');
  for (const name of ['generator', 'gateway']) {
    assert.deepEqual(svc(name).build.args, { DEBIAN_IMAGE: 'debian:bookworm-slim', EXTRA_CA_CERTS: '' });
  }
  const c = configWith('TS_BASE_IMAGE=tickstream/debian:bookworm-slim\nTS_REDIS_IMAGE=tickstream/redis:bookworm\n' +
    'TS_HAPROXY_IMAGE=tickstream/haproxy:bookworm\nTS_EXTRA_CA_CERTS=pem\n');
  assert.equal(c.services.redis.image, 'tickstream/redis:bookworm');
  assert.equal(c.services.lb.image, 'tickstream/haproxy:bookworm');
  for (const name of ['generator', 'gateway']) {
    assert.deepEqual(c.services[name].build.args, { DEBIAN_IMAGE: 'tickstream/debian:bookworm-slim', EXTRA_CA_CERTS: 'pem' });
  }
});

test('gateway nofile: 16384 by default (under common engines\' hard limits), TS_NOFILE moves it; the default TS_MAX_CONNS fits under it', () => {
  const g = svc('gateway');
  assert.deepEqual(g.ulimits.nofile, { soft: 16384, hard: 16384 });
  // tickgw needs --max-conns + 64 + 8 per thread (its startup warning's rule): room for 40 threads.
  assert.ok(Number(g.environment.TS_MAX_CONNS) + 64 + 8 * 40 <= 16384, `TS_MAX_CONNS ${g.environment.TS_MAX_CONNS}`);
  const c = configWith('TS_NOFILE=4096\nTS_MAX_CONNS=4000\n');
  assert.deepEqual(c.services.gateway.ulimits.nofile, { soft: 4096, hard: 4096 });
  assert.equal(c.services.gateway.environment.TS_MAX_CONNS, '4000');
});

test('.env.example documents the compose-only settings', () => {
  const example = read('.env.example');
  for (const k of ['TS_PORT', 'TS_PUBLISH_ADDR', 'TS_NOFILE', 'TS_BASE_IMAGE', 'TS_REDIS_IMAGE', 'TS_HAPROXY_IMAGE', 'TS_PROMETHEUS_IMAGE', 'TS_PROMETHEUS_PORT', 'TS_EXTRA_CA_CERTS',
    'TS_REDIS_TICKGEN_PASSWORD', 'TS_REDIS_TICKGW_PASSWORD']) {
    assert.match(example, new RegExp(`^#?${k}=`, 'm'), `${k} is in .env.example`);
  }
});

test('.env.example documents every TS_* variable the compose file passes', () => {
  const example = read('.env.example');
  for (const [name, s] of Object.entries(cfg.services)) {
    for (const k of Object.keys(s.environment || {})) {
      assert.match(example, new RegExp(`^#?${k}=`, 'm'), `${k} (service ${name}) is in .env.example`);
    }
  }
  assert.match(example, /^#?TS_PORT=/m);
});

// The daemons' own --help is the list of their settings: .env.example must
// name each one (binaries built by `make`, which runs before the tests).
for (const bin of ['tickgen', 'tickgw']) {
  const file = path.join(BUILD, bin);
  test(`.env.example documents every TS_* variable of ${bin} --help`, { skip: !fs.existsSync(file) && `${file} not built` }, () => {
    const help = run(file, ['--help']).stdout;
    const vars = [...help.matchAll(/\benv (TS_[A-Z0-9_]+)/g)].map((m) => m[1]);
    assert.ok(vars.length > 3, `${bin} --help lists its TS_* variables`);
    const example = read('.env.example');
    const missing = vars.filter((v) => !new RegExp(`^#?${v}=`, 'm').test(example));
    assert.deepEqual(missing, [], `.env.example lacks ${missing.join(', ')}`);
  });
}

// docker-compose.sentinel.yml on top of docker-compose.yml, as deploy/README.md runs it.
const ha = (() => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-compose-ha-'));
  const envFile = path.join(dir, 'empty.env');
  fs.writeFileSync(envFile, '');
  try {
    return run('docker-compose', ['--env-file', envFile, '-f', path.join(ROOT, 'docker-compose.yml'), '-f',
      path.join(ROOT, 'docker-compose.sentinel.yml'), '--project-directory', ROOT, 'config']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
})();

test('docker-compose.sentinel.yml: a replica, three sentinels, and every daemon on the sentinel URL as its ACL user', () => {
  assert.equal(ha.code, 0, `docker-compose config with the override failed:\n${ha.stderr}`);
  const c = parseYaml(ha.stdout).services;
  assert.deepEqual(Object.keys(c).filter((n) => !c[n].profiles).sort(), ['gateway', 'generator', 'generator-standby', 'lb', 'redis',
    'redis-replica', 'sentinel-1', 'sentinel-2', 'sentinel-3']);
  const rep = c['redis-replica'];
  assert.equal(rep.environment.TS_REDIS_REPLICAOF, 'redis:6379');
  assert.match([].concat(rep.command).join(' '), /start\.sh .*--appendonly yes/);
  for (const name of ['redis', 'redis-replica']) {
    for (const k of ['TS_REDIS_TICKGEN_PASSWORD', 'TS_REDIS_TICKGW_PASSWORD', 'TS_REDIS_REPLICA_PASSWORD', 'TS_REDIS_SENTINEL_PASSWORD']) {
      assert.ok(c[name].environment[k], `${name} gets ${k} (every server may become master or replica)`);
    }
  }
  const spw = c['sentinel-1'].environment.TS_SENTINEL_PASSWORD;
  for (const i of [1, 2, 3]) {
    const s = c[`sentinel-${i}`];
    assert.match([].concat(s.command).join(' '), /sentinel-start\.sh$/);
    assert.equal(s.environment.TS_SENTINEL_MASTER, 'redis:6379');
    assert.equal(s.environment.TS_REDIS_SENTINEL_PASSWORD, c.redis.environment.TS_REDIS_SENTINEL_PASSWORD);
    assert.equal(s.environment.TS_SENTINEL_PASSWORD, spw);
    assert.equal(s.ports, undefined, 'a sentinel publishes no port');
  }
  const sentinels = 'sentinel-1:26379,sentinel-2:26379,sentinel-3:26379/mymaster';
  for (const [name, user, pw] of [['generator', 'tickgen', 'TS_REDIS_TICKGEN_PASSWORD'], ['generator-standby', 'tickgen', 'TS_REDIS_TICKGEN_PASSWORD'],
    ['gateway', 'tickgw', 'TS_REDIS_TICKGW_PASSWORD']]) {
    assert.equal(c[name].environment.TS_REDIS_URL, `redis-sentinel://${user}:${c.redis.environment[pw]}@${sentinels}?sentinel_password=${spw}`);
  }
  // The generator's health check (healthcheck.sh) reads redis-sentinel:// URLs.
  assert.match(read('deploy/healthcheck.sh'), /redis-sentinel:\/\/\*\) sentinel_master/);
  const example = read('.env.example');
  for (const k of ['TS_REDIS_REPLICA_PASSWORD', 'TS_REDIS_SENTINEL_PASSWORD', 'TS_SENTINEL_PASSWORD']) {
    assert.match(example, new RegExp(`^#?${k}=`, 'm'), `${k} is in .env.example`);
  }
});
