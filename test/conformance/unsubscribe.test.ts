// UNSUBSCRIBE deletes exactly matching filters and is always answered by one UNSUBACK with its id.
import assert from 'node:assert/strict';
import { both, broker, connected, uid } from './support.js';
import { puback, unsubscribe } from '../helpers/raw-packets.js';
import { RC } from '../helpers/raw-codes.js';

both(
  {
    v4: 'v3.1.1 [MQTT-3.10.4-1] [MQTT-3.10.4-2] [MQTT-3.10.4-4] [MQTT-3.10.4-5] [MQTT-3.10.4-6]',
    v5: 'v5 [MQTT-3.10.4-1] [MQTT-3.10.4-2] [MQTT-3.10.4-4] [MQTT-3.10.4-5] [MQTT-3.10.4-6] [MQTT-3.11.3-1] [MQTT-3.11.3-2]',
  },
  'UNSUBSCRIBE removes exact matches only, answering one UNSUBACK even for unknown filters',
  async (level, t) => {
    const b = await broker(t);
    const r = uid('u');
    const c = await connected(t, b, level);
    await c.subscribe([`${r}/+`, `${r}/a`]);
    c.send(unsubscribe(level, 0x0102, [`${r}/a`, `${r}/#`]));
    const ack = await c.expectPacket('UNSUBACK');
    assert.equal(ack.packetId, 0x0102);
    if (level === 5) assert.deepEqual(ack.reasonCodes, [RC.Success, RC.NoSubscriptionExisted]);
    const pub = await connected(t, b, level, {}, 'pub');
    pub.publish({ topic: `${r}/a`, payload: 'via +' });
    const m = await c.expectPacket('PUBLISH');
    assert.equal(m.payload!.toString(), 'via +');
    await c.expectNothing(300);
    c.send(unsubscribe(level, 7, [`${r}/+`]));
    assert.equal((await c.expectPacket('UNSUBACK')).packetId, 7);
    pub.publish({ topic: `${r}/a`, payload: 'none' });
    await c.expectNothing(300);
  },
);

both({ v4: 'v3.1.1 [MQTT-3.10.4-3]', v5: 'v5 [MQTT-3.10.4-3]' }, 'a QoS 1 delivery in flight is still completed after UNSUBSCRIBE', async (level, t) => {
  const b = await broker(t);
  const r = uid('u');
  const id = uid();
  const props = level === 5 ? { sessionExpiryInterval: 60 } : undefined;
  const c = await connected(t, b, level, { clientId: id, clean: false, props }, 'sub');
  await c.subscribe([{ filter: r, qos: 1 }]);
  const pub = await connected(t, b, level, {}, 'pub');
  await pub.publishQos1({ topic: r, payload: 'inflight' });
  const m = await c.expectPacket('PUBLISH');
  c.send(unsubscribe(level, 2, [r]));
  await c.expectPacket('UNSUBACK');
  c.destroy();
  const again = await connected(t, b, level, { clientId: id, clean: false, props }, 'again');
  const resent = await again.expectPacket('PUBLISH');
  assert.equal(resent.packetId, m.packetId);
  again.send(puback(level, resent.packetId!));
});
