// How a connection hands bytes to its stream (connection.ts, docs/latency.md): what one input chunk makes leaves
// when that chunk is handled, a lone packet in a write of its own (no cork, no nextTick hop: the latency path),
// several packets for one client in one writev (the throughput path), and writes made outside any input (an
// embedder's publish, a timer) on the next tick. The links are in-process streams that record every write call.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import { Broker } from '../../src/broker/broker.js';
import { createMessage } from '../../src/broker/message.js';
import { encodePacket, PacketDecoder } from '../../src/protocol/index.js';
import type { Packet, ProtocolVersion } from '../../src/protocol/packets.js';

/** A client's end of a link as the broker sees it: every _write / _writev call is kept as one entry. */
class RecordingLink extends Duplex {
  readonly writes: Buffer[][] = [];
  ended = false;
  override _read(): void {}
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.writes.push([chunk]);
    cb();
  }
  override _writev(chunks: { chunk: Buffer }[], cb: (err?: Error | null) => void): void {
    this.writes.push(chunks.map((c) => c.chunk));
    cb();
  }
  override _final(cb: (err?: Error | null) => void): void {
    // the broker ended its side: the client's side ends too, as a TCP peer would, and the link closes
    this.ended = true;
    cb();
    this.push(null);
  }

  /** Every packet the broker wrote so far, in order. */
  packets(version: ProtocolVersion): Packet[] {
    const out: Packet[] = [];
    const decoder = new PacketDecoder({ protocolVersion: version });
    for (const call of this.writes) for (const buf of call) decoder.push(buf, (p) => out.push(p));
    return out;
  }
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function startBroker(t: TestContext): Broker {
  const broker = new Broker({ sysInterval: 0 });
  t.after(() => broker.close());
  return broker;
}

/** Opens a client on `broker` and waits for its CONNACK (and SUBACK when it subscribes). */
async function client(broker: Broker, clientId: string, version: ProtocolVersion, subscribeTo?: string, qos: 0 | 1 = 0): Promise<RecordingLink> {
  const link = new RecordingLink();
  broker.handleLink({
    stream: link,
    info: { transport: 'tcp', listener: 'test', remoteAddress: '127.0.0.1', remotePort: 1, localAddress: '127.0.0.1', localPort: 2 },
  });
  await tick(); // the stream starts flowing on the next tick: from then on a push is read at once, as a socket's
  link.push(encodePacket({ type: 'connect', protocolName: 'MQTT', protocolVersion: version, clientId, clean: true, keepalive: 0 }, version));
  if (subscribeTo !== undefined) {
    link.push(encodePacket({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: subscribeTo, qos, noLocal: false, retainAsPublished: false, retainHandling: 0 }] }, version));
  }
  await tick();
  assert.equal(link.packets(version).length, subscribeTo === undefined ? 1 : 2, 'CONNACK (and SUBACK) received');
  link.writes.length = 0;
  return link;
}

function publish(topic: string, payload: string, version: ProtocolVersion, qos: 0 | 1 = 0, packetId?: number): Buffer {
  return encodePacket({ type: 'publish', topic, payload: Buffer.from(payload), qos, retain: false, dup: false, packetId }, version);
}

for (const version of [4, 5] as const) {
  test(`v${version}: a lone PUBLISH reaches the subscriber while its chunk is read, in a write of its own`, async (t) => {
    const broker = startBroker(t);
    const sub = await client(broker, 'sub', version, 'lat/#');
    const pub = await client(broker, 'pub', version);
    pub.push(publish('lat/1', 'one', version));
    // no tick in between: the delivery left during the publisher's read, not on a later turn
    assert.equal(sub.writes.length, 1);
    assert.equal(sub.writes[0]!.length, 1, 'a single write, not a corked batch');
    const [p] = sub.packets(version);
    assert.equal(p?.type, 'publish');
    assert.equal(p.type === 'publish' && p.payload.toString(), 'one');
  });

  test(`v${version}: PUBLISHes read in one chunk reach a subscriber in one batched write, in order`, async (t) => {
    const broker = startBroker(t);
    const sub = await client(broker, 'sub', version, 'fan/#');
    const pub = await client(broker, 'pub', version);
    pub.push(Buffer.concat([publish('fan/1', 'a', version), publish('fan/1', 'b', version), publish('fan/1', 'c', version)]));
    assert.equal(sub.writes.length, 1, 'one write call for the whole chunk');
    assert.equal(sub.writes[0]!.length, 3);
    const payloads = sub.packets(version).map((p) => (p.type === 'publish' ? p.payload.toString() : p.type));
    assert.deepEqual(payloads, ['a', 'b', 'c']); // ordered topic: 3.1.1 [MQTT-4.6.0-6], 5.0 [MQTT-4.6.0-5]
  });

  test(`v${version}: a QoS 1 PUBLISH gets its PUBACK and its delivery in the same turn [MQTT-4.3.2-4]`, async (t) => {
    const broker = startBroker(t);
    const sub = await client(broker, 'sub', version, 'q1/#', 1);
    const pub = await client(broker, 'pub', version);
    pub.push(publish('q1/x', 'hello', version, 1, 7));
    const acks = pub.packets(version);
    assert.equal(acks.length, 1);
    assert.equal(acks[0]!.type, 'puback');
    assert.equal(acks[0]!.type === 'puback' && acks[0]!.packetId, 7);
    const delivered = sub.packets(version);
    assert.equal(delivered.length, 1);
    assert.equal(delivered[0]!.type === 'publish' && delivered[0]!.qos, 1);
  });
}

test('a message published outside any read (embedder, timer) leaves on the next tick', async (t) => {
  const broker = startBroker(t);
  const sub = await client(broker, 'sub', 4, 'emb/#');
  broker.publish(createMessage('emb/a', Buffer.from('1'), 0, false, undefined, Date.now(), undefined), undefined);
  broker.publish(createMessage('emb/b', Buffer.from('2'), 0, false, undefined, Date.now(), undefined), undefined);
  assert.equal(sub.writes.length, 0, 'held for the batch');
  await new Promise((resolve) => process.nextTick(resolve));
  assert.equal(sub.writes.length, 1, 'both in one write, one tick later');
  assert.deepEqual(sub.packets(4).map((p) => (p.type === 'publish' ? p.topic : p.type)), ['emb/a', 'emb/b']);
});

test('v5: bytes written just before a server DISCONNECT leave ahead of it and of the end of the stream [MQTT-4.13.1-1]', async (t) => {
  const broker = startBroker(t);
  const c = await client(broker, 'c', 5);
  // PINGREQ, then a PUBLISH with QoS 3 (malformed): PINGRESP, then DISCONNECT 0x81, then the end
  c.push(Buffer.concat([encodePacket({ type: 'pingreq' }, 5), Buffer.from([0x36, 0x00])]));
  const types = c.packets(5).map((p) => p.type);
  assert.deepEqual(types, ['pingresp', 'disconnect']);
  const d = c.packets(5)[1]!;
  assert.equal(d.type === 'disconnect' && d.reasonCode, 0x81);
  await tick();
  assert.ok(c.ended, 'the stream was ended after the DISCONNECT');
});
