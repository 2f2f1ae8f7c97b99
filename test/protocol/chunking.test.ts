// The stream decoder yields the same packets for any split of the byte stream, and rejects an oversize
// Remaining Length before the body arrives.
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  PacketDecoder, ProtocolError, ReasonCode, encodePacket, type Packet, type ProtocolVersion,
} from '../../src/protocol/index.js';
import { packetArb } from './arbitraries.js';

function streamOf(version: ProtocolVersion): fc.Arbitrary<{ packets: Packet[]; bytes: Buffer; cuts: number[] }> {
  return fc.array(packetArb(version).filter((p) => p.type !== 'connect'), { minLength: 1, maxLength: 8 }).chain((packets) => {
    const bytes = Buffer.concat(packets.map((p) => encodePacket(p, version)));
    return fc.uniqueArray(fc.integer({ min: 1, max: Math.max(1, bytes.length - 1) }), { maxLength: 12 })
      .map((cuts) => ({ packets, bytes, cuts: cuts.sort((a, b) => a - b) }));
  });
}

function feed(decoder: PacketDecoder, bytes: Buffer, cuts: number[]): Packet[] {
  const out: Packet[] = [];
  let prev = 0;
  for (const c of [...cuts, bytes.length]) {
    if (c <= prev) continue;
    decoder.push(bytes.subarray(prev, c), (p) => out.push(p));
    prev = c;
  }
  return out;
}

describe('stream decoder chunking', () => {
  for (const version of [3, 4, 5] as const) {
    test(`v${version}: any split of a valid byte stream decodes to the same packets`, () => {
      fc.assert(fc.property(streamOf(version), ({ packets, bytes, cuts }) => {
        const d = new PacketDecoder({ protocolVersion: version });
        assert.deepEqual(feed(d, bytes, cuts), packets);
        assert.equal(d.pending, 0);
      }), { numRuns: 300 });
    });
  }

  test('v5: byte-at-a-time and one chunk give the same packets', () => {
    fc.assert(fc.property(streamOf(5), ({ packets, bytes }) => {
      const oneByOne = feed(new PacketDecoder({ protocolVersion: 5 }), bytes, [...Array(bytes.length).keys()].slice(1));
      assert.deepEqual(oneByOne, packets);
      assert.deepEqual(feed(new PacketDecoder({ protocolVersion: 5 }), bytes, []), packets);
    }), { numRuns: 100 });
  });

  test('a CONNECT sets the decoder version for the packets after it, also inside one chunk', () => {
    const connect: Packet = { type: 'connect', protocolName: 'MQTT', protocolVersion: 5, clean: true, keepalive: 0, clientId: 'c' };
    const puback: Packet = { type: 'puback', packetId: 1, reasonCode: 0x10 };
    const bytes = Buffer.concat([encodePacket(connect, 5), encodePacket(puback, 5)]);
    const d = new PacketDecoder(); // starts at 4
    const out: Packet[] = [];
    d.push(bytes, (p) => out.push(p));
    assert.equal(d.protocolVersion, 5);
    assert.deepEqual(out, [connect, puback]);
  });

  test('the version is known from a CONNECT whose later fields are malformed', () => {
    // v5 CONNECT with Receive Maximum 0 (Protocol Error) after the level byte
    const bytes = Buffer.from([0x10, 0x10, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x05, 0x02, 0x00, 0x05, 0x03, 0x21, 0x00, 0x00, 0x00, 0x00]);
    const d = new PacketDecoder();
    assert.throws(() => d.push(bytes, () => undefined), (e: unknown) => e instanceof ProtocolError && e.code === 'INVALID_PROPERTY');
    assert.equal(d.protocolVersion, 5);
  });

  test('v5 [MQTT-3.2.2-15] Remaining Length above maxPacketSize -> PACKET_TOO_LARGE 0x95 as soon as the length is read', () => {
    const d = new PacketDecoder({ maxPacketSize: 1024, protocolVersion: 5 });
    // PUBLISH declaring 2,000,000 bytes: only the fixed header is sent
    const header = Buffer.from([0x30, 0x80, 0x89, 0x7a]);
    assert.throws(() => d.push(header, () => assert.fail('no packet')), (e: unknown) =>
      e instanceof ProtocolError && e.code === 'PACKET_TOO_LARGE' && e.reasonCode === ReasonCode.PacketTooLarge);
    assert.equal(d.pending, 0); // nothing buffered
  });

  test('a packet exactly at maxPacketSize is accepted, one byte more is not', () => {
    const p: Packet = { type: 'publish', topic: 't', payload: Buffer.alloc(10), qos: 0, retain: false, dup: false };
    const bytes = encodePacket(p, 4);
    const ok = new PacketDecoder({ maxPacketSize: bytes.length });
    const out: Packet[] = [];
    ok.push(bytes, (x) => out.push(x));
    assert.equal(out.length, 1);
    const tooSmall = new PacketDecoder({ maxPacketSize: bytes.length - 1 });
    assert.throws(() => tooSmall.push(bytes.subarray(0, 2), () => undefined), (e: unknown) => e instanceof ProtocolError && e.code === 'PACKET_TOO_LARGE');
  });

  test('a Remaining Length varint of 5 bytes fails on the 4th byte without waiting for more', () => {
    const d = new PacketDecoder();
    assert.throws(() => d.push(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff]), () => undefined),
      (e: unknown) => e instanceof ProtocolError && e.code === 'MALFORMED_REMAINING_LENGTH');
  });

  test('pending counts the bytes of an incomplete packet', () => {
    const d = new PacketDecoder();
    const bytes = encodePacket({ type: 'publish', topic: 'abc', payload: Buffer.alloc(100), qos: 0, retain: false, dup: false }, 4);
    d.push(bytes.subarray(0, 1), () => undefined);
    assert.equal(d.pending, 1);
    d.push(bytes.subarray(1, 50), () => undefined);
    assert.equal(d.pending, 50);
    let got = 0;
    d.push(bytes.subarray(50), () => got++);
    assert.equal(got, 1);
    assert.equal(d.pending, 0);
  });

  test('a packet inside one chunk is decoded in place: its payload is a view of the chunk, not a copy', () => {
    const bytes = encodePacket({ type: 'publish', topic: 'a', payload: Buffer.from('payload'), qos: 0, retain: false, dup: false }, 4);
    const chunk = Buffer.concat([bytes, bytes]);
    const out: Packet[] = [];
    new PacketDecoder().push(chunk, (p) => out.push(p));
    const first = out[0] as Extract<Packet, { type: 'publish' }>;
    assert.equal(first.payload.buffer, chunk.buffer);
  });
});
