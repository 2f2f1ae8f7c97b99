// The annotated fixture table drives encode, decode, dissect, round-trip and stream tests for every packet
// type and version, and the malformed table checks each error code, reason code and offset.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  PacketDecoder, ProtocolError, decodePacket, dissectPacket, encodePacket, type Packet, type ProtocolVersion,
} from '../../src/protocol/index.js';
import { FIXTURES, MALFORMED } from '../fixtures/packets.js';

function streamAll(bytes: Buffer, version: ProtocolVersion, chunk: number): Packet[] {
  const d = new PacketDecoder({ protocolVersion: version });
  const out: Packet[] = [];
  for (let i = 0; i < bytes.length; i += chunk) d.push(bytes.subarray(i, i + chunk), (p) => out.push(p));
  assert.equal(d.pending, 0);
  return out;
}

describe('fixtures: every packet type for MQTT 3.1, 3.1.1 and 5.0', () => {
  for (const f of FIXTURES) {
    const bytes = Buffer.from(f.bytes);
    test(`${f.name}: decode`, () => {
      assert.deepEqual(decodePacket(bytes, f.version), f.packet);
    });
    test(`${f.name}: encode gives the annotated bytes`, () => {
      assert.equal(encodePacket(f.packet, f.version).toString('hex'), bytes.toString('hex'));
    });
    test(`${f.name}: round trip decode(encode(p))`, () => {
      assert.deepEqual(decodePacket(encodePacket(f.packet, f.version), f.version), f.packet);
    });
    test(`${f.name}: stream byte by byte and whole`, () => {
      assert.deepEqual(streamAll(bytes, f.version, 1), [f.packet]);
      assert.deepEqual(streamAll(bytes, f.version, bytes.length), [f.packet]);
    });
    test(`${f.name}: dissect gives the same packet and fields that tile the bytes`, () => {
      const d = dissectPacket(bytes, f.version);
      assert.equal(d.error, undefined);
      assert.deepEqual(d.packet, f.packet);
      // top-level fields cover every byte exactly once, in order
      let pos = 0;
      for (const field of d.fields) {
        assert.equal(field.offset, pos, `${field.name} starts at ${pos}`);
        pos += field.length;
      }
      assert.equal(pos, bytes.length);
    });
  }
});

function frameComplete(bytes: Buffer): boolean {
  let len = 0;
  let mult = 1;
  for (let i = 1; i < bytes.length && i <= 4; i++) {
    len += (bytes[i]! & 0x7f) * mult;
    mult *= 128;
    if ((bytes[i]! & 0x80) === 0) return bytes.length >= 1 + i + len;
  }
  return true; // a bad varint is rejected from the header alone
}

describe('malformed packets: error code, reason code and offset', () => {
  for (const m of MALFORMED) {
    const bytes = Buffer.from(m.bytes);
    test(`${m.spec} ${m.name} -> ${m.code}`, () => {
      let caught: unknown;
      try {
        decodePacket(bytes, m.version);
      } catch (err) {
        caught = err;
      }
      assert.ok(caught instanceof ProtocolError, `expected a ProtocolError, got ${String(caught)}`);
      assert.equal(caught.code, m.code, caught.message);
      assert.equal(caught.reasonCode, m.reasonCode ?? 0x81);
      if (m.offset !== undefined) assert.equal(caught.offset, m.offset, caught.message);

      const d = dissectPacket(bytes, m.version);
      assert.equal(d.packet, undefined);
      assert.equal(d.error?.code, m.code);
      assert.equal(d.error?.offset, caught.offset);

      const stream = new PacketDecoder({ protocolVersion: m.version });
      const got: Packet[] = [];
      if (frameComplete(bytes)) {
        assert.throws(() => stream.push(bytes, (p) => got.push(p)), (e: unknown) => e instanceof ProtocolError && e.code === m.code);
      } else {
        stream.push(bytes, (p) => got.push(p)); // an incomplete frame is simply waited for
        assert.equal(stream.pending, bytes.length);
      }
      assert.deepEqual(got, []);
    });
  }
});
