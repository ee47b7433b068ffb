// tests/lib/procs.js — start and stop the real processes a test needs.
//
// Every process is started on loopback with a free port, its output kept in
// memory (and shown when a test fails), and stopped by its own PID only.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BUILD = path.resolve(ROOT, process.env.TS_BUILD || 'build');

/** A free TCP port on 127.0.0.1 (bound, read, released). */
export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Polls `cond` (sync or async) every `every` ms until it returns a truthy
 * value, which is returned; throws `what` after `timeout` ms.
 */
export async function waitFor(what, cond, { timeout = 10000, every = 20 } = {}) {
  const until = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const v = await cond();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > until) {
      throw new Error(`timed out after ${timeout} ms waiting for ${what}` + (last ? `: ${last.message}` : ''));
    }
    await new Promise((r) => setTimeout(r, every));
  }
}

// Every process a test file started, so none outlives it: if a test fails
// before stopping one, it is killed when the test file's process exits.
const live = new Set();
process.on('exit', () => {
  for (const p of live) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** A child process with its combined output and an exit promise. */
export class Proc {
  /** nofile: raise the open-files limit to that (or the hard limit) first; the PID stays the program's (exec). */
  constructor(name, cmd, args, { env = {}, cwd = ROOT, nofile = 0 } = {}) {
    this.name = name;
    this.output = '';
    this.exitCode = undefined;
    this.signal = undefined;
    if (nofile) {
      args = ['-c', `ulimit -n ${nofile} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$0" "$@"`, cmd, ...args];
      cmd = '/bin/sh';
    }
    this.child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.pid = this.child.pid;
    const keep = (d) => {
      this.output += d.toString();
      if (this.output.length > 1 << 20) this.output = this.output.slice(-(1 << 19));
    };
    this.child.stdout.on('data', keep);
    this.child.stderr.on('data', keep);
    live.add(this);
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        live.delete(this);
        this.exitCode = code;
        this.signal = signal;
        resolve({ code, signal });
      });
    });
  }

  get running() {
    return this.exitCode === undefined && this.signal === undefined;
  }

  signal_(sig) {
    if (this.running) process.kill(this.pid, sig);
  }

  /** Sends `sig` and waits for the exit (SIGKILL after `timeout` ms). */
  async stop(sig = 'SIGTERM', timeout = 5000) {
    if (!this.running) return this.exited;
    this.signal_(sig);
    const t = setTimeout(() => this.signal_('SIGKILL'), timeout);
    const r = await this.exited;
    clearTimeout(t);
    this.checkSanitizers();
    return r;
  }

  /** Throws if ASan/UBSan/LSan reported anything (make test SAN=1). */
  checkSanitizers() {
    const m = /(ERROR: (Address|Leak)Sanitizer|runtime error:)/.exec(this.output);
    if (m) throw new Error(`${this.name} (pid ${this.pid}) sanitizer report:\n${this.output.slice(Math.max(0, m.index - 200), m.index + 3000)}`);
  }

  /** Waits until the output matches `re`. */
  async waitOutput(re, timeout = 10000) {
    return waitFor(`${this.name} output ${re}`, () => re.test(this.output) || (!this.running && Promise.reject(new Error(`${this.name} exited: ${this.tail()}`))), { timeout });
  }

  tail(n = 2000) {
    return this.output.slice(-n);
  }
}

/** Starts build/tickgen against `redisUrl` with extra flags. */
export function startGenerator(redisUrl, args = [], opts = {}) {
  return new Proc('tickgen', path.join(BUILD, 'tickgen'), ['--redis', redisUrl, ...args], opts);
}

/**
 * A wall clock a test can step for the processes it starts (libfaketime,
 * Debian's faketime package): `env` goes to the process, `set('+3600')` or
 * `set('-10')` moves its clock by that many seconds from real time, at
 * once (FAKETIME_NO_CACHE). Monotonic clocks stay real, as after a
 * step of the system clock. `remove()` deletes the offset file.
 */
export function fakeClock(offset = '+0') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-faketime-'));
  const file = path.join(dir, 'offset');
  fs.writeFileSync(file, `${offset}\n`);
  return {
    env: {
      LD_PRELOAD: '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1',
      FAKETIME_TIMESTAMP_FILE: file, FAKETIME_NO_CACHE: '1', FAKETIME_DONT_FAKE_MONOTONIC: '1',
      // A sanitizer build (make test SAN=1) refuses to start with a library
      // preloaded ahead of its runtime; libfaketime only wraps time calls.
      ASAN_OPTIONS: [process.env.ASAN_OPTIONS, 'verify_asan_link_order=0'].filter(Boolean).join(':'),
    },
    set(to) {
      fs.writeFileSync(file, `${to}\n`);
    },
    remove() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
