// tests/docker/images.test.js — `make images` (tools/images.sh) for real:
// every image docker-compose.yml needs, built from the host's Debian mirror
// alone (no Docker Hub), and what each one is: sizes, a slimmed Debian 12
// base, runtime images without compiler or the build's CA certificates, a
// Redis that takes clients from other containers (protected mode off, as
// the official image), an HAProxy that accepts the compose config.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { waitFor } from '../lib/procs.js';
import { APP_IMAGES, IMAGES, ROOT, buildImages, imageSizes, must, run, useEngine } from './engine.js';

let engine, built;
const BASE = IMAGES.TS_BASE_IMAGE, REDIS = IMAGES.TS_REDIS_IMAGE, HAPROXY = IMAGES.TS_HAPROXY_IMAGE;
const PROMETHEUS = IMAGES.TS_PROMETHEUS_IMAGE;
const ALL = [BASE, REDIS, HAPROXY, PROMETHEUS, ...APP_IMAGES];
const cleanup = [];

before(async () => {
  engine = await useEngine();
  built = await buildImages();
});

after(async () => {
  for (const [cmd, args] of cleanup.reverse()) await run(cmd, args);
  await engine?.release();
});

/** Runs `script` (sh -c) in a fresh container of `image`; returns its stdout. */
const inImage = (image, script, extra = []) => must('docker', ['run', '--rm', ...extra, '--entrypoint', 'sh', image, '-c', script]);

test('make images builds the six images from the Debian mirror; their sizes', (t) => {
  t.diagnostic(`tools/images.sh took ${built.seconds} s${engine.started ? ' (dockerd started by this test)' : ''}`);
  return imageSizes(ALL).then((sizes) => {
    t.diagnostic(Object.entries(sizes).map(([n, mb]) => `${n} ${mb.toFixed(1)} MB`).join(', '));
    // debian:bookworm-slim is 74.8 MB; the daemons add their libraries.
    assert.ok(sizes[BASE] < 90, `${BASE}: ${sizes[BASE]} MB`);
    for (const n of [REDIS, HAPROXY, ...APP_IMAGES]) assert.ok(sizes[n] - sizes[BASE] < 40, `${n} adds ${(sizes[n] - sizes[BASE]).toFixed(1)} MB to the base`);
    // Debian's prometheus: two 50 MB Go binaries, its web UI's JavaScript libraries and perl (331 MB measured).
    assert.ok(sizes[PROMETHEUS] - sizes[BASE] < 360, `${PROMETHEUS} adds ${(sizes[PROMETHEUS] - sizes[BASE]).toFixed(1)} MB to the base`);
  });
});

test('the base image is Debian 12, slim, with the host\'s own Debian mirror as its apt source', async () => {
  const out = await inImage(BASE, '. /etc/os-release && echo $VERSION_CODENAME; find /usr/share/doc -type f ! -name copyright | wc -l; ls /usr/share/man | wc -l; ls /var/lib/apt/lists | wc -l; sed -n "s/^URIs: //p" /etc/apt/sources.list.d/debian.sources');
  const [codename, docs, man, lists, ...uris] = out.trim().split('\n');
  assert.equal(codename, 'bookworm');
  assert.deepEqual([docs, man, lists].map(Number), [0, 0, 0], 'no docs, man pages or package lists');
  // The mirror is read from the host at build time; compared here, written nowhere.
  const host = fs.readdirSync('/etc/apt/sources.list.d').filter((f) => f.endsWith('.sources') || f.endsWith('.list'))
    .map((f) => fs.readFileSync(path.join('/etc/apt/sources.list.d', f), 'utf8'))
    .concat(fs.existsSync('/etc/apt/sources.list') ? [fs.readFileSync('/etc/apt/sources.list', 'utf8')] : []).join('\n');
  assert.ok(uris.length >= 1);
  for (const u of uris) assert.ok(host.includes(u), 'each apt source of the image is one of the host\'s');
});

test('runtime images: no compiler or node, no CA certificate of the build, not root, the daemons start', async () => {
  for (const image of APP_IMAGES) {
    const out = await inImage(image, 'id -u; for c in gcc cc make node npm; do command -v $c; done; ls -A /tmp; ls -A /usr/local/share/ca-certificates 2>/dev/null; ls /etc/apt/apt.conf.d | grep -c extra-ca; true');
    assert.equal(out.trim(), '10001\n0', `${image}: uid 10001, nothing else`);
    const bin = image.includes('tickgw') ? 'tickgw' : 'tickgen';
    assert.match(await must('docker', ['run', '--rm', image, '--help']), new RegExp(`^Usage: ${bin} `, 'm'), `${image}: ${bin} --help runs (its libraries are there)`);
  }
});

test('the Redis image takes clients from other containers (protected mode off, as the official image); --protected-mode yes turns it on', async () => {
  const net = `ts-images-${process.pid}`;
  await must('docker', ['network', 'create', net]);
  cleanup.push(['docker', ['network', 'rm', net]]);
  const ping = async (name) => (await run('docker', ['run', '--rm', '--network', net, REDIS, 'redis-cli', '-h', name, 'PING'])).stdout.trim();
  for (const [mode, want] of [['default', 'PONG'], ['yes', /DENIED/]]) {
    const name = `${net}-redis-${mode}`;
    const args = ['redis-server', '--appendonly', 'yes', ...(mode === 'yes' ? ['--protected-mode', 'yes'] : [])];
    await must('docker', ['run', '-d', '--name', name, '--network', net, REDIS, ...args]);
    cleanup.push(['docker', ['rm', '-f', '-v', name]]);
    await waitFor(`${name} to answer`, async () => (await run('docker', ['exec', name, 'redis-cli', 'PING'])).stdout.trim() === 'PONG', { timeout: 15000, every: 200 });
    const got = await ping(name);
    if (typeof want === 'string') assert.equal(got, want, `${mode}: a client in another container`);
    else assert.match(got, want, `${mode}: a client in another container`);
    assert.equal((await must('docker', ['exec', name, 'id', '-un'])).trim(), 'redis');
    assert.equal((await must('docker', ['exec', name, 'pwd'])).trim(), '/data');
  }
});

test('the HAProxy image accepts deploy/haproxy/haproxy.cfg where compose mounts it, and runs as haproxy', async () => {
  const mount = ['-v', `${path.join(ROOT, 'deploy/haproxy/haproxy.cfg')}:/usr/local/etc/haproxy/haproxy.cfg:ro`];
  const r = await run('docker', ['run', '--rm', ...mount, HAPROXY, 'haproxy', '-c', '-f', '/usr/local/etc/haproxy/haproxy.cfg']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout + r.stderr, /Configuration file is valid/);
  assert.equal((await must('docker', ['run', '--rm', HAPROXY, 'id', '-un'])).trim(), 'haproxy');
});
