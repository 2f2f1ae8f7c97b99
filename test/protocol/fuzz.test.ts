// A sample of random and mutated inputs: the decoder throws nothing but ProtocolError, agrees with the
// dissector, terminates, and never allocates beyond the packet limit. bench/fuzz-codec.ts runs 1,000,000.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PacketDecoder, ProtocolError } from '../../src/protocol/index.js';
import { checkInput, fuzzInput, rng, seedPackets } from '../../bench/fuzz-inputs.js';
import { FIXTURES } from '../fixtures/packets.js';

const SAMPLE = 20_000;
const MAX_PACKET = 4096;

test(`fuzz: ${SAMPLE} random and mutated inputs raise only ProtocolError and decoder == dissector`, () => {
  const rand = rng(20_261_130);
  const result = { decoded: 0, rejected: 0 };
  const seeds = [...FIXTURES.map((f) => Buffer.from(f.bytes)), ...seedPackets()];
  for (let i = 0; i < SAMPLE; i++) {
    const { bytes, version } = fuzzInput(rand, seeds);
    checkInput(bytes, version, rand, MAX_PACKET, result);
  }
  assert.equal(result.decoded + result.rejected, SAMPLE);
  // the mutations must reach both outcomes, or the fuzz tests nothing
  assert.ok(result.decoded > SAMPLE / 20 && result.rejected > SAMPLE / 4, JSON.stringify(result));
});

test('fuzz: the stream decoder never allocates more than maxPacketSize for a hostile Remaining Length', (t) => {
  const original = Buffer.allocUnsafe;
  let largest = 0;
  t.mock.method(Buffer, 'allocUnsafe', (size: number) => {
    largest = Math.max(largest, size);
    return original(size);
  });
  const rand = rng(7);
  for (let i = 0; i < 2000; i++) {
    // a PUBLISH header with a random 1-4 byte length, then a few body bytes
    const len = Math.floor(rand() * 268_435_455);
    const header = [0x30];
    let v = len;
    do {
      let b = v % 128;
      v = Math.floor(v / 128);
      if (v > 0) b |= 0x80;
      header.push(b);
    } while (v > 0);
    const d = new PacketDecoder({ maxPacketSize: MAX_PACKET });
    try {
      d.push(Buffer.from([...header, 0x00, 0x01, 0x61]), () => undefined);
    } catch (err) {
      assert.ok(err instanceof ProtocolError && err.code === 'PACKET_TOO_LARGE');
    }
  }
  assert.ok(largest <= MAX_PACKET, `allocated ${largest}`);
});
