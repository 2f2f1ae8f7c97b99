// MQTT.js (3.1.1 and 5.0) against the broker: QoS 0, 1 and 2 delivery and retained messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BOUND, broker, client, collector, LABEL, uid, VERSIONS } from './support.js';

for (const v of VERSIONS) {
  test(`${LABEL[v]}: QoS 0, 1 and 2 messages arrive at the granted QoS`, BOUND, async (t) => {
    const b = await broker(t);
    const topic = `interop/${uid()}`;
    const sub = await client(t, b, v);
    const got = collector(sub);
    await sub.subscribeAsync(topic, { qos: 2 });
    const pub = await client(t, b, v);
    for (const qos of [0, 1, 2] as const) await pub.publishAsync(topic, `q${qos}`, { qos });
    const msgs = await got.wait(3);
    assert.deepEqual(msgs.map((m) => [m.payload, m.packet.qos]).sort(), [['q0', 0], ['q1', 1], ['q2', 2]]);
  });

  test(`${LABEL[v]}: a retained message reaches a later subscriber with the retain flag, and clears`, BOUND, async (t) => {
    const b = await broker(t);
    const topic = `interop/${uid()}`;
    const pub = await client(t, b, v);
    await pub.publishAsync(topic, 'kept', { qos: 1, retain: true });
    const sub = await client(t, b, v);
    const got = collector(sub);
    await sub.subscribeAsync(topic, { qos: 1 });
    const [m] = await got.wait(1);
    assert.equal(m!.payload, 'kept');
    assert.equal(m!.packet.retain, true);
    await pub.publishAsync(topic, '', { qos: 1, retain: true });
    const late = await client(t, b, v);
    const lateGot = collector(late);
    await late.subscribeAsync(topic, { qos: 1 });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(lateGot.messages.length, 0);
  });

  test(`${LABEL[v]}: 500 QoS 1 messages in flight at once all arrive, in order`, BOUND, async (t) => {
    const b = await broker(t);
    const topic = `interop/${uid()}`;
    const sub = await client(t, b, v, v === 5 ? { properties: { receiveMaximum: 10 } } : {});
    const got = collector(sub);
    await sub.subscribeAsync(topic, { qos: 1 });
    const pub = await client(t, b, v);
    const N = 500;
    await Promise.all(Array.from({ length: N }, (_, i) => pub.publishAsync(topic, String(i), { qos: 1 })));
    const msgs = await got.wait(N, 15_000);
    assert.deepEqual(msgs.map((m) => Number(m.payload)), Array.from({ length: N }, (_, i) => i));
  });
}
