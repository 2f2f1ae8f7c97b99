// Every limit has a defined behaviour at the edge: drop and count, queue and count, or refuse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mqttClient, nextMessages, RawClient, rawMqttClient, startBroker, sleep, until } from './support.js';

test('--max-queued: an offline session queues QoS 1 up to the limit, drops and counts the rest', async (t) => {
  const b = await startBroker(t, { maxQueued: 3 });
  const opts = { protocolVersion: 4 as const, clientId: 'offline1', clean: false };
  const s = await mqttClient(t, b, opts);
  await s.subscribeAsync('q', { qos: 1 });
  await s.endAsync();
  const pub = await mqttClient(t, b);
  for (let i = 0; i < 5; i++) await pub.publishAsync('q', `m${i}`, { qos: 1 });
  assert.equal(b.broker.stats.droppedQueueFull, 2);
  assert.equal(b.broker.queuedCount, 3);
  assert.equal(b.broker.sysSnapshot().get('$SYS/broker/publish/messages/dropped'), '2');
  const again = rawMqttClient(t, b, opts);
  const msgs = await nextMessages(again, 3);
  assert.deepEqual(msgs.map((m) => m.payload), ['m0', 'm1', 'm2']);
});

test('--max-queued-bytes: queued payload bytes are bounded too', async (t) => {
  const b = await startBroker(t, { maxQueuedBytes: 10 });
  const s = await mqttClient(t, b, { clientId: 'offline2', clean: false });
  await s.subscribeAsync('q', { qos: 2 });
  await s.endAsync();
  const pub = await mqttClient(t, b);
  for (let i = 0; i < 4; i++) await pub.publishAsync('q', 'four', { qos: 2 });
  assert.equal(b.broker.queuedBytes, 8);
  assert.equal(b.broker.stats.droppedQueueFull, 2);
});

test('--max-inflight: [MQTT-4.9.0-2] no more unacknowledged QoS 1 PUBLISHes than the window; an ack releases the next', async (t) => {
  const b = await startBroker(t, { maxInflight: 2 });
  const raw = await RawClient.open(t, b.port, 4);
  await raw.connect('window');
  raw.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'w', qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0 }] });
  await raw.expect('suback');
  const pub = await mqttClient(t, b);
  for (let i = 0; i < 5; i++) await pub.publishAsync('w', `m${i}`, { qos: 1 });
  await until(() => raw.count('publish') === 2, 'two PUBLISHes');
  await sleep(200);
  assert.equal(raw.count('publish'), 2);
  const first = await raw.expect('publish');
  raw.send({ type: 'puback', packetId: first.packetId! });
  await until(() => raw.count('publish') === 2, 'the third PUBLISH');
  assert.equal(b.broker.queuedCount, 2);
});

test('--max-output-buffer: a subscriber that stops reading loses QoS 0 (counted), others get everything', async (t) => {
  const payload = Buffer.alloc(256 * 1024, 0x61);
  const total = 100;
  const b = await startBroker(t, { maxOutputBuffer: 512 * 1024, maxPacketSize: 1024 * 1024 });
  const slow = await RawClient.open(t, b.port, 4);
  await slow.connect('slow');
  slow.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'big', qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0 }] });
  await slow.expect('suback');
  slow.socket.pause(); // stops reading: the kernel buffers fill, then the broker's
  const canary = await mqttClient(t, b);
  await canary.subscribeAsync('big', { qos: 0 });
  let received = 0;
  canary.on('message', () => received++);
  const pub = await mqttClient(t, b);
  for (let i = 0; i < total; i++) await pub.publishAsync('big', payload, { qos: 1 });
  await until(() => received === total, `the canary to get all ${total} messages`);
  assert.ok(b.broker.stats.droppedQos0 > 0, 'QoS 0 to the stalled subscriber was dropped and counted');
  assert.equal(b.broker.sysSnapshot().get('$SYS/broker/dropped/qos0'), String(b.broker.stats.droppedQos0));
});

for (const version of [4, 5] as const) {
  test(`${version === 5 ? 'v5' : 'v3.1.1'} --max-connections: a connection over the limit is refused at CONNECT`, async (t) => {
    const b = await startBroker(t, { maxConnections: 2 });
    await mqttClient(t, b);
    await mqttClient(t, b);
    const third = await RawClient.open(t, b.port, version);
    const ack = await third.connect('third');
    assert.equal(ack.reasonCode, version === 5 ? 0x89 : 3);
    await until(() => third.closed, 'the refused connection to close');
  });
}

test('v5 --max-packet-size: a larger packet from a client gets DISCONNECT 0x95 and a close', async (t) => {
  const b = await startBroker(t, { maxPacketSize: 128 });
  const raw = await RawClient.open(t, b.port, 5);
  const ack = await raw.connect('big');
  assert.equal(ack.properties?.maximumPacketSize, 128);
  raw.send({ type: 'publish', topic: 't', payload: Buffer.alloc(200), qos: 0, retain: false, dup: false });
  const d = await raw.expect('disconnect');
  assert.equal(d.reasonCode, 0x95);
  await until(() => raw.closed, 'close');
});

test('v5 [MQTT-3.1.2-24] [MQTT-3.1.2-25] a message larger than the client Maximum Packet Size is not sent (and counted)', async (t) => {
  const b = await startBroker(t);
  const raw = await RawClient.open(t, b.port, 5);
  await raw.connect('small', { properties: { maximumPacketSize: 64 } });
  raw.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 's', qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0 }] });
  await raw.expect('suback');
  const pub = await mqttClient(t, b);
  await pub.publishAsync('s', Buffer.alloc(100), { qos: 1 });
  await pub.publishAsync('s', 'fits', { qos: 1 });
  const p = await raw.expect('publish');
  assert.equal(p.payload.toString(), 'fits');
  assert.equal(b.broker.stats.droppedTooLarge, 1);
});

test('v5 [MQTT-3.3.4-7] a client exceeding our Receive Maximum with QoS 2 gets DISCONNECT 0x93', async (t) => {
  const b = await startBroker(t, { maxInflight: 2 });
  const raw = await RawClient.open(t, b.port, 5);
  const ack = await raw.connect('flood');
  assert.equal(ack.properties?.receiveMaximum, 2);
  for (let id = 1; id <= 3; id++) raw.send({ type: 'publish', topic: 'x', payload: Buffer.from('q2'), qos: 2, retain: false, dup: false, packetId: id });
  const d = await raw.expect('disconnect');
  assert.equal(d.reasonCode, 0x93);
});

test('--max-keepalive: 5.0 gets Server Keep Alive, 3.1.1 asking for more is refused', async (t) => {
  const b = await startBroker(t, { maxKeepalive: 10 });
  const v5 = await RawClient.open(t, b.port, 5);
  const ack5 = await v5.connect('ka5', { keepalive: 100 });
  assert.equal(ack5.reasonCode, 0);
  assert.equal(ack5.properties?.serverKeepAlive, 10);
  const v4 = await RawClient.open(t, b.port, 4);
  const ack4 = await v4.connect('ka4', { keepalive: 100 });
  assert.equal(ack4.reasonCode, 2);
  await until(() => v4.closed, 'close');
});
