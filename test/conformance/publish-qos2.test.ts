// QoS 2 in both directions: PUBREC / PUBREL / PUBCOMP with matching ids, exactly one delivery.
import assert from 'node:assert/strict';
import { both, broker, connected, uid } from './support.js';
import { pubcomp, publish, pubrec, pubrel } from '../helpers/raw-packets.js';
import { FLAGS_0010, RC } from '../helpers/raw-codes.js';

both(
  {
    v4: 'v3.1.1 [MQTT-4.3.3-2] [MQTT-3.3.4-1] [MQTT-2.3.1-6]',
    v5: 'v5 [MQTT-4.3.3-8] [MQTT-4.3.3-10] [MQTT-4.3.3-11] [MQTT-3.5.2-1] [MQTT-3.7.2-1]',
  },
  'a QoS 2 PUBLISH repeated before PUBREL is answered by PUBREC again and delivered once',
  async (level, t) => {
    const b = await broker(t);
    const topic = `q2/${uid()}`;
    const sub = await connected(t, b, level, {}, 'sub');
    await sub.subscribe([{ filter: topic, qos: 0 }]);
    const pub = await connected(t, b, level, {}, 'pub');
    pub.send(publish(level, { topic, payload: 'once', qos: 2, packetId: 42 }));
    const rec = await pub.expectPacket('PUBREC');
    assert.equal(rec.packetId, 42);
    pub.send(publish(level, { topic, payload: 'once', qos: 2, packetId: 42, dup: true }));
    assert.equal((await pub.expectPacket('PUBREC')).packetId, 42);
    pub.send(pubrel(level, 42));
    const comp = await pub.expectPacket('PUBCOMP');
    assert.equal(comp.packetId, 42);
    assert.equal(comp.reasonCode, 0);
    await sub.expectPacket('PUBLISH');
    await sub.expectNothing(300);
  },
);

both(
  { v4: 'v3.1.1 [MQTT-4.3.3-2]', v5: 'v5 [MQTT-4.3.3-12]' },
  'after PUBCOMP, a PUBLISH reusing the packet id is a new message',
  async (level, t) => {
    const b = await broker(t);
    const topic = `q2/${uid()}`;
    const sub = await connected(t, b, level, {}, 'sub');
    await sub.subscribe([{ filter: topic, qos: 0 }]);
    const pub = await connected(t, b, level, {}, 'pub');
    await pub.publishQos2({ topic, payload: 'first' }, 9);
    await pub.publishQos2({ topic, payload: 'second' }, 9);
    const msgs = await sub.collect('PUBLISH', 2);
    assert.deepEqual(msgs.map((m) => m.payload!.toString()), ['first', 'second']);
  },
);

both(
  {
    v4: 'v3.1.1 [MQTT-4.3.3-1] [MQTT-2.3.1-4]',
    v5: 'v5 [MQTT-4.3.3-1] [MQTT-4.3.3-2] [MQTT-4.3.3-3] [MQTT-4.3.3-4] [MQTT-4.3.3-5] [MQTT-3.6.2-1]',
  },
  'the broker as QoS 2 sender: PUBLISH DUP 0, then PUBREL with the same id after PUBREC, done at PUBCOMP',
  async (level, t) => {
    const b = await broker(t);
    const topic = `q2/${uid()}`;
    const sub = await connected(t, b, level, {}, 'sub');
    await sub.subscribe([{ filter: topic, qos: 2 }]);
    const pub = await connected(t, b, level, {}, 'pub');
    await pub.publishQos2({ topic, payload: 'x' });
    const msg = await sub.expectPacket('PUBLISH');
    assert.equal(msg.qos, 2);
    assert.equal(msg.dup, false);
    assert.ok(msg.packetId! > 0);
    sub.send(pubrec(level, msg.packetId!));
    const rel = await sub.expectPacket('PUBREL');
    assert.equal(rel.packetId, msg.packetId);
    assert.equal(rel.flags, FLAGS_0010);
    assert.equal(rel.reasonCode, 0);
    sub.send(pubcomp(level, msg.packetId!));
    await sub.ping();
    await sub.expectNothing(200);
  },
);

both(
  { v5: 'v5 [MQTT-4.3.3-9] [MQTT-4.4.0-2] [MQTT-4.9.0-2]' },
  'a PUBREC with reason >= 0x80 from the subscriber ends the flow: no PUBREL, no resend',
  async (level, t) => {
    const b = await broker(t);
    const topic = `q2/${uid()}`;
    const sub = await connected(t, b, level, { props: { receiveMaximum: 1 } }, 'sub');
    await sub.subscribe([{ filter: topic, qos: 2 }]);
    const pub = await connected(t, b, level, {}, 'pub');
    await pub.publishQos2({ topic, payload: 'refused' }, 1);
    await pub.publishQos2({ topic, payload: 'next' }, 2);
    const first = await sub.expectPacket('PUBLISH');
    sub.send(pubrec(level, first.packetId!, RC.UnspecifiedError));
    // Quota returns on a failed PUBREC, so the next message flows instead of a PUBREL.
    const second = await sub.expectPacket('PUBLISH');
    assert.equal(second.payload!.toString(), 'next');
  },
);
