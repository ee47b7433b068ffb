// tests/fuzz/seeds.js — writes the seed corpora tests/fuzz/corpus/<target>/ (run from the
// repository root: node tests/fuzz/seeds.js). The files are committed; this is how they were made.
import fs from 'node:fs';
import zlib from 'node:zlib';
import { encode } from '@msgpack/msgpack';
const C = 'tests/fuzz/corpus/';
for (const t of ['request', 'query', 'origin', 'live', 'xreply', 'rreply', 'entry', 'meta', 'url', 'opts', 'sentinel', 'pmd', 'info', 'utf8']) fs.mkdirSync(C + t, {recursive: true});
const put = (t, name, buf) => fs.writeFileSync(C + t + '/' + name, buf);
const B = (s) => Buffer.from(s, 'latin1');
// request: first byte 1 = text (JSON), 0 = binary (msgpack)
const reqs = [
  {op: 'sub', sym: 'ticker_07', since: 0}, {op: 'sub', sym: 'ticker_07', since: 1732350000000},
  {op: 'unsub', sym: 'ticker_07'}, {op: 'sub', sym: 'ticker_07', since: 1.5}, {op: 'sub', sym: 'ticker_07', since: -1},
  {op: 'nope', sym: 'x'}, {op: 'sub', sym: 'ticker_07', since: 9007199254740993}, {op: 'sub', sym: 'x'.repeat(80), since: 0},
  {op: 'sub', sym: 'ticker_07', since: 0, extra: {a: [1, 2, {b: null}], c: true}},
  {op: 'board', since: 0}, {op: 'board', since: 1795437517000, prefix: 'ticker_1'},
  {op: 'board', since: 0, syms: ['ticker_05', 'ticker_42', 'ticker_05']}, {op: 'board', since: 0, syms: []},
  {op: 'board', since: 0, syms: ['ticker_05'], prefix: 'ticker_0'}, {op: 'unboard'},
];
reqs.forEach((r, i) => {
  put('request', `json${i}`, Buffer.concat([B('\x01'), B(JSON.stringify(r))]));
  put('request', `mp${i}`, Buffer.concat([B('\x00'), Buffer.from(encode(r))]));
});
put('request', 'json-ws', B('\x01 { "op" : "sub" ,\n"sym":"ticker_07",\t"since":1e3 } '));
put('request', 'json-esc', B('\x01{"op":"s\\u0075b","sym":"ticker_\\"07","since":0}'));
put('request', 'json-deep', B('\x01{"x":' + '['.repeat(20) + ']'.repeat(20) + ',"op":"sub"}'));
put('request', 'mp-float', Buffer.concat([B('\x00'), Buffer.from(encode({op: 'sub', sym: 'ticker_07', since: 1000}, {forceIntegerToFloat: true}))]));
put('request', 'mp-bigarray', B('\x00\x81\xa1x\xdd\xff\xff\xff\xff'));
put('request', 'mp-u64', B('\x00\x83\xa2op\xa3sub\xa3sym\xa1a\xa5since\xcf\xff\xff\xff\xff\xff\xff\xff\xff'));
// live candles: sub/unsub with a width (a duration or ms), good and bad
[{op: 'sub', sym: 'ticker_07', since: 0, width: '1m'}, {op: 'sub', sym: 'ticker_07', since: 1732350000000, width: 900000},
  {op: 'unsub', sym: 'ticker_07', width: '4h'}, {op: 'sub', sym: 'ticker_07', since: 0, width: '90'},
  {op: 'sub', sym: 'ticker_07', since: 0, width: -1}, {op: 'sub', sym: 'ticker_07', since: 0, width: '99999999999999999999d'},
  {op: 'range', sym: 'ticker_07', from: 0, width: '1m'}].forEach((r, i) => {
  put('request', `json-width${i}`, Buffer.concat([B('\x01'), B(JSON.stringify(r))]));
  put('request', `mp-width${i}`, Buffer.concat([B('\x00'), Buffer.from(encode(r))]));
});
// range: every field optional (no from: the whole stored history), good and bad
[{op: 'range', sym: 'ticker_07', points: 1280, id: 1}, {op: 'range', sym: 'ticker_07'},
  {op: 'range', sym: 'ticker_07', from: 1795430000000, to: 1795436400000, points: 4, id: 9007199254740992},
  {op: 'range', sym: 'ticker_07', to: 1795436400000}, {op: 'range', sym: 'ticker_07', from: 'start'},
  {op: 'range', sym: 'ticker_07', from: -1}, {op: 'range', sym: 'ticker_07', points: 0}, {op: 'range', sym: 'ticker_07', id: 'q'}].forEach((r, i) => {
  put('request', `json-range${i}`, Buffer.concat([B('\x01'), B(JSON.stringify(r))]));
  put('request', `mp-range${i}`, Buffer.concat([B('\x00'), Buffer.from(encode(r))]));
});
// query
['sym=ticker_07&since=0&until=1732350000000', 'format=json', 'since=&sym=', '&&sym=a&sym=b', 'symbol=x&sym', 'points=100&s=1', 'sym=ticker_07&points=1280', 'sym=a&from=1&to=2&from=',
  'sym=ticker_07,ticker_08&width=1m&since=0', 'width=60', 'width=0s&width=1m', 'width=99999999999999999999d', 'width=1x', 'width=15ms'].forEach((q, i) => put('query', `q${i}`, B(q)));
// live
const live = (e, t, p) => Buffer.from(encode({e, t, p}));
put('live', 'plain', live(6528362022131621, 1795436152000, [-2, 0, 5, 2147483647, -2147483647]));
put('live', 'empty', live(1, 1000, []));
put('live', 'extra', Buffer.from(encode({e: 1, x: [1, 2], t: 2000, p: [1], zz: 'y'})));
put('live', 'missing', Buffer.from(encode({e: 1, p: [1]})));
put('live', 'wrongtype', Buffer.from(encode({e: 'a', t: 1, p: [1]})));
put('live', 'bigprice', Buffer.from(encode({e: 1, t: 1, p: [4294967296]})));
put('live', 'hundred', live(42, 1795436152000, Array.from({length: 100}, (_, i) => i - 50)));
// RESP replies
const bulk = (s) => `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
const arr = (xs) => `*${xs.length}\r\n${xs.join('')}`;
const entry = (id, fv) => arr([bulk(id), arr(fv.map(bulk))]);
const xr = arr([entry('1700000000000-0', ['p', '-3']), entry('1700000001000-0', ['q', '9', 'p', '7']),
  entry('1700000002000-0', ['q', '1']), entry('1700000003000-5', ['p', '2147483647']), entry('1700000004000-0', ['p', 'x1'])]);
const resp = {
  xrange: xr, empty: '*0\r\n', nil: '*-1\r\n', err: '-ERR wrong\r\n', pong: '+PONG\r\n', int: ':5\r\n',
  odd: arr([entry('1-0', ['p']), arr([':1\r\n', '$-1\r\n']), bulk('1-0'), arr([bulk('x'), ':3\r\n'])]),
  two: xr + '+OK\r\n' + arr([entry('5-0', ['p', '1'])]),
  nested: arr([arr([bulk('1-0'), arr([bulk('p'), arr([bulk('1')])])])]),
  meta: arr(['interval_ms', '1000', 'retention_ms', '86400000', 'instruments', '100', 'started_ms', '1795436147509',
    'version', '1', 'epoch', '6528362022131621'].map(bulk)),
  metabad: arr(['interval_ms', '-1', 'epoch', '99999999999999999999', 'version'].map(bulk)),
  metaint: arr([bulk('interval_ms'), ':1000\r\n', ':1\r\n', bulk('x')]),
  metafrom: arr(['interval_ms', '10', 'rollups', '10ms:1h,1s:1h,1d:30d', 'rollups_from', '10ms:0,1s:1796060611000,1m:x,50ms',
    'epoch', '1', 'version', '1'].map(bulk)),
  metaold: arr(['rollups', '50ms:1h,1h:7d', 'rollups_from', ''].map(bulk)),
};
for (const [k, v] of Object.entries(resp)) {
  put('xreply', k, B(v)); put('meta', k, B(v)); put('entry', 'resp-' + k, Buffer.concat([B('\x80'), B(v)]));
}
// rreply: a range read's EXEC (candle XRANGEs, then ticks), an error in place of a part, and the replies around it
const candle = (id, o, h, l, c, n) => entry(id, ['o', o, 'h', h, 'l', l, 'c', c, 'n', n]);
const rresp = {
  exec: arr([arr([candle('1700000000000-0', '1', '5', '-2', '3', '60'), candle('1700000060000-0', '1', '5', '2', '3', '4'),
    entry('1700000120000-0', ['o', '1', 'n', '0'])]), arr([candle('1700000180000-0', '3', '3', '3', '3', '1')]),
    xr]),
  errpart: arr(['-WRONGTYPE x\r\n', '*0\r\n']), queued: '+QUEUED\r\n', aborted: '*-1\r\n', nested: resp.nested, pong: resp.pong,
};
for (const [k, v] of Object.entries(rresp)) put('rreply', k, B(v));
['1700000000000-0', '1700000000000', '18446744073709551615-18446744073709551615', '9223372036854775808-0', '-1-0', '1-', '-5',
 '2147483647', '-2147483648', '-2147483647', '007', '1 ', ''].forEach((s, i) => put('entry', `str${i}`, Buffer.concat([B('\x00'), B(s)])));
// origin: Origin \0 Host, or an address list
put('origin', 'same', B('http://127.0.0.1:8080\x00127.0.0.1:8080'));
put('origin', 'tls', B('https://a:443\0a'));
put('origin', 'null', B('null\0h:1'));
put('origin', 'nets', B('127.0.0.1,::1,10.0.0.0/8,fd00::/8'));
put('origin', 'case', B('http://A:80\0a'));
// url
['redis://127.0.0.1:6379', 'redis://:secret@h:1/3', 'redis://u:p@w@host:65535/100000', 'redis://[::1]:6379',
 'redis://h:0', 'redis://h:65536', 'redis:///', 'http://x', 'redis://h/', 'redis://h:/x',
 'redis-sentinel://u:p@s1:26379,s2,s3:26380/mymaster?db=2', 'redis-sentinel://s1/m?sentinel_password=sp&db=1&sentinel_user=su',
 'redis-sentinel://s1/m?sentinel_user=su', 'redis-sentinel://s1/m?db=1&db=2&',
 'redis://u%40x:p%3Aw%25@h:1', 'redis-sentinel://:a%3Fb@s1/m?sentinel_password=x%26y', 'redis://:50%@h', 'redis://:a%00@h',
 'redis-sentinel://:pw@h1:26379/m?db=1?sentinel_password=s3cret', 'redis-sentinel://h/m?sentinel_user=u?sentinel_password=s3cret',
 'redis://u:s3cret', 'redis-sentinel://h1:26379/m&sentinel_password=s3cret', 'redis-sentinel://s/m?sentinel_password=a@b&db=x',
 'u:pw@h://x', 'redis://h=x:1/0?password=y'].forEach((u, i) => put('url', `u${i}`, B(u)));
// opts: env TS_FZ_RETENTION \0 argv...
const opts = [['', '--count', '5', '--retention=90s', '--flag', '--redis', 'redis://h:1/2', '--seed', '0x10'],
  ['15m', '--name=abc', '--flag=off'], ['7d'], ['', '--help'], ['', '--count'], ['', '--bogus=1'], ['', 'stray'],
  ['1.5h', '--seed=-1'], ['', '--retention', '0s', '--count=99999999999999999999']];
opts.forEach((o, i) => put('opts', `o${i}`, B(o.join('\0'))));
// sentinel: a sentinel's answers (after an AUTH reply or not) and +switch-master messages
const sresp = {
  addr: arr([bulk('10.0.0.1'), bulk('6379')]), nil: '*-1\r\n', authok: '+OK\r\n' + arr([bulk('h'), bulk('1')]),
  wrongpass: '-WRONGPASS invalid username-password pair\r\n-NOAUTH Authentication required.\r\n',
  badport: arr([bulk('h'), bulk('70000')]), sub: arr([bulk('subscribe'), bulk('+switch-master'), ':1\r\n']),
  sw: arr([bulk('message'), bulk('+switch-master'), bulk('mymaster 10.0.0.1 6379 10.0.0.2 6380')]),
  other: arr([bulk('message'), bulk('+switch-master'), bulk('other 10.0.0.1 6379 10.0.0.2 6380')]),
  short: arr([bulk('message'), bulk('+switch-master'), bulk('mymaster 10.0.0.1 6379 10.0.0.2')]),
};
for (const [k, v] of Object.entries(sresp)) put('sentinel', k, B(v));
// pmd: a Sec-WebSocket-Extensions value, also read as a compressed message (raw deflate)
['permessage-deflate; client_max_window_bits', 'permessage-deflate; server_max_window_bits="15"; server_no_context_takeover',
 'x-webkit-deflate-frame, permessage-deflate ; client_max_window_bits=10', 'permessage-deflate; server_max_window_bits=9, permessage-deflate',
 'permessage-deflate; a="b', 'permessage-deflate; client_no_context_takeover; client_no_context_takeover']
  .forEach((h, i) => put('pmd', `offer${i}`, B(h)));
const rawDeflate = (b) => { const z = zlib.deflateRawSync(b, {finishFlush: zlib.constants.Z_SYNC_FLUSH}); return z.subarray(0, z.length - 4); };
put('pmd', 'sub', rawDeflate(Buffer.from(encode({op: 'sub', sym: 'ticker_07', since: 0}))));
put('pmd', 'bomb', rawDeflate(Buffer.alloc(65536)));
put('pmd', 'final', zlib.deflateRawSync(B('{"op":"unsub","sym":"ticker_07"}')));
put('pmd', 'hello', Buffer.from([0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]));
// info: the text of INFO memory (tickgen reads maxmemory and its policy)
['# Memory\r\nused_memory:1182064\r\nmaxmemory:10485760\r\nmaxmemory_human:10.00M\r\nmaxmemory_policy:noeviction\r\n',
 'maxmemory:0\r\nmaxmemory_policy:allkeys-lru', 'maxmemory_human:0B\r\nmaxmemory:', 'maxmemory:99999999999999999999\r\n',
 'maxmemory_policy:' + 'v'.repeat(80) + '\nmaxmemory:-1\n'].forEach((t, i) => put('info', `i${i}`, B(t)));
// utf8: an inflated text message; the edge cases of RFC 3629 (test_utf8.c has them named)
put('utf8', 'json', B('{"op":"sub","sym":"ticker_07","since":0}'));
put('utf8', 'multi', Buffer.from('é € 𝄞 \u{10ffff} \u{d7ff} \u{e000}'));
[[0xc0, 0xaf], [0xe0, 0x9f, 0xbf], [0xf0, 0x8f, 0xbf, 0xbf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80],
  [0x61, 0xe2, 0x82], [0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]].forEach((b, i) => put('utf8', `bad${i}`, Buffer.from(b)));
