// Cutting a byte stream into MQTT packets: any split, Remaining Length across chunks, resync after gaps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MqttFramer } from '../../src/inspect/mqtt-framer.js';
import { mqttConnect, mqttPublish, CONNACK_OK } from './helpers/frames.js';

function framer(): { packets: Buffer[]; problems: string[]; f: MqttFramer } {
  const packets: Buffer[] = [];
  const problems: string[] = [];
  const f = new MqttFramer({ packet: (b) => packets.push(Buffer.from(b)), problem: (code) => problems.push(code) });
  return { packets, problems, f };
}

const big = mqttPublish('t/big', Buffer.alloc(20_000, 0x61)); // Remaining Length takes 3 bytes
const stream = [mqttConnect('c1'), big, CONNACK_OK, mqttPublish('t/x', Buffer.from('hi')), Buffer.from([0xc0, 0x00])];
const all = Buffer.concat(stream);

test('v5 [MQTT-1.5.5-1] a Remaining Length split at every possible point reassembles: same packets for every two-way split', () => {
  const rlStart = stream[0]!.length + 1;
  for (let cut = 1; cut < all.length; cut += cut > rlStart + 5 && cut < all.length - 40 ? 997 : 1) {
    const { packets, problems, f } = framer();
    f.push(all.subarray(0, cut));
    f.push(all.subarray(cut));
    assert.deepEqual(problems, []);
    assert.deepEqual(packets, stream, `split at ${cut}`);
  }
});

test('one byte at a time yields the same packets', () => {
  const { packets, f } = framer();
  for (let i = 0; i < all.length; i++) f.push(all.subarray(i, i + 1));
  assert.deepEqual(packets, stream);
});

test('after a gap the framer resynchronises at the next plausible packet boundary', () => {
  const { packets, problems, f } = framer();
  f.push(stream[0]!);
  f.push(big.subarray(0, 5000));
  f.gap(3000); // the middle of the big PUBLISH was lost
  f.push(Buffer.concat([big.subarray(8000), CONNACK_OK, stream[3]!, stream[4]!]));
  assert.deepEqual(packets, [stream[0], CONNACK_OK, stream[3], stream[4]]);
  assert.deepEqual(problems, ['RESYNC']);
});

test('v5 [MQTT-2.1.3-1] v3.1.1 [MQTT-2.2.2-1] a byte that cannot start a packet is reported, then decoding resumes', () => {
  const { packets, problems, f } = framer();
  f.push(Buffer.concat([stream[0]!, Buffer.from([0x00, 0xff, 0x13]), CONNACK_OK, stream[3]!]));
  assert.deepEqual(packets, [stream[0], CONNACK_OK, stream[3]]);
  assert.deepEqual(problems, ['MALFORMED_FIXED_HEADER', 'RESYNC']);
});

test('v5 [MQTT-1.5.5-1] five Remaining Length bytes are malformed; pure garbage ends in UNREADABLE, bounded', () => {
  const { problems, f } = framer();
  f.push(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]));
  assert.equal(problems[0], 'MALFORMED_FIXED_HEADER');
  const g = framer();
  g.f.startResyncing();
  const junk = Buffer.alloc(1 << 20, 0x00);
  for (let i = 0; i < 6; i++) g.f.push(junk);
  assert.ok(g.problems.includes('UNREADABLE'));
  assert.equal(g.packets.length, 0);
});

test('the end of the stream inside a packet reports the bytes left over', () => {
  const { f } = framer();
  f.push(big.subarray(0, 100));
  assert.equal(f.end(), 100);
});
