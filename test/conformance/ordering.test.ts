// Ordered topics: messages of one publisher on one topic at one QoS arrive in the order sent.
import assert from 'node:assert/strict';
import { both, broker, connected, uid } from './support.js';
import { publish } from '../helpers/raw-packets.js';

both({ v4: 'v3.1.1 [MQTT-4.6.0-5] [MQTT-4.6.0-6] [MQTT-7.1.1-1]', v5: 'v5 [MQTT-4.6.0-5] [MQTT-4.6.0-6] [MQTT-4.2.0-1]' }, '200 QoS 1 messages arrive in publish order', async (level, t) => {
  const b = await broker(t);
  const r = uid('ord');
  const s = await connected(t, b, level, {}, 'sub');
  await s.subscribe([{ filter: r, qos: 1 }]);
  s.autoAck = true;
  const pub = await connected(t, b, level, {}, 'pub');
  const N = 200;
  pub.send(...Array.from({ length: N }, (_, i) => publish(level, { topic: r, payload: String(i), qos: 1, packetId: i + 1 })));
  await pub.collect('PUBACK', N);
  const got = (await s.collect('PUBLISH', N)).map((m) => Number(m.payload!.toString()));
  assert.deepEqual(got, Array.from({ length: N }, (_, i) => i));
});
