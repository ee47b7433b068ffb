// tests/gw/nofile.test.js — tickgw and the open-files limit: a soft limit
// below what --max-conns needs is raised toward it (as Redis does for
// maxclients), so every connection under the cap is accepted; when even the
// hard limit is too low the cap is lowered to fit, so the connection past it
// gets a 503 instead of waiting in the backlog while accept() fails (EMFILE).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startTicking } from '../lib/redis.js';
import { BUILD, Proc, freePort, waitFor } from '../lib/procs.js';
import { waitReady, WsClient, metrics, stopStack } from '../lib/gateway.js';

let redis, client, gen;
const gateways = [], clients = [];

before(async () => {
  ({ redis, client, gen } = await startTicking(['--interval-ms', '1000', '--reset', '--instruments', '4', '--rollups', 'off'], 'ticker_00', 1, 15000));
});

after(() => stopStack({ clients, gateways, procs: [gen], client, redis }));

/** tickgw --threads 1 --max-conns MAX under `ulimit LIMITS` (a bash ulimit argument list). */
async function gateway(limits, max) {
  const port = await freePort();
  const gw = new Proc('tickgw', 'bash', ['-c', `ulimit ${limits} && exec "$0" "$@"`, path.join(BUILD, 'tickgw'),
    '--listen', `127.0.0.1:${port}`, '--redis', redis.url, '--threads', '1', '--max-conns', String(max)]);
  gateways.push(gw);
  gw.http = `http://127.0.0.1:${port}`;
  gw.ws = `ws://127.0.0.1:${port}/ws`;
  await waitReady(gw);
  return gw;
}

async function openMany(gw, n) {
  const mine = [];
  for (let i = 0; i < n; i++) {
    let timer;
    const late = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`connection ${i + 1} of ${n} not open within 5 s (accept() out of descriptors?)`)), 5000); });
    const c = await Promise.race([WsClient.open(gw.ws), late]).finally(() => clearTimeout(timer));
    clients.push(c);
    mine.push(c);
  }
  return mine;
}

test('a soft limit of 200 under a higher hard limit is raised: 300 connections of --max-conns 1000 all accepted', { timeout: 60000 }, async () => {
  const gw = await gateway('-Sn 200', 1000);
  await gw.waitOutput(/open files limit raised from 200 to 1072 for --max-conns 1000/, 5000);
  const mine = await openMany(gw, 300);
  await waitFor('300 connections counted', async () => (await metrics(gw)).tickgw_connections === 300, { timeout: 10000 });
  for (const c of mine) await c.close();
});

test('a hard limit of 200: --max-conns lowered to fit, and the connection past it gets a 503', { timeout: 60000 }, async () => {
  const gw = await gateway('-n 200', 1000);
  // 200 - (64 + 8 × 1 thread) = 128
  await gw.waitOutput(/open files limit 200 \(hard limit 200\) holds 128 connections .*--max-conns lowered from 1000 to 128/, 5000);
  const mine = await openMany(gw, 128);
  await waitFor('128 connections counted', async () => (await metrics(gw)).tickgw_connections === 128, { timeout: 10000 });
  await assert.rejects(WsClient.open(gw.ws), /503/, 'the 129th connection is refused with 503');
  for (const c of mine) await c.close();
});
