// tests/docker/readme.test.js — every command of README.md's "Docker
// Compose" section, pasted as is into a terminal: the block with
// `make images` first (the README says to run it first where Docker Hub
// cannot be reached, as here), then the main block, in one bash with -e
// under `script` (a terminal: `docker-compose exec` wants one).
//
// It runs in a copy of the repository's files (no build/, no node_modules/,
// no .env), so the images are built from the sources alone and the project
// name (the copy's folder) is unique. Only the load balancer's port is moved,
// to a free one on 127.0.0.1 (TS_PORT, TS_PUBLISH_ADDR in the environment).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../lib/procs.js';
import { IMAGES, ROOT, buildImages, cleanEnv, must, run, useEngine } from './engine.js';

let engine, dir, env;

/** The ```sh blocks of a README section, as lists of command lines. */
function shBlocks(file, heading) {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
  const start = text.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `${file} has the section ${heading}`);
  const level = heading.match(/^#+/)[0];
  const rest = text.slice(start + heading.length + 2);
  const end = rest.search(new RegExp(`^#{1,${level.length}} `, 'm'));
  const section = end < 0 ? rest : rest.slice(0, end);
  return [...section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1].split('\n').filter((l) => l.trim()));
}

before(async () => {
  engine = await useEngine();
  // Cached images make the README's own `make images` quick.
  await buildImages();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-readme-'));
  // The repository's files as git sees them (tracked, and new ones not ignored).
  await must('bash', ['-c', `set -o pipefail; git ls-files -z -co --exclude-standard | tar --null --ignore-failed-read -T - -cf - | tar -xf - -C '${dir}'`]);
  env = cleanEnv({ TS_PORT: String(await freePort()), TS_PUBLISH_ADDR: '127.0.0.1' });
});

after(async () => {
  if (dir) {
    // The README ends with `docker-compose down`, which keeps the volume; this removes it too.
    const r = await run('docker-compose', ['down', '-v', '--remove-orphans', '--timeout', '5'], { cwd: dir, env: { ...env, ...IMAGES } });
    if (r.code !== 0) console.error(`docker-compose down -v: ${r.stdout}${r.stderr}`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  await engine?.release();
});

test('README.md, Docker Compose: every command works as written (no Docker Hub here: the make images block first)', { timeout: 900000 }, async (t) => {
  const blocks = shBlocks('README.md', '### Docker Compose');
  assert.equal(blocks.length, 2, 'the main block and the one without Docker Hub');
  const prep = blocks.find((b) => b.some((l) => /^make images\b/.test(l)));
  const main = blocks.find((b) => b !== prep);
  assert.ok(prep && main);
  assert.ok(main.some((l) => /^docker-compose up -d --scale gateway=3\b/.test(l)));
  assert.ok(!fs.existsSync(path.join(dir, 'build')) && !fs.existsSync(path.join(dir, 'node_modules')), 'the copy has no build/ or node_modules/');

  // The commands go to a file beside the copy, not in it (the build context).
  const file = `${dir}.sh`;
  fs.writeFileSync(file, ['set -ev', ...prep, ...main].join('\n') + '\n');
  const t0 = Date.now();
  const r = await run('script', ['-qefc', `bash ${file}`, '/dev/null'], { cwd: dir, env, timeout: 840000 });
  fs.rmSync(file, { force: true });
  // A terminal's output: CR LF line ends, and the NUL docker-compose exec
  // sends at its start, echoed as ^@.
  const out = r.stdout.replace(/\r|\^@/g, '');
  t.diagnostic(`${prep.length + main.length} commands in ${Math.round((Date.now() - t0) / 1000)} s`);
  assert.equal(r.code, 0, `the README's commands failed:\n${out.slice(-6000)}${r.stderr}`);

  // What the commands showed: ticks of ticker_07, the history's settings.
  assert.match(out, /^\s*1\) 1\) "\d+-0"\n\s+2\) 1\) "p"$/m, 'XRANGE printed entries');
  assert.match(out, /"interval_ms"\n\s*\d+\) "1000"/, 'HGETALL ts:meta printed the settings');
  assert.match(out, /Creating \S+_gateway_3\b/, '--scale gateway=3 started two more gateways');
  // `down` kept the history's volume.
  const project = path.basename(dir).toLowerCase().replace(/[^-_a-z0-9]/g, '');
  const vols = await must('docker', ['volume', 'ls', '-q', '--filter', `name=${project}_redis-data`]);
  assert.equal(vols.trim(), `${project}_redis-data`, 'docker-compose down keeps the volume redis-data');
});
