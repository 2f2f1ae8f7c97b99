// QoS 2 from a publisher that loses its connection between PUBREC and PUBREL: its resend is
// recognised, and subscribers get the message exactly once.
import assert from 'node:assert/strict';
import { both, broker, connected, sleep, uid } from './support.js';
import { publish, pubrel } from '../helpers/raw-packets.js';

both(
  { v4: 'v3.1.1 [MQTT-4.3.3-2] [MQTT-4.4.0-1]', v5: 'v5 [MQTT-4.3.3-10] [MQTT-4.4.0-1]' },
  'a QoS 2 PUBLISH re-sent after reconnect is delivered once',
  async (level, t) => {
    const b = await broker(t);
    const id = uid();
    const topic = `eo/${id}`;
    const props = level === 5 ? { sessionExpiryInterval: 300 } : undefined;
    const sub = await connected(t, b, level, {}, 'sub');
    await sub.subscribe([{ filter: topic, qos: 2 }]);
    sub.autoAck = true;
    const pub = await connected(t, b, level, { clientId: id, clean: false, props }, 'pub');
    pub.send(publish(level, { topic, payload: 'exactly once', qos: 2, packetId: 5 }));
    await pub.expectPacket('PUBREC');
    pub.destroy();
    await sleep(100);
    const again = await connected(t, b, level, { clientId: id, clean: false, props }, 'again');
    assert.equal(again.received[0]!.sessionPresent, true);
    again.send(publish(level, { topic, payload: 'exactly once', qos: 2, packetId: 5, dup: true }));
    assert.equal((await again.expectPacket('PUBREC')).packetId, 5);
    again.send(pubrel(level, 5));
    assert.equal((await again.expectPacket('PUBCOMP')).packetId, 5);
    const got = await sub.expectPacket('PUBLISH');
    assert.equal(got.payload!.toString(), 'exactly once');
    await sub.expectPacket('PUBREL');
    await sub.expectNothing(400);
  },
);
