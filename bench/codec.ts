// Codec benchmark: glassmq vs mqtt-packet in one run, decode and encode of a 64-byte QoS 0 PUBLISH and of an
// MQTT 5 PUBLISH with properties; plus the cost of the dissector's recording (on vs off).
// Run: node --import tsx bench/codec.ts [msPerRound]
import mqtt from 'mqtt-packet';
import {
  PacketDecoder, decodePacket, dissectPacket, encodePacket, type Packet, type PublishPacket,
} from '../src/protocol/index.js';

const MS_PER_ROUND = Number(process.argv[2] ?? 400);
const ROUNDS = 5;

const small: PublishPacket = {
  type: 'publish', topic: 'sensors/room1/temp', payload: Buffer.alloc(42, 0x61), qos: 0, retain: false, dup: false,
};
const withProps: PublishPacket = {
  type: 'publish', topic: 'devices/abc123/telemetry', payload: Buffer.alloc(64, 0x62), qos: 1, retain: false, dup: false, packetId: 4242,
  properties: {
    payloadFormatIndicator: 1, messageExpiryInterval: 3600, contentType: 'application/json', responseTopic: 'replies/abc123',
    correlationData: Buffer.from('req-0001'), userProperties: [['trace', 'f00d'], ['region', 'eu']],
  },
};
const mpSmall = { cmd: 'publish', topic: small.topic, payload: small.payload, qos: 0, retain: false, dup: false } as const;
const mpWithProps = {
  cmd: 'publish', topic: withProps.topic, payload: withProps.payload, qos: 1, retain: false, dup: false, messageId: 4242,
  properties: {
    payloadFormatIndicator: true, messageExpiryInterval: 3600, contentType: 'application/json', responseTopic: 'replies/abc123',
    correlationData: Buffer.from('req-0001'), userProperties: { trace: 'f00d', region: 'eu' },
  },
} as const;

let sink = 0;
function rate(fn: () => void): number {
  const batch = 1000;
  const end = process.hrtime.bigint() + BigInt(MS_PER_ROUND) * 1_000_000n;
  const start = process.hrtime.bigint();
  let n = 0;
  let now = start;
  while (now < end) {
    for (let i = 0; i < batch; i++) fn();
    n += batch;
    now = process.hrtime.bigint();
  }
  return n / (Number(now - start) / 1e9);
}

/** Runs all cases round-robin ROUNDS times (so machine noise hits every case alike) and keeps the median. */
function measure(cases: Record<string, () => void>): Record<string, number> {
  const samples: Record<string, number[]> = {};
  for (const [name, fn] of Object.entries(cases)) {
    rate(fn); // warm up
    samples[name] = [];
  }
  for (let r = 0; r < ROUNDS; r++) for (const [name, fn] of Object.entries(cases)) samples[name]!.push(rate(fn));
  const out: Record<string, number> = {};
  for (const [name, s] of Object.entries(samples)) out[name] = s.sort((a, b) => a - b)[Math.floor(s.length / 2)]!;
  return out;
}

function mpParser(version: 4 | 5): (buf: Buffer) => void {
  const parser = mqtt.parser({ protocolVersion: version });
  parser.on('packet', () => sink++);
  return (buf) => { parser.parse(buf); };
}

function glassmqStream(version: 4 | 5): (buf: Buffer) => void {
  const d = new PacketDecoder({ protocolVersion: version });
  const onPacket = (_p: Packet): void => { sink++; };
  return (buf) => d.push(buf, onPacket);
}

const smallBytes = encodePacket(small, 4);
const propsBytes = encodePacket(withProps, 5);
if (smallBytes.length !== 64) throw new Error(`small PUBLISH is ${smallBytes.length} bytes, not 64`);
if (!mqtt.generate(mpSmall as never).equals(smallBytes)) throw new Error('mqtt-packet encodes the small PUBLISH differently');

const gSmall = glassmqStream(4);
const mSmall = mpParser(4);
const gProps = glassmqStream(5);
const mProps = mpParser(5);
const results = measure({
  'decode 64 B QoS 0 PUBLISH (3.1.1): glassmq stream': () => gSmall(smallBytes),
  'decode 64 B QoS 0 PUBLISH (3.1.1): mqtt-packet': () => mSmall(smallBytes),
  [`decode ${propsBytes.length} B v5 PUBLISH + properties: glassmq stream`]: () => gProps(propsBytes),
  [`decode ${propsBytes.length} B v5 PUBLISH + properties: mqtt-packet`]: () => mProps(propsBytes),
  'encode 64 B QoS 0 PUBLISH (3.1.1): glassmq': () => { sink += encodePacket(small, 4).length; },
  'encode 64 B QoS 0 PUBLISH (3.1.1): mqtt-packet': () => { sink += mqtt.generate(mpSmall as never).length; },
  [`encode ${propsBytes.length} B v5 PUBLISH + properties: glassmq`]: () => { sink += encodePacket(withProps, 5).length; },
  [`encode ${propsBytes.length} B v5 PUBLISH + properties: mqtt-packet`]: () => { sink += mqtt.generate(mpWithProps as never, { protocolVersion: 5 }).length; },
  'recording off: decodePacket 64 B PUBLISH': () => { sink += (decodePacket(smallBytes, 4) as PublishPacket).qos; },
  'recording on:  dissectPacket 64 B PUBLISH': () => { sink += dissectPacket(smallBytes, 4).fields.length; },
  [`recording off: decodePacket v5 ${propsBytes.length} B PUBLISH`]: () => { sink += (decodePacket(propsBytes, 5) as PublishPacket).qos; },
  [`recording on:  dissectPacket v5 ${propsBytes.length} B PUBLISH`]: () => { sink += dissectPacket(propsBytes, 5).fields.length; },
});

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US').padStart(12);
const width = Math.max(...Object.keys(results).map((k) => k.length));
console.log(`glassmq codec benchmark (node ${process.version}, median of ${ROUNDS} x ${MS_PER_ROUND} ms)\n`);
for (const [name, r] of Object.entries(results)) console.log(`${name.padEnd(width)}  ${fmt(r)} packets/s`);
const names = Object.keys(results);
const ratio = (a: number, b: number): string => (results[names[a]!]! / results[names[b]!]!).toFixed(2);
console.log('');
console.log(`decode 64 B QoS 0 PUBLISH:         glassmq / mqtt-packet = ${ratio(0, 1)}x  (target >= 3x)`);
console.log(`decode v5 PUBLISH with properties: glassmq / mqtt-packet = ${ratio(2, 3)}x  (target >= 3x)`);
console.log(`encode 64 B QoS 0 PUBLISH:         glassmq / mqtt-packet = ${ratio(4, 5)}x  (target >= 2x)`);
console.log(`encode v5 PUBLISH with properties: glassmq / mqtt-packet = ${ratio(6, 7)}x  (target >= 2x)`);
console.log(`dissector recording on costs:      ${ratio(8, 9)}x (64 B) and ${ratio(10, 11)}x (v5) the time of recording off`);
if (sink === 0) console.log('');
