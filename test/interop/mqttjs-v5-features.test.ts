// MQTT.js 5.0 features against the broker: shared subscriptions, topic aliases both ways, flow control.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BOUND, broker, client, collector, LABEL, uid, VERSIONS } from './support.js';

for (const v of VERSIONS) {
  test(`${LABEL[v]}: a shared subscription splits 40 messages between two members, none lost or doubled`, BOUND, async (t) => {
    const b = await broker(t);
    const topic = `interop/shared/${uid()}`;
    const a = await client(t, b, v);
    const c = await client(t, b, v);
    const ga = collector(a);
    const gc = collector(c);
    await a.subscribeAsync(`$share/grp/${topic}`, { qos: 1 });
    await c.subscribeAsync(`$share/grp/${topic}`, { qos: 1 });
    const pub = await client(t, b, v);
    const N = 40;
    for (let i = 0; i < N; i++) await pub.publishAsync(topic, String(i), { qos: 1 });
    const deadline = Date.now() + 5000;
    while (ga.messages.length + gc.messages.length < N && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const all = [...ga.messages, ...gc.messages].map((m) => Number(m.payload)).sort((x, y) => x - y);
    assert.deepEqual(all, Array.from({ length: N }, (_, i) => i));
    assert.ok(ga.messages.length > 0 && gc.messages.length > 0, `split ${ga.messages.length}/${gc.messages.length}`);
  });
}

test(`${LABEL[5]}: topic aliases from the publisher and towards the subscriber resolve to the right topics`, BOUND, async (t) => {
  const b = await broker(t);
  const base = `interop/alias/${uid()}`;
  const sub = await client(t, b, 5, { properties: { topicAliasMaximum: 3 } });
  const got = collector(sub);
  await sub.subscribeAsync(`${base}/#`, { qos: 1 });
  const pub = await client(t, b, 5, { autoUseTopicAlias: true });
  const topics = Array.from({ length: 20 }, (_, i) => `${base}/${i % 5}`);
  for (const topic of topics) await pub.publishAsync(topic, topic, { qos: 1 });
  await pub.publishAsync(`${base}/explicit`, 'set', { qos: 1, properties: { topicAlias: 1 } });
  await pub.publishAsync('', 'use', { qos: 1, properties: { topicAlias: 1 } });
  const msgs = await got.wait(topics.length + 2);
  for (const m of msgs.slice(0, topics.length)) assert.equal(m.topic, m.payload);
  assert.deepEqual(msgs.slice(-2).map((m) => [m.topic, m.payload]), [[`${base}/explicit`, 'set'], [`${base}/explicit`, 'use']]);
});

test(`${LABEL[5]}: a subscriber with Receive Maximum 1 gets all 200 QoS 2 messages, in order`, BOUND, async (t) => {
  const b = await broker(t);
  const topic = `interop/flow/${uid()}`;
  // MQTT.js drops the connection if the broker ever has more than 1 QoS 2 message outstanding to it.
  const sub = await client(t, b, 5, { properties: { receiveMaximum: 1 } });
  const got = collector(sub);
  await sub.subscribeAsync(topic, { qos: 2 });
  const pub = await client(t, b, 5);
  const N = 200;
  // MQTT.js does not throttle itself to the broker's Receive Maximum, so publish in windows below it.
  const WINDOW = 10;
  for (let i = 0; i < N; i += WINDOW) {
    await Promise.all(Array.from({ length: WINDOW }, (_, k) => pub.publishAsync(topic, String(i + k), { qos: 2 })));
  }
  const msgs = await got.wait(N, 20_000);
  assert.deepEqual(msgs.map((m) => Number(m.payload)), Array.from({ length: N }, (_, i) => i));
  assert.equal(sub.connected, true);
});
