// tests/lib/wsframe.js — WebSocket frames by hand (RFC 6455 5.2), for the
// tests that need what npm ws hides: a client that stops reading, RSV1 on
// the wire, a frame ws would never send.
import crypto from 'node:crypto';

/** A masked client frame; rsv1 marks a compressed message (RFC 7692). Payloads up to 64 KB. */
export function maskedFrame(payload, { opcode = 2, rsv1 = false } = {}) {
  const mask = crypto.randomBytes(4);
  const n = payload.length;
  const head = n < 126 ? Buffer.from([0, 0x80 | n]) : Buffer.from([0, 0x80 | 126, n >> 8, n & 0xff]);
  head[0] = 0x80 | (rsv1 ? 0x40 : 0) | opcode;
  return Buffer.concat([head, mask, Buffer.from(payload.map((b, i) => b ^ mask[i % 4]))]);
}

/** The first whole server frame of buf as {rsv1, opcode, payload, rest}, or null while it is incomplete. */
export function takeFrame(buf) {
  if (buf.length < 2) return null;
  let len = buf[1] & 0x7f, off = 2;
  if (len === 126) { if (buf.length < 4) return null; len = buf.readUInt16BE(2); off = 4; }
  else if (len === 127) { if (buf.length < 10) return null; len = Number(buf.readBigUInt64BE(2)); off = 10; }
  if (buf.length < off + len) return null;
  return { rsv1: (buf[0] & 0x40) !== 0, opcode: buf[0] & 0x0f, payload: buf.subarray(off, off + len), rest: buf.subarray(off + len) };
}
