// 5.0 Subscription Identifier: echoed on messages for that subscription; replaced on re-subscribe.
import assert from 'node:assert/strict';
import { both, broker, connected, uid } from './support.js';
import { subscribe } from '../helpers/raw-packets.js';
import { RC } from '../helpers/raw-codes.js';

both({ v5: 'v5 [MQTT-3.3.4-3] [MQTT-3.8.4-3]' }, 'a message carries the identifier of its subscription, and re-subscribing replaces it', async (level, t) => {
  const b = await broker(t);
  const r = uid('id');
  const s = await connected(t, b, level);
  await s.subscribe([`${r}/+`], 1, { subscriptionIdentifiers: [268435455] });
  const pub = await connected(t, b, level, {}, 'pub');
  pub.publish({ topic: `${r}/a`, payload: '1' });
  assert.deepEqual((await s.expectPacket('PUBLISH')).props?.subscriptionIdentifiers, [268435455]);
  await s.subscribe([`${r}/+`], 2);
  pub.publish({ topic: `${r}/a`, payload: '2' });
  assert.equal((await s.expectPacket('PUBLISH')).props?.subscriptionIdentifiers, undefined);
});

both({ v5: 'v5 [MQTT-4.13.1-1]' }, 'subscription identifier 0 is a protocol error', async (level, t) => {
  const b = await broker(t);
  const s = await connected(t, b, level);
  s.send(subscribe(level, 1, ['a'], { subscriptionIdentifiers: [0] }));
  await s.expectDisconnect([RC.MalformedPacket, RC.ProtocolError]);
});
