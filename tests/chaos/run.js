// tests/chaos/run.js — `make chaos`: the chaos of tests/chaos/chaos.js for
// CHAOS_SECONDS (default 300) with CHAOS_CLIENTS (100) clients, a fault every
// CHAOS_EVERY_MS (3000) ± half; CHAOS_SEED replays a run. Exit 1 on a broken series.
import { runChaos } from './chaos.js';

const num = (v, d) => (v === undefined || v === '' ? d : Number(v));
try {
  await runChaos({
    seconds: num(process.env.CHAOS_SECONDS, 300),
    clients: num(process.env.CHAOS_CLIENTS, 100),
    everyMs: num(process.env.CHAOS_EVERY_MS, 3000),
    seed: num(process.env.CHAOS_SEED, Date.now()),
    log: (s) => console.log(s),
  });
  process.exit(0);
} catch (e) {
  console.error(`chaos: FAILED: ${e.message}`);
  process.exit(1);
}
