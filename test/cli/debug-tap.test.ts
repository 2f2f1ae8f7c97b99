// The -d tap: whatever the chunking of the byte stream, each packet is printed once, decoded, with its bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodePacket } from '../../src/protocol/index.js';
import { PacketFramer, createDebugTap, describePacket } from '../../src/cli/client/debug-tap.js';

// CONNECT, v3.1.1, clean session, keepalive 5, empty client id: the bytes the issue shows a newcomer.
const CONNECT = Buffer.from([0x10, 0x0c, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x05, 0x00, 0x00]);

test('the framer cuts packets at their Remaining Length however the stream is chunked', () => {
  const publish = encodePacket({ type: 'publish', topic: 't', payload: Buffer.alloc(300, 0x61), qos: 1, retain: false, dup: false, packetId: 9 }, 4);
  const stream = Buffer.concat([CONNECT, publish, Buffer.from([0xc0, 0x00])]);
  for (const size of [1, 2, 7, 150, stream.length]) {
    const framer = new PacketFramer();
    const packets: Buffer[] = [];
    for (let i = 0; i < stream.length; i += size) packets.push(...framer.push(stream.subarray(i, i + size)));
    assert.deepEqual(packets.map((p) => p.length), [CONNECT.length, publish.length, 2], `chunks of ${size}`);
    assert.deepEqual(Buffer.concat(packets), stream);
  }
});

test('a Remaining Length of more than 4 bytes is handed to the dissector, which reports it', () => {
  const framer = new PacketFramer();
  const out = framer.push(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]));
  assert.equal(out.length, 1);
  assert.match(describePacket('received', out[0]!, 4, false), /^received malformed packet/);
});

test('-d prints one line per packet with its direction and decoded fields; --hex adds the annotated bytes', () => {
  const lines: string[] = [];
  const tap = createDebugTap({ version: 4, hex: true, write: (t) => lines.push(t) });
  tap.sent(CONNECT.subarray(0, 5));
  assert.equal(lines.length, 0, 'nothing until the packet is whole');
  tap.sent(CONNECT.subarray(5));
  tap.received(Buffer.from([0x20, 0x02, 0x00, 0x00]));
  assert.equal(lines.length, 2);
  assert.match(lines[0]!, /^sent +CONNECT .*keepalive=5/);
  assert.ok(lines[0]!.includes('10 0c 00 04 4d 51 54 54 04 02 00 05 00 00'), lines[0]);
  assert.match(lines[1]!, /^received CONNACK/);
  const plain = describePacket('sent', CONNECT, 4, false);
  assert.equal(plain.split('\n').filter(Boolean).length, 1, 'without --hex: one line');
  assert.ok(plain.endsWith('  [10 0c 00 04 4d 51 54 54 04 02 00 05 00 00]\n'), plain);
  const big = encodePacket({ type: 'publish', topic: 't', payload: Buffer.alloc(100), qos: 0, retain: false, dup: false }, 4);
  assert.match(describePacket('sent', big, 4, false), / \.\.\.\+73 bytes\]\n$/, 'long packets are cut after 32 bytes');
});

test('v5 -d lines carry property values named as for -D, the will\'s too', () => {
  const publish = encodePacket({
    type: 'publish', topic: 'a', payload: Buffer.from('x'), qos: 0, retain: false, dup: false,
    properties: { contentType: 'text/plain', userProperties: [['k', 'v'], ['k', 'w']], correlationData: Buffer.from([0x00, 0xff]) },
  }, 5);
  assert.match(describePacket('sent', publish, 5, false),
    /^sent +PUBLISH q0 "a" .*\{content-type="text\/plain", user-property="k":"v", user-property="k":"w", correlation-data=0x00ff\} +\[/);
  const connect = encodePacket({
    type: 'connect', protocolName: 'MQTT', protocolVersion: 5, clean: true, keepalive: 0, clientId: 'c',
    will: { topic: 'w', payload: Buffer.alloc(0), qos: 0, retain: false, properties: { willDelayInterval: 3 } },
    properties: { sessionExpiryInterval: 60 },
  }, 5);
  assert.match(describePacket('sent', connect, 5, false), /\{session-expiry-interval=60\} will\{will-delay-interval=3\} +\[/);
});
