// tests/docker/engine.js — what the tests/docker files share: a Docker
// engine, the images, and a compose project on a free loopback port.
//
// The engine is the one answering on the default socket, or else a dockerd
// this file starts (as root, or through `sudo -n`; Debian's docker.io, which
// `make deps` installs) and stops by its PID when the test file ends. No
// engine is a failure, never a skip: useEngine() throws, saying why.
// One tests/docker file runs at a time on a machine (a lock file in
// the temp dir), so a run never stops an engine another run is using and
// two stacks never share the two cores.
//
// Containers are reached only through the load balancer's port, published
// on 127.0.0.1, and through `docker-compose exec`; never by container address.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, freePort, waitFor } from '../lib/procs.js';

/**
 * A dockerd started here. Not a tests/lib Proc: those are SIGKILLed when the
 * test file exits, and a SIGKILLed dockerd leaves containerd and the
 * containers running. This one gets SIGTERM (it stops them, then exits).
 */
class Dockerd {
  constructor(cmd, args) {
    this.output = '';
    this.child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (d) => { this.output = (this.output + d).slice(-65536); };
    this.child.stdout.on('data', keep);
    this.child.stderr.on('data', keep);
    this.running = true;
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => {
      this.running = false;
      this.status = signal || code;
      process.off('exit', this.onExit);
      resolve();
    }));
    this.onExit = () => this.child.kill('SIGTERM');
    process.on('exit', this.onExit);
  }

  tail(n = 3000) {
    return this.output.slice(-n);
  }

  async stop(timeout) {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), timeout);
    await this.exited;
    clearTimeout(t);
  }
}

export { ROOT };

/** The images `make images` builds; the compose stack runs on them. */
export const IMAGES = {
  TS_BASE_IMAGE: 'tickstream/debian:bookworm-slim',
  TS_REDIS_IMAGE: 'tickstream/redis:bookworm',
  TS_HAPROXY_IMAGE: 'tickstream/haproxy:bookworm',
  TS_PROMETHEUS_IMAGE: 'tickstream/prometheus:bookworm',
};
export const APP_IMAGES = ['tickstream/tickgen:latest', 'tickstream/tickgw:latest'];

/** The environment without a developer's TS_* and COMPOSE_* settings, plus `extra`. */
export function cleanEnv(extra = {}) {
  const env = Object.fromEntries(Object.entries(process.env)
    .filter(([k]) => !k.startsWith('TS_') && !k.startsWith('COMPOSE_') && !k.startsWith('DOCKER_')));
  return { ...env, ...extra };
}

/** Runs a command to completion without blocking the event loop: {code, stdout, stderr}. */
export function run(cmd, args, { cwd = ROOT, env = cleanEnv(), timeout = 120000, input } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    if (input !== undefined) child.stdin.end(input);
    const t = setTimeout(() => child.kill('SIGKILL'), timeout);
    child.on('error', (e) => { clearTimeout(t); reject(new Error(`${cmd}: ${e.message}`)); });
    child.on('close', (code, signal) => {
      clearTimeout(t);
      resolve({ code: signal ? `killed by ${signal}${signal === 'SIGKILL' ? ` (timeout ${timeout} ms?)` : ''}` : code, stdout, stderr });
    });
  });
}

/** Like run(), but throws with the output when the command fails. */
export async function must(cmd, args, opts) {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}:\n${(r.stdout + r.stderr).slice(-4000)}`);
  return r.stdout;
}

function which(name) {
  const r = spawnSync('sh', ['-c', `command -v ${name} || { [ -x /usr/sbin/${name} ] && echo /usr/sbin/${name}; }`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

const engineAnswers = async () => (await run('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 20000 })).code === 0;

// The lock is a file holding its owner's pid, put in place with link(2): it
// appears whole or not at all, so a waiter never reads an empty owner (the old
// directory-then-pid-file lock could be seen between its two steps, and an
// empty pid was never taken as stale: every later run waited its full timeout).
const LOCK = path.join(os.tmpdir(), 'tickstream-docker-tests.lck');

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

function lockOwner() {
  try {
    return Number(fs.readFileSync(LOCK, 'utf8')) || 0;
  } catch (e) {
    if (e.code === 'ENOENT') return 0;
    throw e;
  }
}

/** Takes the machine-wide lock of the tests/docker files (waits for another run to finish). */
async function lock(timeout) {
  const mine = `${LOCK}.${process.pid}`;
  fs.writeFileSync(mine, String(process.pid));
  try {
    await waitFor(`the tests/docker lock ${LOCK} (another run holds it)`, () => {
      try {
        fs.linkSync(mine, LOCK);
        return true;
      } catch (e) {
        if (e.code !== 'EEXIST') throw e;
        const owner = lockOwner();
        if (owner && !alive(owner) && lockOwner() === owner) fs.rmSync(LOCK, { force: true }); // its run died
        return false;
      }
    }, { timeout, every: 1000 });
  } finally {
    fs.rmSync(mine, { force: true });
  }
  process.on('exit', unlock);
}

function unlock() {
  if (lockOwner() === process.pid) fs.rmSync(LOCK, { force: true });
}

/**
 * A Docker engine for this test file. Returns {started, release()}: release
 * stops the dockerd this call started (and only that one) and drops the lock.
 */
export async function useEngine({ lockTimeout = 20 * 60000 } = {}) {
  if (!which('docker')) {
    throw new Error('NO DOCKER: there is no docker command; `make deps` installs Debian\'s docker.io');
  }
  await lock(lockTimeout);
  try {
    if (await engineAnswers()) return { started: false, release: async () => unlock() };
    const dockerd = which('dockerd');
    if (!dockerd) throw new Error('NO DOCKER ENGINE: no engine answers and there is no dockerd to start; `make deps` installs Debian\'s docker.io');
    let cmd = dockerd, args = ['--log-level', 'warn'];
    if (process.getuid() !== 0) {
      if (spawnSync('sudo', ['-n', 'true']).status !== 0) {
        throw new Error('NO DOCKER ENGINE: none answers, and dockerd needs root: run as root, give sudo without a password, or start one (sudo dockerd &)');
      }
      [cmd, args] = ['sudo', ['-n', dockerd, ...args]];
    }
    const proc = new Dockerd(cmd, args);
    try {
      const until = Date.now() + 60000;
      while (!(await engineAnswers())) {
        if (!proc.running) throw new Error(`dockerd exited (${proc.status}):\n${proc.tail(3000)}`);
        if (Date.now() > until) throw new Error(`dockerd did not answer within 60 s:\n${proc.tail(3000)}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    } catch (e) {
      await proc.stop(10000);
      throw new Error(`NO DOCKER ENGINE: could not start dockerd: ${e.message}`);
    }
    return {
      started: true,
      proc,
      release: async () => {
        // dockerd stops what still runs (nothing, once the stack is down) and exits.
        await proc.stop(30000);
        unlock();
      },
    };
  } catch (e) {
    unlock();
    throw e;
  }
}

/** `make images` (cached: seconds when nothing changed). */
export async function buildImages({ timeout = 15 * 60000 } = {}) {
  const t0 = Date.now();
  // Extra CA certificates: a developer's TS_EXTRA_CA_CERTS, else the script's default.
  const ca = process.env.TS_EXTRA_CA_CERTS ? { TS_EXTRA_CA_CERTS: process.env.TS_EXTRA_CA_CERTS } : {};
  const out = await must('tools/images.sh', [], { env: cleanEnv(ca), timeout });
  return { out, seconds: Math.round((Date.now() - t0) / 1000) };
}

/** Image sizes in MB, by name. */
export async function imageSizes(names) {
  const out = {};
  for (const n of names) out[n] = Number(await must('docker', ['image', 'inspect', '-f', '{{.Size}}', n])) / 1e6;
  return out;
}

/**
 * One docker-compose project of the repository's compose file: a unique
 * name, the load balancer published on 127.0.0.1 at a free port, the
 * images of `make images`, and `settings` (TS_* variables) on top.
 */
export class Stack {
  /** files: the compose files (-f), docker-compose.yml alone by default. */
  static async create(settings = {}, { dir = ROOT, files = [] } = {}) {
    const s = new Stack();
    s.dir = dir;
    s.files = files.flatMap((f) => ['-f', f]);
    s.project = `tsdocker${process.pid}`;
    s.port = await freePort();
    s.settings = { ...IMAGES, TS_PORT: String(s.port), TS_PUBLISH_ADDR: '127.0.0.1', ...settings };
    // An empty env file: a developer's .env cannot change what is tested.
    s.tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-docker-'));
    s.envFile = path.join(s.tmp, 'empty.env');
    fs.writeFileSync(s.envFile, '');
    return s;
  }

  get env() {
    return cleanEnv({ COMPOSE_PROJECT_NAME: this.project, ...this.settings });
  }

  compose(args, opts = {}) {
    return run('docker-compose', ['--env-file', this.envFile, ...this.files, ...args], { cwd: this.dir, env: this.env, timeout: 300000, ...opts });
  }

  async must(args, opts) {
    const r = await this.compose(args, opts);
    if (r.code !== 0) throw new Error(`docker-compose ${args.join(' ')} exited ${r.code}:\n${(r.stdout + r.stderr).slice(-4000)}`);
    return r.stdout;
  }

  /** Container IDs of a service, in replica order. */
  async containers(service) {
    const ids = (await this.must(['ps', '-q', service])).split('\n').filter(Boolean);
    const named = [];
    for (const id of ids) named.push({ id, name: (await must('docker', ['inspect', '-f', '{{.Name}}', id])).trim().slice(1) });
    return named.sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
  }

  /** {status, health, pid, restarts} of a container. */
  static async state(id) {
    const f = '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}} {{.State.Pid}} {{.RestartCount}}';
    const [status, health, pid, restarts] = (await must('docker', ['inspect', '-f', f, id])).trim().split(' ');
    return { status, health, pid: Number(pid), restarts: Number(restarts) };
  }

  /** Every container of the project running and, where it has a health check, healthy. */
  async healthy() {
    const ids = (await this.must(['ps', '-q'])).split('\n').filter(Boolean);
    for (const id of ids) {
      const s = await Stack.state(id);
      if (s.status !== 'running' || (s.health !== 'none' && s.health !== 'healthy')) return false;
    }
    return ids.length > 0;
  }

  /**
   * SIGKILL to the container's first process, from the host: the container
   * exits 137 and its restart policy starts it again. (`docker kill` would
   * not do: the engine takes it for a stop by hand and leaves it stopped.)
   */
  static async kill(id) {
    const { pid } = await Stack.state(id);
    if (!pid) return false;
    try {
      process.kill(pid, 'SIGKILL');
    } catch (e) {
      if (e.code !== 'EPERM') return false;
      await must('sudo', ['-n', 'kill', '-KILL', String(pid)]);
    }
    return true;
  }

  /** XRANGE of one instrument read with ts-cli (redis-cli as the read-only user) in the redis container, as [{t, p}]. */
  async xrange(sym, from = '-', to = '+', service = 'redis') {
    const out = await this.must(['exec', '-T', service, 'ts-cli', 'XRANGE', `ts:tick:{${sym}}`, from, to]);
    // Without a terminal redis-cli prints one field per line: id, "p", price.
    const lines = out.split('\n').filter((l) => l !== '');
    const series = [];
    if (lines.length % 3 !== 0) throw new Error(`XRANGE ${sym}: ${lines.length} lines, not entries of 3`);
    for (let i = 0; i < lines.length; i += 3) {
      const [t, seq] = lines[i].split('-');
      if (seq !== '0' || lines[i + 1] !== 'p') throw new Error(`XRANGE ${sym}: unexpected entry ${lines.slice(i, i + 3).join(' ')}`);
      series.push({ t: Number(t), p: Number(lines[i + 2]) });
    }
    return series;
  }

  /** redis-cli in the redis container as the read-only user tickgw (deploy/redis/ts-cli). */
  async redisCli(...args) {
    return (await this.must(['exec', '-T', 'redis', 'ts-cli', ...args])).trim();
  }

  async logs(service = '', tail = 40) {
    return (await this.compose(['logs', '--no-color', '--tail', String(tail), ...(service ? [service] : [])])).stdout;
  }

  /** docker-compose down -v: containers, network and the volume of this project. */
  async destroy() {
    const r = await this.compose(['down', '-v', '--remove-orphans', '--timeout', '5']);
    fs.rmSync(this.tmp, { recursive: true, force: true });
    return r;
  }
}

/** The end of a tests/docker file: its clients stopped, its stack down (volumes too), the engine released. */
export async function teardown({ clients = [], stack, engine }) {
  for (const c of clients) c.stop();
  if (stack) {
    const r = await stack.destroy();
    if (r.code !== 0) console.error(`docker-compose down -v failed:\n${r.stdout}${r.stderr}`);
  }
  await engine?.release();
}
