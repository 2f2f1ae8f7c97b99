// While a persistent session is disconnected, QoS 1 and 2 messages for it are stored and delivered on resume.
import assert from 'node:assert/strict';
import { both, broker, connected, sleep, uid } from './support.js';
import { pubrel } from '../helpers/raw-packets.js';

both(
  { v4: 'v3.1.1 [MQTT-3.1.2-5] [MQTT-4.5.0-1]', v5: 'v5 [MQTT-3.1.2-5] [MQTT-3.1.2-23] [MQTT-4.5.0-1]' },
  'QoS 1 and QoS 2 messages published while the session is offline arrive on resume',
  async (level, t) => {
    const b = await broker(t);
    const id = uid();
    const topic = `offline/${id}`;
    const props = level === 5 ? { sessionExpiryInterval: 300 } : undefined;
    const sub = await connected(t, b, level, { clientId: id, clean: false, props }, 'sub');
    await sub.subscribe([{ filter: topic, qos: 2 }]);
    sub.destroy();
    await sleep(100);
    const pub = await connected(t, b, level, {}, 'pub');
    await pub.publishQos1({ topic, payload: 'one' }, 1);
    await pub.publishQos2({ topic, payload: 'two' }, 2);
    const again = await connected(t, b, level, { clientId: id, clean: false, props }, 'again');
    again.autoAck = true;
    const msgs = await again.collect('PUBLISH', 2);
    assert.deepEqual(msgs.map((m) => [m.payload!.toString(), m.qos]), [['one', 1], ['two', 2]]);
    again.send(pubrel(level, msgs[1]!.packetId!));
  },
);
