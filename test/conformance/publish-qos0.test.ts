// QoS 0 delivery: the broker forwards with QoS 0, DUP 0, no packet identifier, and answers nothing.
import assert from 'node:assert/strict';
import { both, broker, connected, uid } from './support.js';
import { publish } from '../helpers/raw-packets.js';

both(
  {
    v4: 'v3.1.1 [MQTT-4.3.1-1] [MQTT-3.3.1-2] [MQTT-2.3.1-5] [MQTT-3.3.4-1]',
    v5: 'v5 [MQTT-4.3.1-1] [MQTT-3.3.1-2] [MQTT-2.2.1-2] [MQTT-3.3.4-1] [MQTT-2.2.2-1]',
  },
  'a QoS 0 PUBLISH is forwarded as QoS 0, DUP 0, without packet id, and not acknowledged',
  async (level, t) => {
    const b = await broker(t);
    const topic = `q0/${uid()}`;
    const sub = await connected(t, b, level, {}, 'sub');
    await sub.subscribe([{ filter: topic, qos: 2 }]);
    const pub = await connected(t, b, level, {}, 'pub');
    pub.publish({ topic, payload: 'hello' });
    const expected = publish(level, { topic, payload: 'hello' });
    await sub.expectBytes(expected);
    await pub.expectNothing(200);
    assert.equal(sub.received.at(-1)!.packetId, undefined);
  },
);
