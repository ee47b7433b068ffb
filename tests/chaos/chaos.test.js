// tests/chaos/chaos.test.js — a short run of the chaos (tests/chaos/chaos.js)
// inside `make test`: 100 resuming clients, 40 s of random SIGKILLs of Redis,
// the generator, either gateway or HAProxy; every series equals XRANGE.
// `make chaos` runs the same for longer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { BUILD } from '../lib/procs.js';
import { runChaos } from './chaos.js';

const skip = !['tickgen', 'tickgw'].every((b) => fs.existsSync(path.join(BUILD, b))) && `needs ${BUILD}/tickgen and tickgw`;

test('chaos: 40 s of kill -9 on every part; every client series equals XRANGE', { skip, timeout: 240000 }, async (t) => {
  const s = await runChaos({ seconds: 40, clients: 100, everyMs: 3000, log: (m) => t.diagnostic(m) });
  assert.ok(s.total >= 6, `${s.total} faults injected`);
  assert.ok(s.reconnects > 0, 'clients had to reconnect');
  assert.ok(s.ticks > 100 * 100, `${s.ticks} ticks checked`);
});
