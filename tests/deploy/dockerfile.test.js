// tests/deploy/dockerfile.test.js — deploy/Dockerfile, statically (no engine
// here, so no image is built): its stages, and that the runtime stage's
// package list is exactly what the binaries built on this Debian 12 load.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { BUILD } from '../lib/procs.js';
import { read, run } from './util.js';

const DF = read('deploy/Dockerfile');
// Joined continuation lines, comments dropped.
const lines = DF.replace(/\\\n/g, ' ').split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));

/** Stages by name: {base, lines}. */
const stages = (() => {
  const out = {};
  let cur;
  for (const l of lines) {
    const m = /^FROM\s+(\S+)\s+AS\s+(\S+)/i.exec(l);
    if (m) out[m[2]] = cur = { base: m[1], lines: [] };
    else if (cur) cur.lines.push(l);
  }
  return out;
})();

const aptPackages = (stage) => {
  const run_ = stages[stage].lines.find((l) => /apt-get install/.test(l));
  const words = run_.split('apt-get install')[1].split('&&')[0].trim().split(/\s+/);
  return words.filter((w) => !w.startsWith('-'));
};

test('stages: build-base, npm, build, runtime, generator, gateway; Debian 12 slim underneath', () => {
  assert.deepEqual(Object.keys(stages), ['build-base', 'npm', 'build', 'runtime', 'generator', 'gateway']);
  assert.match(DF, /^ARG DEBIAN_IMAGE=debian:bookworm-slim$/m);
  assert.equal(stages['build-base'].base, '${DEBIAN_IMAGE}');
  assert.equal(stages.runtime.base, '${DEBIAN_IMAGE}');
  assert.equal(stages.generator.base, 'runtime');
  assert.equal(stages.gateway.base, 'runtime');
});

test('the build stage has the -dev packages and node, runs npm ci and make', () => {
  const pk = aptPackages('build-base');
  for (const p of ['gcc', 'make', 'pkg-config', 'libhiredis-dev', 'libevent-dev', 'libmsgpack-dev',
    'libh2o-evloop-dev', 'libwslay-dev', 'libssl-dev', 'zlib1g-dev', 'nodejs', 'npm']) {
    assert.ok(pk.includes(p), `build stage installs ${p}`);
  }
  assert.ok(stages.npm.lines.some((l) => /^RUN npm ci\b/.test(l)));
  assert.ok(stages.build.lines.some((l) => /^RUN make\b.*\ball\b/.test(l)));
});

test('the runtime stage has no compiler, no -dev package, no node', () => {
  for (const p of aptPackages('runtime')) {
    assert.doesNotMatch(p, /-dev$|^(gcc|make|cpp|nodejs|npm|pkg-config)$/, `runtime installs ${p}`);
  }
});

test('the images run as a non-root user, with health checks and tini as PID 1', () => {
  const user = stages.runtime.lines.find((l) => l.startsWith('USER '));
  assert.ok(user, 'runtime sets USER');
  assert.doesNotMatch(user, /^USER\s+(0|root)\b/);
  for (const s of ['generator', 'gateway']) {
    assert.ok(!stages[s].lines.some((l) => /^USER\s+(0|root)\b/.test(l)), `${s} does not go back to root`);
    const hc = stages[s].lines.find((l) => l.startsWith('HEALTHCHECK'));
    assert.match(hc, new RegExp(`tickstream-healthcheck", "${s}"`));
    const ep = stages[s].lines.find((l) => l.startsWith('ENTRYPOINT'));
    assert.match(ep, new RegExp(`"/usr/bin/tini", "--", "/usr/local/bin/${s === 'gateway' ? 'tickgw' : 'tickgen'}"`));
  }
  assert.ok(stages.gateway.lines.some((l) => /^COPY --from=build \/src\/webui /.test(l)), 'gateway image has webui/');
  assert.ok(stages.gateway.lines.some((l) => /TS_LISTEN=0\.0\.0\.0:8080/.test(l)));
  assert.ok(stages.runtime.lines.some((l) => /^COPY deploy\/healthcheck\.sh /.test(l)));
});

test('every runtime package exists in Debian 12', () => {
  for (const p of aptPackages('runtime')) {
    const r = run('apt-cache', ['show', '--no-all-versions', p]);
    assert.equal(r.code, 0, `apt-cache show ${p}: ${r.stderr}`);
  }
});

// What the daemons load must come from the runtime packages or their
// dependencies, and every runtime library package must be loaded by one of
// them; checked on the binaries `make` built here, on Debian 12.
const BINS = ['tickgen', 'tickgw'];
const loaded = {}; // bin -> Set of packages, filled by the tests below

/** The Debian packages owning the shared libraries `file` loads, or null for a sanitizer build. */
function loadedPackages(file) {
  const ldd = run('ldd', [file]);
  assert.equal(ldd.code, 0, ldd.stderr);
  // A SAN=1 build loads the sanitizer runtimes, which no image ships.
  if (/lib(asan|ubsan)\.so/.test(ldd.stdout)) return null;
  const libs = [...ldd.stdout.matchAll(/=>\s+(\/\S+)/g)].map((m) => m[1]);
  assert.ok(libs.length > 0);
  const out = new Map();
  for (const lib of libs) {
    // dpkg knows the path under /lib or /usr/lib (merged /usr): try both.
    const real = fs.realpathSync(lib);
    const cands = [lib, real, real.replace(/^\/usr\//, '/'), real.replace(/^\/lib/, '/usr/lib')];
    let pkg;
    for (const c of cands) {
      const r = run('dpkg', ['-S', c]);
      if (r.code === 0) { pkg = r.stdout.split(':')[0]; break; }
    }
    assert.ok(pkg, `no package owns ${lib}`);
    out.set(pkg, lib);
  }
  return out;
}

for (const bin of BINS) {
  const file = path.join(BUILD, bin);
  test(`the runtime packages provide every library ${bin} loads`, { skip: !fs.existsSync(file) && `${file} not built` }, (t) => {
    const pkgs = loadedPackages(file);
    if (!pkgs) return t.skip('sanitizer build');
    loaded[bin] = pkgs;
    const closure = new Set(run('apt-cache', ['depends', '--recurse', '--no-recommends', '--no-suggests',
      '--no-conflicts', '--no-breaks', '--no-replaces', '--no-enhances', ...aptPackages('runtime')])
      .stdout.split('\n').filter((l) => l && !l.startsWith(' ')).map((l) => l.trim()));
    for (const [pkg, lib] of pkgs) {
      assert.ok(closure.has(pkg), `${bin} loads ${lib} from ${pkg}, which the runtime stage does not install`);
    }
  });
}

test('the runtime stage installs no library that neither daemon loads', (t) => {
  if (!BINS.every((b) => loaded[b])) return t.skip('needs both binaries, built without sanitizers');
  const used = new Set(BINS.flatMap((b) => [...loaded[b].keys()]));
  const unused = aptPackages('runtime').filter((p) => p !== 'tini' && !used.has(p));
  assert.deepEqual(unused, [], 'runtime packages nothing loads');
});
