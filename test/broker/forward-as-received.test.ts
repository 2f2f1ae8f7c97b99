// A QoS 0 PUBLISH whose received bytes are exactly what the broker would encode is forwarded as received
// (protocol/decode/publish.ts takeAsReceived, broker/encode-publish.ts forwardAsReceived; docs/latency.md). These
// tests hold the "exactly": the bytes handed out equal the encoder's for every topic and payload, nothing else is
// handed out, and subscribers of every version get what encoding gives, whatever the publisher's bytes looked like.
// The decoder's repeated-topic shortcut (same file) is checked against a fresh decode of every packet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as tcpConnect, type Socket } from 'node:net';
import fc from 'fast-check';
import { decodePacket, encodePacket, PacketDecoder } from '../../src/protocol/index.js';
import { takeAsReceived } from '../../src/protocol/decode/publish.js';
import type { Packet, ProtocolVersion, PublishPacket } from '../../src/protocol/packets.js';
import { topicName } from '../protocol/arbitraries.js';
import { startBroker, until, RawClient } from './support.js';

function publish(topic: string, payload: Buffer, extra: Partial<PublishPacket> = {}): PublishPacket {
  return { type: 'publish', topic, payload, qos: 0, retain: false, dup: false, ...extra };
}

/** Decodes `chunks` with one stream decoder; returns each PUBLISH with what takeAsReceived answered for it. */
function decodeAll(version: ProtocolVersion, chunks: Buffer[]): { packet: PublishPacket; bytes: Buffer | undefined }[] {
  const decoder = new PacketDecoder({ protocolVersion: version });
  const out: { packet: PublishPacket; bytes: Buffer | undefined }[] = [];
  for (const chunk of chunks) {
    decoder.push(chunk, (p: Packet) => {
      if (p.type === 'publish') out.push({ packet: p, bytes: takeAsReceived(p) });
    });
  }
  return out;
}

test('a QoS 0 PUBLISH is handed out as received exactly when its bytes are the encoder\'s (any topic, any payload)', () => {
  fc.assert(
    fc.property(
      fc.constantFrom<ProtocolVersion>(3, 4, 5),
      topicName,
      fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)), // 1- and 2-byte Remaining Lengths
      fc.nat({ max: 3 }),
      (version, topic, payload, before) => {
        const wire = encodePacket(publish(topic, payload), version);
        // preceded by other packets in the same chunk: the view is taken at the packet's offset
        const lead = Buffer.concat(Array.from({ length: before }, () => encodePacket(publish('x', Buffer.from('y')), version)));
        const got = decodeAll(version, [Buffer.concat([lead, wire])]).at(-1)!;
        assert.deepEqual(got.bytes, wire);
        // 3.1 and 3.1.1 encode PUBLISH alike (the broker forwards across the two)
        if (version !== 5) assert.deepEqual(encodePacket(publish(topic, payload), version === 3 ? 4 : 3), wire);
      },
    ),
    { numRuns: 300 },
  );
});

test('nothing is handed out for a PUBLISH whose bytes differ from the encoder\'s or that was not the last decoded', () => {
  const payload = Buffer.from('hello');
  const cases: [string, ProtocolVersion, Buffer][] = [
    ['RETAIN 1 (forwarded with RETAIN 0 [MQTT-3.3.1-9])', 4, encodePacket(publish('a/b', payload, { retain: true }), 4)],
    ['QoS 1', 4, encodePacket(publish('a/b', payload, { qos: 1, packetId: 7 }), 4)],
    ['5.0 with properties', 5, encodePacket(publish('a/b', payload, { properties: { contentType: 'text/plain' } }), 5)],
    ['5.0 with a Topic Alias', 5, encodePacket(publish('a/b', payload, { properties: { topicAlias: 1 } }), 5)],
  ];
  for (const [what, version, wire] of cases) {
    const [got] = decodeAll(version, [wire]);
    assert.equal(got!.bytes, undefined, what);
  }
  // 3.1.1 accepts a Remaining Length that is not minimally encoded; its bytes are not the encoder's
  const minimal = encodePacket(publish('a/b', payload), 4);
  const overlong = Buffer.concat([Buffer.from([0x30, 0x80 | minimal[1]!, 0x00]), minimal.subarray(2)]);
  const [long] = decodeAll(4, [overlong]);
  assert.equal(long!.packet.topic, 'a/b');
  assert.equal(long!.bytes, undefined, 'over-long Remaining Length');
  // a packet split across reads is decoded from a copy of its body: its header is not at hand
  const [split] = decodeAll(4, [minimal.subarray(0, 4), minimal.subarray(4)]);
  assert.equal(split!.bytes, undefined, 'split across chunks');
  // only the last PUBLISH decoded, and only once
  const decoder = new PacketDecoder({ protocolVersion: 4 });
  const packets: PublishPacket[] = [];
  decoder.push(Buffer.concat([minimal, minimal]), (p) => packets.push(p as PublishPacket));
  assert.equal(takeAsReceived(packets[0]!), undefined, 'an earlier packet');
  assert.deepEqual(takeAsReceived(packets[1]!), minimal);
  assert.equal(takeAsReceived(packets[1]!), undefined, 'asked twice');
  // a packet changed after decoding (an embedder's hook could) is not what was received any more
  decoder.push(minimal, (p) => {
    (p as PublishPacket).payload = Buffer.from('changed');
    assert.equal(takeAsReceived(p as PublishPacket), undefined, 'payload replaced');
  });
});

test('[MQTT-3.3.2-1] [MQTT-3.3.2-2] a repeated Topic Name decodes as a fresh decode does, and is checked as strictly', () => {
  const long = 'l'.repeat(200); // longer than the bytes kept
  const alphabet = ['a/b', 'a/c', 'a/bb', 'b/a', 'é/b', 'a', 'sensors/1/temperature', 'sensors/2/temperature', long, `${long}x`];
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.constantFrom(...alphabet), fc.nat({ max: 1 })), { minLength: 1, maxLength: 30 }),
      (seq) => {
        // two decoders interleaved (two connections): the shortcut is process-wide
        const decoders = [new PacketDecoder({ protocolVersion: 4 }), new PacketDecoder({ protocolVersion: 5 })];
        for (const [topic, which] of seq) {
          const version: ProtocolVersion = which === 0 ? 4 : 5;
          const wire = encodePacket(publish(topic, Buffer.from(topic)), version);
          let got: Packet | undefined;
          decoders[which]!.push(wire, (p) => (got = p));
          assert.deepEqual(got, decodePacket(wire, version));
        }
      },
    ),
    { numRuns: 200 },
  );
  // the same length as the last topic but a wildcard, a NUL or bad UTF-8: rejected as always
  const decoder = new PacketDecoder({ protocolVersion: 4 });
  decoder.push(encodePacket(publish('a/b', Buffer.alloc(0)), 4), () => undefined);
  const withBytes = (topic: Buffer): Buffer => Buffer.concat([Buffer.from([0x30, 2 + topic.length, 0, topic.length]), topic]);
  assert.throws(() => decoder.push(withBytes(Buffer.from('a/+')), () => undefined), { code: 'INVALID_TOPIC_NAME' });
  decoder.reset();
  assert.throws(() => decoder.push(withBytes(Buffer.from([0x61, 0x00, 0x62])), () => undefined), { code: 'UTF8_NULL_CHARACTER' });
  decoder.reset();
  assert.throws(() => decoder.push(withBytes(Buffer.from([0x61, 0xc3, 0x28])), () => undefined), { code: 'INVALID_UTF8' });
});

/** A subscriber that keeps the raw bytes it receives after its SUBACK. */
async function rawSubscriber(port: number, version: ProtocolVersion, clientId: string, filter: string): Promise<{ socket: Socket; bytes: () => Buffer }> {
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = tcpConnect({ port, host: '127.0.0.1' }, () => resolve(s));
    s.once('error', reject);
  });
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.write(encodePacket({ type: 'connect', protocolName: version === 3 ? 'MQIsdp' : 'MQTT', protocolVersion: version, clean: true, keepalive: 0, clientId }, version));
  socket.write(encodePacket({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: filter, qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0 }] }, version));
  let start = -1;
  await until(() => (start = afterSuback(Buffer.concat(chunks))) >= 0, `${clientId} SUBACK`);
  return { socket, bytes: () => Buffer.concat(chunks).subarray(start) };
}

/** The offset just past the first SUBACK frame in `buf`, or -1 while it is not all there. */
function afterSuback(buf: Buffer): number {
  let pos = 0;
  while (pos + 2 <= buf.length) {
    let len = 0;
    let i = pos + 1;
    for (let mult = 1; i < buf.length; i++, mult *= 128) {
      len += (buf[i]! & 0x7f) * mult;
      if ((buf[i]! & 0x80) === 0) break;
    }
    const end = i + 1 + len;
    if (i >= buf.length || end > buf.length) return -1;
    if (buf[pos]! >> 4 === 9) return end;
    pos = end;
  }
  return -1;
}

test('[MQTT-3.3.1-9] subscribers of each version get exactly the encoder\'s bytes, whatever the publisher sent', async (t) => {
  const b = await startBroker(t);
  const subs = await Promise.all(([3, 4, 5] as ProtocolVersion[]).map((v) => rawSubscriber(b.port, v, `sub${v}`, 'fwd/+')));
  t.after(() => subs.forEach((s) => s.socket.destroy()));
  const pub = await RawClient.open(t, b.port, 4);
  await pub.connect('pub');
  const plain = encodePacket(publish('fwd/a', Buffer.from('one')), 4);
  // over-long Remaining Length (allowed in 3.1.1) and RETAIN 1: both are re-encoded
  const overlong = Buffer.concat([Buffer.from([0x30, 0x80 | plain[1]!, 0x00]), plain.subarray(2)]);
  const retained = encodePacket(publish('fwd/b', Buffer.from('two'), { retain: true }), 4);
  pub.socket.write(Buffer.concat([plain, overlong, retained]));
  const expected = (v: ProtocolVersion): Buffer => Buffer.concat([
    encodePacket(publish('fwd/a', Buffer.from('one')), v),
    encodePacket(publish('fwd/a', Buffer.from('one')), v),
    encodePacket(publish('fwd/b', Buffer.from('two')), v), // RETAIN 0 to an established subscription
  ]);
  for (const [i, v] of ([3, 4, 5] as ProtocolVersion[]).entries()) {
    await until(() => subs[i]!.bytes().length >= expected(v).length, `sub${v} messages`);
    assert.deepEqual(subs[i]!.bytes(), expected(v), `3.1.1 publisher -> ${v} subscriber`);
  }
});

test('a 5.0 publisher\'s PUBLISH without properties reaches 5.0 and 3.1.1 subscribers in their own encodings', async (t) => {
  const b = await startBroker(t);
  const subs = await Promise.all(([4, 5] as ProtocolVersion[]).map((v) => rawSubscriber(b.port, v, `s${v}`, 'five/#')));
  t.after(() => subs.forEach((s) => s.socket.destroy()));
  const pub = await RawClient.open(t, b.port, 5);
  await pub.connect('pub5');
  pub.send(publish('five/x', Buffer.from('abc')));
  pub.send(publish('five/x', Buffer.from('def'), { properties: { contentType: 'text/plain' } }));
  for (const [i, v] of ([4, 5] as ProtocolVersion[]).entries()) {
    const want = Buffer.concat([
      encodePacket(publish('five/x', Buffer.from('abc')), v),
      encodePacket(publish('five/x', Buffer.from('def'), v === 5 ? { properties: { contentType: 'text/plain' } } : {}), v),
    ]);
    await until(() => subs[i]!.bytes().length >= want.length, `s${v} messages`);
    assert.deepEqual(subs[i]!.bytes(), want);
  }
});
