// 5.0: Message Expiry does not interrupt a QoS 2 flow that has started, in either direction.
import assert from 'node:assert/strict';
import { both, broker, connected, sleep, uid } from './support.js';
import { publish, pubrel } from '../helpers/raw-packets.js';

both({ v5: 'v5 [MQTT-4.3.3-13]' }, 'the broker completes an inbound QoS 2 flow after the message expired', async (level, t) => {
  const b = await broker(t);
  const c = await connected(t, b, level);
  c.send(publish(level, { topic: `x/${uid()}`, payload: 'x', qos: 2, packetId: 3, props: { messageExpiryInterval: 1 } }));
  await c.expectPacket('PUBREC');
  await sleep(2100);
  c.send(pubrel(level, 3));
  assert.equal((await c.expectPacket('PUBCOMP')).packetId, 3);
});

both({ v5: 'v5 [MQTT-4.3.3-7] [MQTT-4.4.0-1]' }, 'a QoS 2 PUBLISH already sent is re-sent on resume even after its expiry', async (level, t) => {
  const b = await broker(t);
  const id = uid();
  const r = uid('q2e');
  const keep = { sessionExpiryInterval: 60 };
  const s = await connected(t, b, level, { clientId: id, clean: false, props: keep }, 'sub');
  await s.subscribe([{ filter: r, qos: 2 }]);
  const pub = await connected(t, b, level, {}, 'pub');
  await pub.publishQos2({ topic: r, payload: 'started', props: { messageExpiryInterval: 1 } });
  const first = await s.expectPacket('PUBLISH');
  s.destroy();
  await sleep(2100);
  const again = await connected(t, b, level, { clientId: id, clean: false, props: keep }, 'again');
  const resent = await again.expectPacket('PUBLISH');
  assert.equal(resent.packetId, first.packetId);
  assert.equal(resent.dup, true);
});
