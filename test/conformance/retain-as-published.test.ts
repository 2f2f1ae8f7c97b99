// 5.0 Retain As Published: with 1 the forwarded RETAIN flag equals the publisher's; with 0 it is cleared.
import assert from 'node:assert/strict';
import { both, broker, connected, uid } from './support.js';

both({ v5: 'v5 [MQTT-3.3.1-13] [MQTT-3.3.1-12]' }, 'retain-as-published keeps RETAIN 1 on live delivery only where asked', async (level, t) => {
  const b = await broker(t);
  const topic = `rap/${uid()}`;
  const keep = await connected(t, b, level, {}, 'keep');
  await keep.subscribe([{ filter: topic, retainAsPublished: true }]);
  const clear = await connected(t, b, level, {}, 'clear');
  await clear.subscribe([{ filter: topic, retainAsPublished: false }]);
  const pub = await connected(t, b, level, {}, 'pub');
  await pub.publishQos1({ topic, payload: 'r', retain: true }, 1);
  await pub.publishQos1({ topic, payload: 'n', retain: false }, 2);
  const k = await keep.collect('PUBLISH', 2);
  assert.deepEqual(k.map((m) => m.retain), [true, false]);
  const c = await clear.collect('PUBLISH', 2);
  assert.deepEqual(c.map((m) => m.retain), [false, false]);
});
