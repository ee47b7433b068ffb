// tests/gw/deflate.test.js — WebSocket permessage-deflate (RFC 7692) against
// real redis-server, tickgen and tickgw: the negotiation answer for each kind
// of offer, the same catch-up and live ticks with and without compression
// (npm ws both ways, msgpack and JSON, against XRANGE), compressed frames on
// the wire (a raw socket reads RSV1: long messages compressed, ticks not),
// compressed requests answered, and a deflate bomb or broken deflate data
// closing only its own connection (1009 / 1007) while the gateway serves on.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import zlib from 'node:zlib';
import crypto from 'node:crypto';
import { encode, decode } from '@msgpack/msgpack';
import { startTicking, readStream, checkSeries } from '../lib/redis.js';
import { waitFor } from '../lib/procs.js';
import { startGateway, WsClient, stopStack } from '../lib/gateway.js';
import { maskedFrame, takeFrame } from '../lib/wsframe.js';

const DT = 4;
const SYM = 'ticker_01';
const ANSWER = 'permessage-deflate; server_no_context_takeover; client_no_context_takeover';
let redis, client, gen, gw, gwOff;
const clients = [];
const sockets = [];

before(async () => {
  ({ redis, client, gen } = await startTicking(['--interval-ms', String(DT), '--instruments', '4', '--reset'], SYM, 2000, 30000));
  gw = await startGateway(redis.url, ['--max-msg', '512']);
  gwOff = await startGateway(redis.url, ['--ws-deflate=0']);
});

after(async () => {
  for (const s of sockets) s.destroy();
  await stopStack({ clients, gateways: [gw, gwOff], procs: [gen], client, redis });
});

/** The upgrade response's status and Sec-WebSocket-Extensions for an offer (undefined: none sent). */
function upgrade(g, offer) {
  return new Promise((resolve, reject) => {
    const headers = { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Key': crypto.randomBytes(16).toString('base64') };
    if (offer !== undefined) headers['Sec-WebSocket-Extensions'] = offer;
    const req = http.request({ host: '127.0.0.1', port: g.port, path: '/ws', headers });
    req.on('upgrade', (res, sock) => { sock.destroy(); resolve({ status: res.statusCode, ext: res.headers['sec-websocket-extensions'] }); });
    req.on('response', (res) => resolve({ status: res.statusCode, ext: res.headers['sec-websocket-extensions'] }));
    req.on('error', reject);
    req.end();
  });
}

test('the answer to each kind of offer', { timeout: 20000 }, async () => {
  const cases = [
    ['permessage-deflate', ANSWER],
    ['permessage-deflate; client_max_window_bits', ANSWER], // what Chromium and ws offer
    ['permessage-deflate; client_max_window_bits=10; client_no_context_takeover', ANSWER],
    ['permessage-deflate; server_max_window_bits=15', `${ANSWER}; server_max_window_bits=15`],
    ['permessage-deflate; server_max_window_bits="15"; server_no_context_takeover', `${ANSWER}; server_max_window_bits=15`],
    ['permessage-deflate; server_max_window_bits=10, permessage-deflate', ANSWER], // first declined, second taken
    ['x-webkit-deflate-frame, permessage-deflate ; client_max_window_bits', ANSWER],
    ['permessage-deflate; server_max_window_bits=10', undefined], // our window is 15 bits
    ['permessage-deflate; client_max_window_bits=16', undefined],
    ['permessage-deflate; server_no_context_takeover; server_no_context_takeover', undefined],
    ['permessage-deflate; mystery', undefined],
    ['permessage-deflate; client_no_context_takeover=1', undefined],
    ['permessage-deflate; =', undefined], // malformed: no compression, the upgrade goes on
    ['"permessage-deflate"', undefined],
    ['x-webkit-deflate-frame', undefined],
    [undefined, undefined],
  ];
  for (const [offer, want] of cases) {
    const r = await upgrade(gw, offer);
    assert.equal(r.status, 101, `offer ${offer}: 101`);
    assert.equal(r.ext, want, `offer ${offer}`);
  }
  const off = await upgrade(gwOff, 'permessage-deflate; client_max_window_bits');
  assert.equal(off.status, 101);
  assert.equal(off.ext, undefined, '--ws-deflate=0: no extension');
});

/** The client's series of SYM equals XRANGE over (0, its last t]. */
async function assertExact(c, what) {
  await c.waitLive(SYM, 50);
  const s = c.series(SYM);
  assert.equal(checkSeries(s, DT), null, `${what}: ${checkSeries(s, DT)}`);
  const want = await readStream(client, SYM, '-', String(s[s.length - 1].t));
  assert.equal(s.length, want.length, `${what}: ${s.length} ticks, XRANGE has ${want.length}`);
  assert.deepEqual([...s], want, what);
  return s;
}

test('the same catch-up and live ticks with and without deflate, msgpack and JSON', { timeout: 60000 }, async () => {
  const kinds = [[false, false], [true, false], [false, true], [true, true]];
  const cs = [];
  for (const [deflate, json] of kinds) {
    const c = await WsClient.open(gw.ws, { deflate, json });
    clients.push(c);
    cs.push(c);
    assert.equal(c.ws.extensions, deflate ? 'permessage-deflate' : '', `negotiated (deflate ${deflate})`);
    c.sub(SYM, 0);
  }
  for (let i = 0; i < cs.length; i++) {
    const [deflate, json] = kinds[i];
    const what = `deflate ${deflate}, ${json ? 'JSON' : 'msgpack'}`;
    const s = await assertExact(cs[i], what);
    assert.ok(s.length >= 2000, `${what}: ${s.length} ticks`);
  }
  // Compressed on the wire: the catch-up's frames in far fewer bytes. Counted
  // frame by frame up to the final hist: the bytes a client has read when it
  // sees its final hist also hold the live ticks read along with it, as many
  // as a stall of this process lets pile up (under load: 1,587 bytes against
  // 2,318, where the catch-up alone is under half).
  const plain = await catchupBytes(undefined), packed = await catchupBytes('permessage-deflate');
  assert.ok(packed < plain * 0.6, `the catch-up took ${packed} bytes of frames compressed, ${plain} plain`);
});

/** A raw WebSocket client: upgrade with `offer` (undefined: none), masked frames out, frames in as {rsv1, opcode, payload}. */
async function rawOpen(g, offer) {
  const sock = net.connect(g.port, '127.0.0.1');
  sockets.push(sock);
  await new Promise((resolve, reject) => { sock.once('connect', resolve); sock.once('error', reject); });
  const key = crypto.randomBytes(16).toString('base64');
  sock.write(`GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${g.port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
    `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${key}\r\n` +
    `${offer === undefined ? '' : `Sec-WebSocket-Extensions: ${offer}\r\n`}\r\n`);
  const r = { sock, frames: [], head: null, ended: false };
  let buf = Buffer.alloc(0);
  sock.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    if (r.head === null) {
      const i = buf.indexOf('\r\n\r\n');
      if (i < 0) return;
      r.head = buf.subarray(0, i).toString();
      buf = buf.subarray(i + 4);
    }
    for (let f; (f = takeFrame(buf)) !== null; buf = f.rest) r.frames.push(f);
  });
  sock.on('close', () => { r.ended = true; });
  sock.on('error', () => {});
  await waitFor('101 response', () => r.head !== null);
  assert.match(r.head, /^HTTP\/1\.1 101/);
  return r;
}

/** RFC 7692 7.2.1: raw deflate, sync flush, the 00 00 ff ff tail removed. */
const compress = (b) => { const z = zlib.deflateRawSync(b, { finishFlush: zlib.constants.Z_SYNC_FLUSH }); return z.subarray(0, z.length - 4); };
const inflate = (b) => zlib.inflateRawSync(Buffer.concat([b, Buffer.from([0, 0, 0xff, 0xff])]), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
const message = (f) => {
  if (f.opcode === 8) throw new Error(`closed ${f.payload.readUInt16BE(0)} ${f.payload.subarray(2)}`);
  return decode(f.rsv1 ? inflate(f.payload) : f.payload);
};

/** The payload bytes of a catch-up of SYM since 0, its frames up to and including the final hist, for a raw client offering `offer`. */
async function catchupBytes(offer) {
  const r = await rawOpen(gw, offer);
  r.sock.write(maskedFrame(Buffer.from(encode({ op: 'sub', sym: SYM, since: 0 }))));
  let bytes = -1;
  await waitFor(`the final hist (offer ${offer})`, () => {
    let sum = 0;
    for (const f of r.frames) {
      sum += f.payload.length;
      const m = message(f);
      if (m.op === 'hist' && !m.more) {
        bytes = sum;
        return true;
      }
    }
    return false;
  }, { timeout: 15000 });
  r.sock.destroy();
  return bytes;
}

test('on the wire: long messages compressed (RSV1), ticks not; a compressed request is answered', { timeout: 30000 }, async () => {
  const r = await rawOpen(gw, 'permessage-deflate; client_max_window_bits');
  assert.match(r.head, /sec-websocket-extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover/i);
  // The sub itself goes compressed, as a browser sends it.
  r.sock.write(maskedFrame(compress(Buffer.from(encode({ op: 'sub', sym: SYM, since: 0 }))), { rsv1: true }));
  await waitFor('20 live ticks', () => r.frames.filter((f) => message(f).op === 'tick').length >= 20, { timeout: 15000 });
  const big = r.frames.filter((f) => f.rsv1);
  assert.ok(big.length >= 1, 'some frames are compressed');
  for (const f of r.frames) {
    const plain = f.rsv1 ? inflate(f.payload) : f.payload;
    if (f.rsv1) assert.ok(plain.length >= 1024 && f.payload.length < plain.length, `compressed ${plain.length} to ${f.payload.length}`);
    else assert.ok(plain.length < 1024, `a ${plain.length}-byte message went out uncompressed`);
  }
  const series = [];
  for (const f of r.frames) {
    const m = message(f);
    if (m.op === 'hist') m.p.forEach((p, i) => series.push({ t: m.t0 + i * m.dt, p }));
    else if (m.op === 'tick') series.push({ t: m.t, p: m.p });
  }
  const want = await readStream(client, SYM, '-', String(series[series.length - 1].t));
  assert.deepEqual(series, want, 'the raw client decodes the same series as XRANGE');
  r.sock.destroy();
});

/** Waits for the close frame; returns its code. */
async function closeCode(r) {
  await waitFor('a close frame', () => r.frames.some((f) => f.opcode === 8) || r.ended, { timeout: 10000 });
  const f = r.frames.find((x) => x.opcode === 8);
  assert.ok(f, 'a close frame came before the socket ended');
  return f.payload.readUInt16BE(0);
}

test('a deflate bomb closes 1009, broken deflate 1007; the gateway serves on', { timeout: 30000 }, async () => {
  // 64 KB of zeros compresses to ~70 bytes: far under --max-msg 512 on the
  // wire, 128 times over it inflated.
  const bomb = compress(Buffer.alloc(64 * 1024));
  assert.ok(bomb.length < 512, `the bomb is ${bomb.length} bytes on the wire`);
  const a = await rawOpen(gw, 'permessage-deflate');
  a.sock.write(maskedFrame(bomb, { rsv1: true }));
  assert.equal(await closeCode(a), 1009, 'an inflated request over --max-msg: 1009, as an oversized frame');
  const b = await rawOpen(gw, 'permessage-deflate');
  b.sock.write(maskedFrame(Buffer.from([0xff, 0xfe, 0xfd, 0xfc]), { rsv1: true }));
  assert.equal(await closeCode(b), 1007, 'data that does not inflate: 1007');
  // A request cut short: inflate would take the appended 00 00 ff ff as more
  // of its last block and hand a prefix to the parser (it answered
  // bad_request and stayed open).
  const cut = compress(Buffer.from(encode({ op: 'sub', sym: SYM, since: Date.now() })));
  const t = await rawOpen(gw, 'permessage-deflate');
  t.sock.write(maskedFrame(cut.subarray(0, cut.length - 3), { rsv1: true }));
  assert.equal(await closeCode(t), 1007, 'a compressed message cut short: 1007');
  // A message whose deflate stream ends (BFINAL, no 00 00 ff ff to cut) is read too.
  const d = await rawOpen(gw, 'permessage-deflate');
  d.sock.write(maskedFrame(zlib.deflateRawSync(Buffer.from(encode({ op: 'sub', sym: SYM, since: Date.now() }))), { rsv1: true }));
  await waitFor('its final hist', () => d.frames.some((f) => f.opcode === 2 && message(f).op === 'hist'), { timeout: 10000 });
  d.sock.destroy();
  // A compressed text (JSON) request is inflated before the UTF-8 and JSON parsers see it.
  const c = await WsClient.open(`${gw.ws}`, { json: true, deflate: { threshold: 0 } });
  clients.push(c);
  c.sub(SYM, 0);
  await c.waitLive(SYM, 5);
  assert.ok(gw.running, 'the gateway is still running');
  const res = await fetch(`${gw.http}/healthz`);
  assert.equal(res.status, 200);
});

test('--ws-deflate=0: RSV1 from a client is a protocol error (1002)', { timeout: 20000 }, async () => {
  const r = await rawOpen(gwOff, 'permessage-deflate');
  assert.doesNotMatch(r.head, /sec-websocket-extensions/i);
  r.sock.write(maskedFrame(compress(Buffer.from(encode({ op: 'sub', sym: SYM, since: 0 }))), { rsv1: true }));
  assert.equal(await closeCode(r), 1002);
});
