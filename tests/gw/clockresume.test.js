// tests/gw/clockresume.test.js — the gateway paused (SIGSTOP, as a virtual
// machine is while its host suspends it) while its wall clock steps forward
// a day, then resumed: live ticks go on after every step.
//
// While the process is stopped, Redis replies and the monotonic tick's
// timerfd pile up and run in one loop turn. A reply that runs before the
// tick links the clients' zero-delay flush stamped with the stepped clock;
// the tick moved it a day further with the older timeouts, and every client
// of the worker got nothing for a day (gw_mtick.c). Which of the two runs
// first depends on when the stop falls: h2o runs the sockets of a turn
// latest ready first, so a reply that arrives after the tick's expiry
// runs first. With a tick every 20 ms, ticks every 40 ms and a 55 ms stop,
// the old gateway froze at the first step in six runs of six (with ticks
// every 10 ms, at one step in six); eight steps.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTicking } from '../lib/redis.js';
import { fakeClock, waitFor } from '../lib/procs.js';
import { startGateway, WsClient, stopStack } from '../lib/gateway.js';

const SYMS = Array.from({ length: 20 }, (_, i) => `ticker_${String(i).padStart(2, '0')}`);
let redis, client, gen, gw, clock;
const clients = [];

before(async () => {
  ({ redis, client, gen } = await startTicking(['--interval-ms', '40', '--reset', '--instruments', '20', '--rollups', 'off'], 'ticker_00', 5, 15000));
  clock = fakeClock('+0');
  gw = await startGateway(redis.url, ['--threads', '1'], { env: clock.env });
});

after(async () => {
  await stopStack({ clients, gateways: [gw], procs: [gen], client, redis });
  clock?.remove();
});

test('wall clock stepped forward a day while the gateway was stopped, eight times: live ticks go on after each', { timeout: 120000 }, async () => {
  const c = await WsClient.open(gw.ws);
  clients.push(c);
  for (const s of SYMS) c.sub(s, Date.now() - 1000);
  await c.waitLive('ticker_00', 5);
  const steps = () => (gw.output.match(/the wall clock stepped forward by \d+ ms/g) ?? []).length;
  for (let k = 1; k <= 8; k++) {
    gw.signal_('SIGSTOP');
    clock.set(`+${k * 86400}`);
    // the pause itself: the replies and the tick's expiry wait for one turn
    await new Promise((r) => setTimeout(r, 55));
    gw.signal_('SIGCONT');
    await waitFor(`step ${k} logged`, () => steps() >= k, { timeout: 5000 });
    const n = c.msgs.length;
    await waitFor(`messages after step ${k} (the worker's flush was moved with the step)`, () => c.msgs.length >= n + 20, { timeout: 3000 });
  }
  assert.equal(steps(), 8, 'one warning per step');
  assert.equal(c.ws.readyState, 1, 'still connected');
});
