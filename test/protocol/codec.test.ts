// Encoder specifics the broker relies on, strict UTF-8, and the hex parser.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ProtocolError, decodePacket, encodePacket, encodedPublishPacketIdOffset, parseHex, type Packet, type PublishPacket,
} from '../../src/protocol/index.js';

describe('encoder', () => {
  test('encodedPublishPacketIdOffset points at the 2-byte packet id, so a copy can be patched per subscriber', () => {
    for (const version of [3, 4, 5] as const) {
      const p: PublishPacket = {
        type: 'publish', topic: 'a/é', payload: Buffer.alloc(300, 1), qos: 1, retain: false, dup: false, packetId: 1,
        properties: { userProperties: [['k', 'v']] },
      };
      const bytes = encodePacket(p, version);
      const at = encodedPublishPacketIdOffset(p, version);
      const copy = Buffer.from(bytes);
      copy.writeUInt16BE(0xbeef, at);
      assert.equal((decodePacket(copy, version) as PublishPacket).packetId, 0xbeef);
      assert.equal(encodedPublishPacketIdOffset({ ...p, qos: 0, packetId: undefined }, version), -1);
    }
  });

  test('v5 [MQTT-3.4.2-1] PUBACK 0x00 without properties is sent as Remaining Length 2; 3.x never carries reason codes', () => {
    assert.equal(encodePacket({ type: 'puback', packetId: 1, reasonCode: 0 }, 5).toString('hex'), '40020001');
    assert.equal(encodePacket({ type: 'puback', packetId: 1, reasonCode: 0x10 }, 4).toString('hex'), '40020001');
    assert.equal(encodePacket({ type: 'disconnect', reasonCode: 0x8e, properties: { reasonString: 'x' } }, 4).toString('hex'), 'e000');
    assert.equal(encodePacket({ type: 'disconnect', reasonCode: 0 }, 5).toString('hex'), 'e000');
  });

  test('3.x encodings carry no properties', () => {
    const p: Packet = { type: 'suback', packetId: 1, reasonCodes: [1], properties: { reasonString: 'x' } };
    assert.equal(encodePacket(p, 4).toString('hex'), '9003000101');
  });

  test('a PUBLISH with QoS > 0 and no packet id is refused', () => {
    assert.throws(() => encodePacket({ type: 'publish', topic: 't', payload: Buffer.alloc(0), qos: 1, retain: false, dup: false }, 4),
      (e: unknown) => e instanceof ProtocolError && e.code === 'PACKET_ID_ZERO');
  });

  test('a string over 65535 bytes is refused with STRING_TOO_LONG', () => {
    assert.throws(() => encodePacket({ type: 'unsubscribe', packetId: 1, topicFilters: ['x'.repeat(65536)] }, 4),
      (e: unknown) => e instanceof ProtocolError && e.code === 'STRING_TOO_LONG');
  });

  test('AUTH cannot be encoded for 3.1.1', () => {
    assert.throws(() => encodePacket({ type: 'auth' }, 4), (e: unknown) => e instanceof ProtocolError && e.code === 'INVALID_PACKET_TYPE');
  });

  test('a Remaining Length needing 2, 3 and 4 bytes encodes and decodes', () => {
    for (const size of [200, 20_000, 3_000_000]) {
      const p: Packet = { type: 'publish', topic: 't', payload: Buffer.alloc(size, 7), qos: 0, retain: false, dup: false };
      assert.deepEqual(decodePacket(encodePacket(p, 4), 4), p);
    }
  });
});

describe('strict UTF-8', () => {
  test('v5 [MQTT-1.5.4-3] / v3.1.1 [MQTT-1.5.3-3] a BOM (EF BB BF) is kept, not stripped', () => {
    const bytes = Buffer.from([0x30, 0x06, 0x00, 0x04, 0xef, 0xbb, 0xbf, 0x61]);
    assert.equal((decodePacket(bytes) as PublishPacket).topic, '\ufeffa');
  });
  test('4-byte UTF-8 decodes; code points above U+10FFFF do not', () => {
    assert.equal((decodePacket(Buffer.from([0x30, 0x06, 0x00, 0x04, 0xf0, 0x9f, 0x99, 0x82])) as PublishPacket).topic, '🙂');
    assert.throws(() => decodePacket(Buffer.from([0x30, 0x06, 0x00, 0x04, 0xf4, 0x90, 0x80, 0x80])),
      (e: unknown) => e instanceof ProtocolError && e.code === 'INVALID_UTF8');
  });
  test('v5 Payload Format Indicator 1 with a non-UTF-8 payload is not a decoder error (the broker answers 0x99)', () => {
    const p = decodePacket(Buffer.from([0x30, 0x07, 0x00, 0x01, 0x74, 0x02, 0x01, 0x01, 0xff]), 5) as PublishPacket;
    assert.deepEqual([p.properties?.payloadFormatIndicator, p.payload[0]], [1, 0xff]);
  });
  test('3.1 client ids longer than 23 characters are left to the broker', () => {
    const id = 'x'.repeat(40);
    const p: Packet = { type: 'connect', protocolName: 'MQIsdp', protocolVersion: 3, clean: true, keepalive: 0, clientId: id };
    assert.deepEqual(decodePacket(encodePacket(p, 3), 3), p);
  });
});

describe('parseHex', () => {
  test('plain, spaced, colon-separated, 0x-prefixed and multi-line hex give the same bytes', () => {
    const want = '100c00044d515454040200050000';
    for (const text of [want, '10 0c 00 04 4d 51 54 54 04 02 00 05 00 00', '10:0c:00:04:4d:51:54:54:04:02:00:05:00:00',
      '0x10 0x0c 0x00 0x04 0x4d 0x51 0x54 0x54 0x04 0x02 0x00 0x05 0x00 0x00', '100c0004\n4d515454\r\n040200050000\n', '100C00044D515454040200050000']) {
      assert.equal(parseHex(text).toString('hex'), want, text);
    }
  });
  test('non-hex text, odd digit counts and empty input are INVALID_HEX', () => {
    for (const bad of ['xyz', '100', '', '10 0g']) {
      assert.throws(() => parseHex(bad), (e: unknown) => e instanceof ProtocolError && e.code === 'INVALID_HEX', bad);
    }
  });
});
