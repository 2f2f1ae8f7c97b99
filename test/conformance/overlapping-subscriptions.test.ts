// Several subscriptions of one client matching a message: one copy at the highest granted QoS,
// carrying every matching subscription identifier (5.0).
import assert from 'node:assert/strict';
import { both, broker, connected, uid } from './support.js';

both({ v4: 'v3.1.1 [MQTT-3.3.5-1]', v5: 'v5 [MQTT-3.3.4-2]' }, 'overlapping subscriptions deliver one copy at the maximum granted QoS', async (level, t) => {
  const b = await broker(t);
  const r = uid('o');
  const s = await connected(t, b, level);
  await s.subscribe([{ filter: `${r}/#`, qos: 0 }, { filter: `${r}/+`, qos: 2 }, { filter: `${r}/x`, qos: 1 }]);
  s.autoAck = true;
  const pub = await connected(t, b, level, {}, 'pub');
  await pub.publishQos2({ topic: `${r}/x`, payload: 'once' });
  const m = await s.expectPacket('PUBLISH');
  assert.equal(m.qos, 2);
  await s.expectPacket('PUBREL');
  await s.expectNothing(400);
});

both({ v5: 'v5 [MQTT-3.3.4-3] [MQTT-3.3.4-4]' }, 'the single copy carries every matching subscription identifier', async (level, t) => {
  const b = await broker(t);
  const r = uid('o');
  const s = await connected(t, b, level);
  await s.subscribe([{ filter: `${r}/#`, qos: 1 }], 1, { subscriptionIdentifiers: [11] });
  await s.subscribe([{ filter: `${r}/+`, qos: 0 }], 2, { subscriptionIdentifiers: [22] });
  await s.subscribe([{ filter: `${r}/x` }], 3);
  s.autoAck = true;
  const pub = await connected(t, b, level, {}, 'pub');
  await pub.publishQos1({ topic: `${r}/x`, payload: 'ids' });
  const m = await s.expectPacket('PUBLISH');
  assert.deepEqual([...(m.props?.subscriptionIdentifiers ?? [])].sort((a, z) => a - z), [11, 22]);
  await s.expectNothing(300);
});
