// PROXY protocol v1/v2 header parser (HAProxy proxy-protocol.txt), one behaviour per test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseProxyHeader } from '../../src/transport/index.js';

const SIG = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]; // \r\n\r\n\0\r\nQUIT\n

function done(buf: Buffer) {
  const r = parseProxyHeader(buf);
  assert.equal(r.state, 'done', JSON.stringify(r));
  return r as Extract<typeof r, { state: 'done' }>;
}

function errorCode(buf: Buffer): string {
  const r = parseProxyHeader(buf);
  assert.equal(r.state, 'error');
  return (r as Extract<typeof r, { state: 'error' }>).error.code;
}

test('PROXY v1 TCP4: source and destination parsed, length covers the CRLF', () => {
  const line = 'PROXY TCP4 192.0.2.7 198.51.100.1 56324 1883\r\n';
  const r = done(Buffer.concat([Buffer.from(line), Buffer.from([0x10, 0x0c])]));
  assert.equal(r.length, line.length);
  assert.deepEqual(r.header, {
    version: 1, command: 'proxy', family: 'tcp4',
    source: { address: '192.0.2.7', port: 56324 }, destination: { address: '198.51.100.1', port: 1883 },
  });
});

test('PROXY v1 TCP6 and UNKNOWN', () => {
  assert.deepEqual(done(Buffer.from('PROXY TCP6 2001:db8::1 2001:db8::2 4000 8883\r\n')).header.source, { address: '2001:db8::1', port: 4000 });
  assert.equal(done(Buffer.from('PROXY UNKNOWN\r\n')).header.family, 'unknown');
  assert.equal(done(Buffer.from('PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n')).header.family, 'unknown');
});

test('PROXY v1 arriving a byte at a time is incomplete until the CRLF', () => {
  const line = Buffer.from('PROXY TCP4 10.0.0.1 10.0.0.2 1 2\r\n');
  for (let n = 1; n < line.length; n++) assert.equal(parseProxyHeader(line.subarray(0, n)).state, 'incomplete', `at ${n}`);
  assert.equal(parseProxyHeader(line).state, 'done');
});

test('PROXY v1 malformed lines are refused with PROXY_HEADER_INVALID', () => {
  assert.equal(errorCode(Buffer.from('PROXY TCP4 10.0.0.1 10.0.0.2 1\r\n')), 'PROXY_HEADER_INVALID'); // 5 fields
  assert.equal(errorCode(Buffer.from('PROXY TCP4 ::1 10.0.0.2 1 2\r\n')), 'PROXY_HEADER_INVALID'); // v6 under TCP4
  assert.equal(errorCode(Buffer.from('PROXY UDP4 10.0.0.1 10.0.0.2 1 2\r\n')), 'PROXY_HEADER_INVALID');
  assert.equal(errorCode(Buffer.from('PROXY TCP4 10.0.0.1 10.0.0.2 1 65536\r\n')), 'PROXY_HEADER_INVALID');
  assert.equal(errorCode(Buffer.from(`PROXY TCP4 ${'1'.repeat(120)}`)), 'PROXY_HEADER_INVALID'); // > 107 bytes, no CRLF
});

test('garbage (an MQTT CONNECT, an HTTP request) is refused on its first byte', () => {
  assert.equal(errorCode(Buffer.from([0x10])), 'PROXY_HEADER_INVALID');
  assert.equal(errorCode(Buffer.from('GET / HTTP/1.1\r\n')), 'PROXY_HEADER_INVALID');
  assert.equal(errorCode(Buffer.from('PROXX')), 'PROXY_HEADER_INVALID');
});

function v2(verCmd: number, fam: number, body: number[]): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(body.length);
  return Buffer.from([...SIG, verCmd, fam, ...len, ...body]);
}

test('PROXY v2 PROXY/INET/STREAM: addresses and ports; TLVs after the addresses are skipped', () => {
  const body = [192, 0, 2, 7, /* src */ 10, 0, 0, 1, /* dst */ 0xdc, 0x04, /* 56324 */ 0x07, 0x5b /* 1883 */];
  const tlv = [0x04, 0x00, 0x02, 0xab, 0xcd]; // PP2_TYPE_NOOP, length 2
  const buf = v2(0x21, 0x11, [...body, ...tlv]);
  const r = done(Buffer.concat([buf, Buffer.from([0x10])]));
  assert.equal(r.length, buf.length);
  assert.deepEqual(r.header.source, { address: '192.0.2.7', port: 56324 });
  assert.deepEqual(r.header.destination, { address: '10.0.0.1', port: 1883 });
});

test('PROXY v2 INET6 addresses are printed in RFC 5952 form', () => {
  const src = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
  const dst = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1];
  const r = done(v2(0x21, 0x21, [...src, ...dst, 0x10, 0x00, 0x22, 0xb3]));
  assert.deepEqual(r.header.source, { address: '2001:db8::1', port: 4096 });
  assert.equal(r.header.destination?.address, '::ffff:a00:1');
  assert.equal(r.header.destination?.port, 8883);
});

test('PROXY v2 LOCAL (proxy health check) keeps the socket addresses', () => {
  const r = done(v2(0x20, 0x00, []));
  assert.equal(r.header.command, 'local');
  assert.equal(r.header.source, undefined);
});

test('PROXY v2 UNIX addresses', () => {
  const path = (p: string) => [...Buffer.from(p), ...new Array(108 - p.length).fill(0)];
  const r = done(v2(0x21, 0x31, [...path('/run/a.sock'), ...path('/run/b.sock')]));
  assert.deepEqual(r.header.source, { address: '/run/a.sock', port: 0 });
});

test('PROXY v2 wrong version, unknown command, short address block -> PROXY_HEADER_INVALID', () => {
  assert.equal(errorCode(v2(0x11, 0x11, new Array(12).fill(0))), 'PROXY_HEADER_INVALID');
  assert.equal(errorCode(v2(0x2f, 0x11, new Array(12).fill(0))), 'PROXY_HEADER_INVALID');
  assert.equal(errorCode(v2(0x21, 0x11, new Array(8).fill(0))), 'PROXY_HEADER_INVALID');
  assert.equal(errorCode(v2(0x21, 0x51, [])), 'PROXY_HEADER_INVALID');
});

test('PROXY v2 split anywhere is incomplete until the declared length arrived', () => {
  const buf = v2(0x21, 0x11, [1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 0, 2]);
  for (let n = 1; n < buf.length; n++) assert.equal(parseProxyHeader(buf.subarray(0, n)).state, 'incomplete', `at ${n}`);
  assert.equal(parseProxyHeader(buf).state, 'done');
});
