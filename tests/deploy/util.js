// tests/deploy/util.js — helpers of the deploy checks: run a tool, read the
// compose file the way docker-compose itself normalises it.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../lib/procs.js';

export { ROOT };

/** Runs a command to completion (bounded), returns {code, stdout, stderr}. */
export function run(cmd, args, { cwd = ROOT, env = {}, input, timeout = 60000 } = {}) {
  const r = spawnSync(cmd, args, { cwd, env: { ...cleanEnv(), ...env }, input, timeout, encoding: 'utf8' });
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The environment without TS_* settings, so a developer's shell cannot change what is checked. */
function cleanEnv() {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TS_') || k === 'TS_BUILD'));
}

export function hasCommand(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).status === 0;
}

/** `docker-compose config` of a compose file, with an empty .env so a developer's .env cannot change it. */
export function composeConfig(file = path.join(ROOT, 'docker-compose.yml'), extra = []) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-compose-'));
  const envFile = path.join(dir, 'empty.env');
  fs.writeFileSync(envFile, '');
  try {
    return run('docker-compose', ['--env-file', envFile, '-f', file, '--project-directory', ROOT, 'config', ...extra]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** YAML → object through python3-yaml (a dependency of Debian's docker-compose; npm has no YAML parser installed). */
export function parseYaml(text) {
  const r = run('python3', ['-c', 'import sys, json, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)'], { input: text });
  if (r.code !== 0) throw new Error(`YAML parse failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

export function read(rel) {
  return fs.readFileSync(path.join(ROOT, rel), 'utf8');
}

/** Writes `text` to a fresh temp file named `name`; returns its path and a cleanup. */
export function tempFile(name, text) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-deploy-'));
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return { dir, file, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
