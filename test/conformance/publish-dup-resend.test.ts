// Unacknowledged QoS 1/2 messages are re-sent with DUP 1 and the original packet id when the
// session resumes; a PUBREL already sent is re-sent instead of the PUBLISH.
import assert from 'node:assert/strict';
import { both, broker, connected, sleep, uid } from './support.js';
import { pubcomp, pubrec } from '../helpers/raw-packets.js';

const keep = (level: number) => (level === 5 ? { sessionExpiryInterval: 300 } : undefined);

both(
  { v4: 'v3.1.1 [MQTT-4.4.0-1] [MQTT-3.3.1-1] [MQTT-4.3.2-1]', v5: 'v5 [MQTT-4.4.0-1] [MQTT-3.3.1-1] [MQTT-4.3.2-3]' },
  'an unacknowledged QoS 1 PUBLISH is re-sent with DUP 1 and the same id on resume',
  async (level, t) => {
    const b = await broker(t);
    const id = uid();
    const topic = `dup/${id}`;
    const sub = await connected(t, b, level, { clientId: id, clean: false, props: keep(level) }, 'sub');
    await sub.subscribe([{ filter: topic, qos: 1 }]);
    const pub = await connected(t, b, level, {}, 'pub');
    await pub.publishQos1({ topic, payload: 'resend me' });
    const first = await sub.expectPacket('PUBLISH');
    assert.equal(first.dup, false);
    sub.destroy();
    await sleep(100);
    const again = await connected(t, b, level, { clientId: id, clean: false, props: keep(level) }, 'again');
    const resent = await again.expectPacket('PUBLISH');
    assert.equal(resent.dup, true);
    assert.equal(resent.packetId, first.packetId);
    assert.equal(resent.payload!.toString(), 'resend me');
  },
);

both(
  { v4: 'v3.1.1 [MQTT-4.4.0-1] [MQTT-4.3.3-1]', v5: 'v5 [MQTT-4.4.0-1] [MQTT-4.3.3-6] [MQTT-4.3.3-5]' },
  'after PUBREC, a resumed session gets the PUBREL again, never the PUBLISH',
  async (level, t) => {
    const b = await broker(t);
    const id = uid();
    const topic = `dup/${id}`;
    const sub = await connected(t, b, level, { clientId: id, clean: false, props: keep(level) }, 'sub');
    await sub.subscribe([{ filter: topic, qos: 2 }]);
    const pub = await connected(t, b, level, {}, 'pub');
    await pub.publishQos2({ topic, payload: 'q2' });
    const msg = await sub.expectPacket('PUBLISH');
    sub.send(pubrec(level, msg.packetId!));
    await sub.expectPacket('PUBREL');
    sub.destroy();
    await sleep(100);
    const again = await connected(t, b, level, { clientId: id, clean: false, props: keep(level) }, 'again');
    const rel = await again.expectPacket('PUBREL');
    assert.equal(rel.packetId, msg.packetId);
    again.send(pubcomp(level, msg.packetId!));
    await again.expectNothing(300);
  },
);
