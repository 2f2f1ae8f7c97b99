// Topic names and filters may be as long as a 16-bit length allows (65,535 bytes).
import assert from 'node:assert/strict';
import { both, broker, connected } from './support.js';

both({ v4: 'v3.1.1 [MQTT-4.7.3-3]', v5: 'v5 [MQTT-4.7.3-3]' }, 'a 65,535-byte topic is subscribed to and delivered intact', async (level, t) => {
  const b = await broker(t);
  const topic = 'L/' + 'x'.repeat(65_535 - 2);
  const s = await connected(t, b, level, {}, 'sub');
  await s.subscribe([topic]);
  const pub = await connected(t, b, level, {}, 'pub');
  pub.publish({ topic, payload: 'long' });
  const m = await s.expectPacket('PUBLISH');
  assert.equal(m.topic, topic);
});
