// tests/gw/utf8.test.js — RFC 6455 8.1: a text message from a client whose
// payload is not valid UTF-8 fails the connection with 1007, whether it came
// plain (wslay checks it) or compressed (permessage-deflate: wslay lets RSV1
// frames through unchecked; gw_wsconn.c inflates, then checks), sent by
// npm ws as any browser's socket would; the gateway serves on, the same
// client's valid JSON in text frames is answered as before, and a binary
// (msgpack) message is never checked for UTF-8.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { encode } from '@msgpack/msgpack';
import { startTicking } from '../lib/redis.js';
import { startGateway, WsClient, stopStack } from '../lib/gateway.js';

const SYM = 'ticker_01';
let redis, client, gen, gw;
const clients = [];

before(async () => {
  ({ redis, client, gen } = await startTicking(['--interval-ms', '20', '--instruments', '2', '--reset'], SYM, 50, 30000));
  gw = await startGateway(redis.url);
});

after(async () => {
  await stopStack({ clients, gateways: [gw], procs: [gen], client, redis });
});

async function open(opts) {
  const c = await WsClient.open(gw.ws, opts);
  clients.push(c);
  return c;
}

/** Resolves to the close, or rejects after `ms` with what came instead. */
function closeWithin(c, ms) {
  return Promise.race([c.closed, new Promise((_, reject) => setTimeout(() => reject(new Error(
    `no close within ${ms} ms; messages: ${JSON.stringify(c.msgs).slice(0, 300)}`)), ms))]);
}

// A sub whose sym holds a lone continuation byte, a JSON request otherwise.
const bad = (pad = 0) => Buffer.concat([Buffer.from(`{"op":"sub","since":0,"pad":"${'x'.repeat(pad)}","sym":"ticker_`),
  Buffer.from([0x80]), Buffer.from('01"}')]);

const cases = [
  ['a lone continuation byte', bad()],
  ['an overlong "/" (C0 AF)', Buffer.from([0x22, 0xc0, 0xaf, 0x22])],
  ['a surrogate U+D800 (ED A0 80)', Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22])],
  ['past U+10FFFF (F4 90 80 80)', Buffer.from([0x22, 0xf4, 0x90, 0x80, 0x80, 0x22])],
  ['a sequence cut short at the end (E2 82)', Buffer.from([0x22, 0x22, 0xe2, 0x82])],
];

test('invalid UTF-8 in an uncompressed text message closes 1007; the gateway serves on', { timeout: 30000 }, async () => {
  for (const [what, payload] of cases) {
    const c = await open({ json: true, deflate: false });
    c.sendRaw(payload, false);
    const { code } = await closeWithin(c, 5000);
    assert.equal(code, 1007, `${what}: close code`); // wslay's own check, no reason given
  }
  // The gateway is up and a client sending valid UTF-8 (also past ASCII) is served as before.
  const ok = await open({ json: true, deflate: false });
  ok.sendRaw(Buffer.from('{"op":"sub","sym":"ticker_01","since":0,"note":"€ 𝄞 é"}'), false);
  await ok.waitLive(SYM, 3);
  // Binary messages are msgpack, not text: a sym that is not UTF-8 there is an unknown sym, not a 1007.
  const bin = await open({ deflate: false });
  const req = Buffer.from(encode({ op: 'sub', sym: 'tX', since: 0 }));
  req[req.indexOf('tX') + 1] = 0xff; // the str's bytes: 74 ff
  bin.sendRaw(req, true);
  const err = await bin.next((m) => m.op === 'err', { what: 'an err reply' });
  assert.equal(err.code, 'unknown_sym');
  bin.sub(SYM, 0);
  await bin.waitLive(SYM, 2);
  assert.ok(gw.running, 'the gateway is still running');
});

test('invalid UTF-8 in a compressed (permessage-deflate) text message closes 1007', { timeout: 30000 }, async () => {
  const c = await open({ json: true, deflate: { threshold: 0 } });
  assert.match(c.ws.extensions, /permessage-deflate/, 'deflate negotiated');
  c.sendRaw(bad(2000), false); // 2 KB: compressed by any threshold a client uses
  const { code, reason } = await closeWithin(c, 5000);
  // Before the check the gateway parsed it, and its unknown_sym error echoed
  // the bytes back in a text frame: ws failed the connection itself (1006).
  assert.equal(code, 1007, 'the gateway closes 1007');
  assert.equal(reason, 'invalid UTF-8');
  assert.equal(c.msgs.length, 0, 'no reply to it');
  const ok = await open({ json: true, deflate: { threshold: 0 } });
  ok.sendRaw(Buffer.from(`{"op":"sub","sym":"ticker_01","since":0,"pad":"${'é'.repeat(1000)}"}`), false);
  await ok.waitLive(SYM, 3);
  assert.ok(gw.running, 'the gateway is still running');
});
