// QoS 1 in both directions: PUBACK with the PUBLISH's id; the broker sends with a fresh non-zero id, DUP 0.
import assert from 'node:assert/strict';
import { both, broker, connected, uid } from './support.js';
import { puback, publish } from '../helpers/raw-packets.js';

both(
  {
    v4: 'v3.1.1 [MQTT-3.3.4-1] [MQTT-2.3.1-6] [MQTT-4.3.2-2]',
    v5: 'v5 [MQTT-3.3.4-1] [MQTT-2.2.1-5] [MQTT-4.3.2-4] [MQTT-3.4.2-1]',
  },
  'a QoS 1 PUBLISH is answered by PUBACK carrying its packet id',
  async (level, t) => {
    const b = await broker(t);
    const pub = await connected(t, b, level);
    pub.publish({ topic: `q1/${uid()}`, payload: 'x', qos: 1, packetId: 0x1234 });
    const ack = await pub.expectPacket('PUBACK');
    assert.equal(ack.packetId, 0x1234);
    if (level === 5) assert.ok(ack.reasonCode === 0x00 || ack.reasonCode === 0x10, `PUBACK rc ${ack.reasonCode}`);
  },
);

both(
  {
    v4: 'v3.1.1 [MQTT-4.3.2-1] [MQTT-2.3.1-1] [MQTT-2.3.1-4] [MQTT-3.3.1-3]',
    v5: 'v5 [MQTT-4.3.2-1] [MQTT-4.3.2-2] [MQTT-2.2.1-4] [MQTT-3.3.1-3]',
  },
  'the broker sends QoS 1 with distinct non-zero packet ids and DUP 0 (incoming DUP not copied)',
  async (level, t) => {
    const b = await broker(t);
    const topic = `q1/${uid()}`;
    const sub = await connected(t, b, level, {}, 'sub');
    await sub.subscribe([{ filter: topic, qos: 1 }]);
    const pub = await connected(t, b, level, {}, 'pub');
    pub.publish({ topic, payload: 'a', qos: 1, packetId: 1, dup: true });
    pub.publish({ topic, payload: 'b', qos: 1, packetId: 2 });
    pub.publish({ topic, payload: 'c', qos: 1, packetId: 3 });
    await pub.collect('PUBACK', 3);
    const msgs = await sub.collect('PUBLISH', 3);
    const ids = msgs.map((m) => m.packetId!);
    assert.ok(ids.every((id) => id > 0), `ids ${ids}`);
    assert.equal(new Set(ids).size, 3, `ids must be distinct while unacknowledged: ${ids}`);
    for (const m of msgs) {
      assert.equal(m.qos, 1);
      assert.equal(m.dup, false);
    }
    for (const id of ids) sub.send(puback(level, id));
    await sub.ping();
  },
);

both(
  { v4: 'v3.1.1 [MQTT-4.3.2-2]', v5: 'v5 [MQTT-4.3.2-5]' },
  'after PUBACK, a PUBLISH reusing the packet id (even with DUP) is a new message',
  async (level, t) => {
    const b = await broker(t);
    const topic = `q1/${uid()}`;
    const sub = await connected(t, b, level, {}, 'sub');
    await sub.subscribe([{ filter: topic, qos: 0 }]);
    const pub = await connected(t, b, level, {}, 'pub');
    await pub.publishQos1({ topic, payload: 'first' }, 7);
    pub.send(publish(level, { topic, payload: 'second', qos: 1, packetId: 7, dup: true }));
    await pub.expectPacket('PUBACK');
    const msgs = await sub.collect('PUBLISH', 2);
    assert.deepEqual(msgs.map((m) => m.payload!.toString()), ['first', 'second']);
  },
);
