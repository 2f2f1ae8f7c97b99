// SUBSCRIBE is answered by one SUBACK with its packet id and one code per filter, in order; messages
// flow at min(published QoS, granted QoS).
import assert from 'node:assert/strict';
import { both, broker, connected, uid } from './support.js';
import { subscribe } from '../helpers/raw-packets.js';

both(
  {
    v4: 'v3.1.1 [MQTT-3.8.4-1] [MQTT-3.8.4-2] [MQTT-3.8.4-4] [MQTT-3.8.4-5] [MQTT-3.9.3-1] [MQTT-3.9.3-2] [MQTT-2.3.1-7]',
    v5: 'v5 [MQTT-3.8.4-1] [MQTT-3.8.4-2] [MQTT-3.8.4-5] [MQTT-3.8.4-6] [MQTT-3.8.4-7] [MQTT-3.9.3-1] [MQTT-3.9.3-2] [MQTT-2.2.1-6]',
  },
  'a SUBSCRIBE with three filters gets one SUBACK with the granted QoS of each, in order',
  async (level, t) => {
    const b = await broker(t);
    const r = uid('s');
    const c = await connected(t, b, level);
    c.send(subscribe(level, 0xbeef, [{ filter: `${r}/2`, qos: 2 }, { filter: `${r}/0`, qos: 0 }, { filter: `${r}/1`, qos: 1 }]));
    const ack = await c.expectPacket('SUBACK');
    assert.equal(ack.packetId, 0xbeef);
    assert.deepEqual(ack.reasonCodes, [2, 0, 1]);
    await c.expectNothing(200);
  },
);

both({ v4: 'v3.1.1 [MQTT-3.8.4-6]', v5: 'v5 [MQTT-3.8.4-8]' }, 'messages are delivered at min(published QoS, granted QoS)', async (level, t) => {
  const b = await broker(t);
  const r = uid('m');
  const s0 = await connected(t, b, level, {}, 's0');
  await s0.subscribe([{ filter: r, qos: 0 }]);
  const s1 = await connected(t, b, level, {}, 's1');
  await s1.subscribe([{ filter: r, qos: 1 }]);
  s1.autoAck = true;
  const pub = await connected(t, b, level, {}, 'pub');
  await pub.publishQos2({ topic: r, payload: 'q2' }, 1);
  pub.publish({ topic: r, payload: 'q0' });
  assert.deepEqual((await s0.collect('PUBLISH', 2)).map((m) => m.qos), [0, 0]);
  assert.deepEqual((await s1.collect('PUBLISH', 2)).map((m) => m.qos), [1, 0]);
});

both(
  { v4: 'v3.1.1 [MQTT-3.8.4-3]', v5: 'v5 [MQTT-3.8.4-3]' },
  'subscribing again to the same filter replaces the subscription (new QoS, still one copy)',
  async (level, t) => {
    const b = await broker(t);
    const r = uid('rep');
    const s = await connected(t, b, level, {}, 'sub');
    await s.subscribe([{ filter: r, qos: 0 }], 1);
    await s.subscribe([{ filter: r, qos: 1 }], 2);
    s.autoAck = true;
    const pub = await connected(t, b, level, {}, 'pub');
    await pub.publishQos1({ topic: r, payload: 'x' });
    const m = await s.expectPacket('PUBLISH');
    assert.equal(m.qos, 1);
    await s.expectNothing(300);
  },
);
