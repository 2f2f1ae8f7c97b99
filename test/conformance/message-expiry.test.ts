// 5.0 Message Expiry Interval: counted down while a message waits in the broker; expired copies are dropped.
import assert from 'node:assert/strict';
import { both, broker, connected, sleep, uid } from './support.js';

both({ v5: 'v5 [MQTT-3.3.2-5] [MQTT-3.3.2-6]' }, 'a queued message is delivered with the remaining expiry, or dropped once expired', async (level, t) => {
  const b = await broker(t);
  const id = uid();
  const r = uid('me');
  const keep = { sessionExpiryInterval: 60 };
  const s = await connected(t, b, level, { clientId: id, clean: false, props: keep }, 'sub');
  await s.subscribe([{ filter: r, qos: 1 }]);
  s.destroy();
  const pub = await connected(t, b, level, {}, 'pub');
  await pub.publishQos1({ topic: r, payload: 'short', props: { messageExpiryInterval: 1 } }, 1);
  await pub.publishQos1({ topic: r, payload: 'long', props: { messageExpiryInterval: 60 } }, 2);
  await sleep(2200);
  const again = await connected(t, b, level, { clientId: id, clean: false, props: keep }, 'again');
  const m = await again.expectPacket('PUBLISH');
  assert.equal(m.payload!.toString(), 'long');
  const left = m.props?.messageExpiryInterval as number;
  assert.ok(left >= 55 && left <= 58, `remaining expiry ${left}`);
  await again.expectNothing(300);
});

both({ v5: 'v5 [MQTT-3.3.2-5]' }, 'an expired retained message is not delivered to new subscribers', async (level, t) => {
  const b = await broker(t);
  const r = uid('me');
  const pub = await connected(t, b, level, {}, 'pub');
  await pub.publishQos1({ topic: r, payload: 'fleeting', retain: true, props: { messageExpiryInterval: 1 } });
  await sleep(2200);
  const s = await connected(t, b, level, {}, 'sub');
  await s.subscribe([r]);
  await s.expectNothing(400);
});
