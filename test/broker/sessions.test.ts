// Protocol levels and session hand-offs that MQTT.js alone cannot show.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mqttClient, nextMessages, RawClient, startBroker, until } from './support.js';

const sub = (topicFilter: string, qos: 0 | 1 | 2) => ({ topicFilter, qos, noLocal: false, retainAsPublished: false, retainHandling: 0 as const });

test('MQTT 3.1 (MQIsdp): client ids of 1..23 characters are accepted, longer ones get CONNACK 2', async (t) => {
  const b = await startBroker(t);
  const ok = await RawClient.open(t, b.port, 3);
  assert.equal((await ok.connect('a'.repeat(23))).reasonCode, 0);
  const long = await RawClient.open(t, b.port, 3);
  assert.equal((await long.connect('a'.repeat(24))).reasonCode, 2);
  await until(() => long.closed, 'close');
  const empty = await RawClient.open(t, b.port, 3);
  assert.equal((await empty.connect('')).reasonCode, 2);
});

test('MQTT 3.1 clients publish and receive like 3.1.1 clients', async (t) => {
  const b = await startBroker(t);
  const old = await RawClient.open(t, b.port, 3);
  await old.connect('old31');
  old.send({ type: 'subscribe', packetId: 1, subscriptions: [sub('legacy/#', 1)] });
  assert.deepEqual((await old.expect('suback')).reasonCodes, [1]);
  const modern = await mqttClient(t, b, { protocolVersion: 5 });
  await modern.publishAsync('legacy/x', 'from 5.0', { qos: 1 });
  const p = await old.expect('publish');
  assert.equal(p.payload.toString(), 'from 5.0');
  assert.equal(p.qos, 1);
});

test('a shared subscription member that leaves hands its unacknowledged QoS 1 message to another member', async (t) => {
  const b = await startBroker(t);
  const quitter = await RawClient.open(t, b.port, 4);
  await quitter.connect('quitter');
  quitter.send({ type: 'subscribe', packetId: 1, subscriptions: [sub('$share/g/work', 1)] });
  await quitter.expect('suback');
  const stayer = await mqttClient(t, b);
  await stayer.subscribeAsync('$share/g/work', { qos: 1 });
  const pub = await mqttClient(t, b);
  await pub.publishAsync('work', 'job-1', { qos: 1 });
  const held = await quitter.expect('publish'); // delivered, never acknowledged
  assert.equal(held.payload.toString(), 'job-1');
  const got = nextMessages(stayer, 1);
  quitter.socket.destroy();
  assert.equal((await got)[0]!.payload, 'job-1');
});

test('v3.1.1 [MQTT-4.4.0-1] unacknowledged QoS 1 is re-sent with DUP and the same packet id on resume', async (t) => {
  const b = await startBroker(t);
  const first = await RawClient.open(t, b.port, 4);
  await first.connect('dupper', { clean: false });
  first.send({ type: 'subscribe', packetId: 1, subscriptions: [sub('d', 1)] });
  await first.expect('suback');
  const pub = await mqttClient(t, b);
  await pub.publishAsync('d', 'again', { qos: 1 });
  const original = await first.expect('publish');
  assert.equal(original.dup, false);
  first.socket.destroy();
  await until(() => b.broker.clients().length === 1, 'the drop');
  const second = await RawClient.open(t, b.port, 4);
  const ack = await second.connect('dupper', { clean: false });
  assert.equal(ack.sessionPresent, true);
  const resent = await second.expect('publish');
  assert.equal(resent.dup, true);
  assert.equal(resent.packetId, original.packetId);
  assert.equal(resent.payload.toString(), 'again');
});
