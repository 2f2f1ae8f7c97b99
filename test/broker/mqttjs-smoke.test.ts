// End-to-end smoke tests with a real client (MQTT.js) against createBroker({ port: 0 }).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mqttClient, nextMessages, rawMqttClient, startBroker, sleep, until } from './support.js';

for (const protocolVersion of [4, 5] as const) {
  const v = protocolVersion === 5 ? 'v5' : 'v3.1.1';

  test(`${v} [MQTT-4.3.1-1] [MQTT-4.3.2-2] [MQTT-4.3.3-2] QoS 0, 1 and 2 arrive at min(publish, granted) QoS`, async (t) => {
    const b = await startBroker(t);
    const sub = await mqttClient(t, b, { protocolVersion });
    const pub = await mqttClient(t, b, { protocolVersion });
    await sub.subscribeAsync('q/#', { qos: 2 });
    await sub.subscribeAsync('low/#', { qos: 1 });
    const got = nextMessages(sub, 4);
    await pub.publishAsync('q/0', 'zero', { qos: 0 });
    await pub.publishAsync('q/1', 'one', { qos: 1 });
    await pub.publishAsync('q/2', 'two', { qos: 2 });
    await pub.publishAsync('low/2', 'capped', { qos: 2 });
    const msgs = await got;
    assert.deepEqual(msgs.map((m) => [m.topic, m.payload, m.packet.qos]), [
      ['q/0', 'zero', 0], ['q/1', 'one', 1], ['q/2', 'two', 2], ['low/2', 'capped', 1],
    ]);
  });

  test(`${v} [MQTT-3.3.1-5] [MQTT-3.3.1-6] retained messages reach later subscribers; an empty payload clears`, async (t) => {
    const b = await startBroker(t);
    const pub = await mqttClient(t, b, { protocolVersion });
    await pub.publishAsync('r/a', 'kept', { qos: 1, retain: true });
    await pub.publishAsync('r/b', 'gone', { qos: 1, retain: true });
    await pub.publishAsync('r/b', '', { qos: 1, retain: true });
    const sub = await mqttClient(t, b, { protocolVersion });
    const got = nextMessages(sub, 1);
    await sub.subscribeAsync('r/+', { qos: 1 });
    const [m] = await got;
    assert.equal(m!.topic, 'r/a');
    assert.equal(m!.packet.retain, true);
    await sleep(100);
    assert.equal(b.broker.retainedCount, 1);
  });

  test(`${v} [MQTT-3.1.2-8] the will of a killed client is published`, async (t) => {
    const b = await startBroker(t);
    const watcher = await mqttClient(t, b, { protocolVersion });
    await watcher.subscribeAsync('status/#', { qos: 1 });
    const doomed = await mqttClient(t, b, { protocolVersion, will: { topic: 'status/doomed', payload: Buffer.from('gone'), qos: 1, retain: false } });
    const got = nextMessages(watcher, 1);
    doomed.stream.destroy(); // network loss, no DISCONNECT
    const [m] = await got;
    assert.deepEqual([m!.topic, m!.payload], ['status/doomed', 'gone']);
  });

  test(`${v} [MQTT-3.14.4-3] a normal DISCONNECT discards the will`, async (t) => {
    const b = await startBroker(t);
    const watcher = await mqttClient(t, b, { protocolVersion });
    await watcher.subscribeAsync('status/#', { qos: 1 });
    let wills = 0;
    watcher.on('message', () => wills++);
    const polite = await mqttClient(t, b, { protocolVersion, will: { topic: 'status/polite', payload: Buffer.from('gone'), qos: 1, retain: false } });
    await polite.endAsync();
    await until(() => b.broker.clients().length === 1, 'the client to leave');
    await sleep(200);
    assert.equal(wills, 0);
  });

  test(`${v} [MQTT-3.1.2-5] [MQTT-4.4.0-1] a persistent session gets the QoS 1 messages queued while it was away`, async (t) => {
    const b = await startBroker(t);
    const opts = protocolVersion === 5
      ? { protocolVersion, clientId: 'resume5', clean: false, properties: { sessionExpiryInterval: 300 } }
      : { protocolVersion, clientId: 'resume4', clean: false };
    const first = await mqttClient(t, b, opts);
    await first.subscribeAsync('queue/#', { qos: 1 });
    await first.endAsync();
    const pub = await mqttClient(t, b, { protocolVersion });
    for (let i = 0; i < 3; i++) await pub.publishAsync(`queue/${i}`, `m${i}`, { qos: 1 });
    await pub.publishAsync('queue/q0', 'dropped: QoS 0 is not queued', { qos: 0 });
    let present: boolean | undefined;
    const again = rawMqttClient(t, b, opts);
    again.on('connect', (ack) => (present = ack.sessionPresent));
    const msgs = await nextMessages(again, 3);
    assert.equal(present, true);
    assert.deepEqual(msgs.map((m) => m.payload), ['m0', 'm1', 'm2']);
  });

  test(`${v} shared subscriptions deliver each message to one member, in turn`, async (t) => {
    const b = await startBroker(t);
    const a = await mqttClient(t, b, { protocolVersion });
    const c = await mqttClient(t, b, { protocolVersion });
    await a.subscribeAsync('$share/workers/jobs/#', { qos: 1 });
    await c.subscribeAsync('$share/workers/jobs/#', { qos: 1 });
    const gotA = nextMessages(a, 2);
    const gotC = nextMessages(c, 2);
    const pub = await mqttClient(t, b, { protocolVersion });
    for (let i = 0; i < 4; i++) await pub.publishAsync('jobs/x', `j${i}`, { qos: 1 });
    const [ma, mc] = await Promise.all([gotA, gotC]);
    assert.deepEqual([...ma.map((m) => m.payload), ...mc.map((m) => m.payload)].sort(), ['j0', 'j1', 'j2', 'j3']);
  });
}

test('v5 [MQTT-3.3.2-15] [MQTT-3.3.2-16] [MQTT-3.3.2-18] [MQTT-3.3.2-20] publish properties are forwarded unchanged, user properties in order', async (t) => {
  const b = await startBroker(t);
  const sub = await mqttClient(t, b, { protocolVersion: 5 });
  await sub.subscribeAsync('props/#', { qos: 1, properties: { subscriptionIdentifier: 42 } });
  const pub = await mqttClient(t, b, { protocolVersion: 5 });
  const got = nextMessages(sub, 1);
  await pub.publishAsync('props/a', '{"x":1}', {
    qos: 1,
    properties: {
      payloadFormatIndicator: true,
      contentType: 'application/json',
      responseTopic: 'reply/here',
      correlationData: Buffer.from([1, 2, 3]),
      messageExpiryInterval: 120,
      userProperties: { b: '2', a: '1' },
    },
  });
  const [m] = await got;
  const p = m!.packet.properties!;
  assert.equal(p.payloadFormatIndicator, true);
  assert.equal(p.contentType, 'application/json');
  assert.equal(p.responseTopic, 'reply/here');
  assert.deepEqual(p.correlationData, Buffer.from([1, 2, 3]));
  assert.ok(p.messageExpiryInterval! <= 120 && p.messageExpiryInterval! >= 119);
  assert.deepEqual(Object.keys(p.userProperties!), ['b', 'a']);
  assert.deepEqual(p.subscriptionIdentifier, 42);
});

test('v5 [MQTT-3.1.4-3] a second connection with the same client id takes over: the first gets DISCONNECT 0x8E', async (t) => {
  const b = await startBroker(t);
  const first = await mqttClient(t, b, { protocolVersion: 5, clientId: 'twin' });
  const reason = new Promise<number | undefined>((resolve) => first.on('disconnect', (p) => resolve(p.reasonCode)));
  await mqttClient(t, b, { protocolVersion: 5, clientId: 'twin' });
  assert.equal(await reason, 0x8e);
});

test('v5 close() sends DISCONNECT 0x8B (server shutting down) to 5.0 clients', async (t) => {
  const b = await startBroker(t);
  const c = await mqttClient(t, b, { protocolVersion: 5 });
  const reason = new Promise<number | undefined>((resolve) => c.on('disconnect', (p) => resolve(p.reasonCode)));
  await b.close();
  assert.equal(await reason, 0x8b);
});
