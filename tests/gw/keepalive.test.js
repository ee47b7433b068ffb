// tests/gw/keepalive.test.js — WebSocket keepalive: a client that answers
// pings stays connected while it only listens; one that does not answer is
// dropped after twice --ping-interval and counted in /metrics.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startTicking } from '../lib/redis.js';
import { waitFor } from '../lib/procs.js';
import { startGateway, WsClient, metrics, stopStack } from '../lib/gateway.js';

const PING_MS = 300;
let redis, client, gen, gw;

before(async () => {
  ({ redis, client, gen } = await startTicking(['--interval-ms', '50', '--reset'], 'ticker_00', 5, 15000));
  gw = await startGateway(redis.url, ['--ping-interval', `${PING_MS}ms`]);
});

after(() => stopStack({ gateways: [gw], procs: [gen], client, redis }));

test('a listening client that answers pings stays; a silent one is dropped', { timeout: 30000 }, async () => {
  const good = await WsClient.open(gw.ws);
  let pings = 0;
  good.ws.on('ping', () => pings++);
  good.sub('ticker_00', Date.now());

  // autoPong off: this peer looks alive to TCP but never answers.
  const mute = new WebSocket(gw.ws, { autoPong: false });
  mute.on('error', () => {});
  const muteClosed = new Promise((resolve) => mute.on('close', (code) => resolve(code)));
  await new Promise((resolve, reject) => { mute.once('open', resolve); mute.once('error', reject); });
  const before = (await metrics(gw)).tickgw_ping_timeouts_total;
  const opened = Date.now();

  const code = await Promise.race([
    muteClosed,
    new Promise((_, reject) => setTimeout(() => reject(new Error('silent client not dropped within 10 s')), 10000)),
  ]);
  const after = Date.now() - opened;
  assert.equal(code, 1006, 'dropped without a close frame (the peer is presumed gone)');
  assert.ok(after >= 2 * PING_MS - 50, `dropped after ${after} ms, before twice the ping interval`);
  await waitFor('tickgw_ping_timeouts_total to grow', async () =>
    (await metrics(gw)).tickgw_ping_timeouts_total >= before + 1, { timeout: 5000 });

  // The good client only listened all along (no message sent since its sub),
  // was pinged, answered, and still gets live ticks.
  assert.ok(pings >= 1, `the listening client got ${pings} pings`);
  assert.equal(good.ws.readyState, WebSocket.OPEN, 'the client that answers pings is still connected');
  const n = good.series('ticker_00').live;
  await good.waitLive('ticker_00', n + 3, 5000);
  await good.close();
});
