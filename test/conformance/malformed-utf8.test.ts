// UTF-8 rules: ill-formed UTF-8 or U+0000 in a string closes the connection; U+FEFF is kept as is.
import assert from 'node:assert/strict';
import { both, broker, canary, connected, uid } from './support.js';
import { publish, subscribe } from '../helpers/raw-packets.js';
import { RC } from '../helpers/raw-codes.js';

const SURROGATE = Buffer.from([0x61, 0x2f, 0xed, 0xa0, 0x80]); // "a/" + encoded U+D800
const INVALID = Buffer.from([0x61, 0x2f, 0xc3, 0x28]); // "a/" + broken 2-byte sequence
const NUL = Buffer.from([0x61, 0x2f, 0x00, 0x62]); // "a/\0b"

both({ v4: 'v3.1.1 [MQTT-1.5.3-1]', v5: 'v5 [MQTT-1.5.4-1]' }, 'a topic with an encoded surrogate closes the connection', async (level, t) => {
  const b = await broker(t);
  const bird = await canary(t, b);
  const c = await connected(t, b, level, {}, 'attacker');
  c.send(publish(level, { topic: SURROGATE, payload: 'x' }));
  await c.expectDisconnect(RC.MalformedPacket);
  await bird.check();
});

both({ v4: 'v3.1.1 [MQTT-1.5.3-1]', v5: 'v5 [MQTT-1.5.4-1]' }, 'a topic filter with ill-formed UTF-8 closes the connection', async (level, t) => {
  const b = await broker(t);
  const bird = await canary(t, b);
  const c = await connected(t, b, level, {}, 'attacker');
  c.send(subscribe(level, 1, [{ filter: INVALID }]));
  await c.expectDisconnect(RC.MalformedPacket);
  await bird.check();
});

both(
  { v4: 'v3.1.1 [MQTT-1.5.3-2] [MQTT-4.7.3-2]', v5: 'v5 [MQTT-1.5.4-2] [MQTT-4.7.3-2]' },
  'a topic containing U+0000 closes the connection',
  async (level, t) => {
    const b = await broker(t);
    const bird = await canary(t, b);
    const c = await connected(t, b, level, {}, 'attacker');
    c.send(publish(level, { topic: NUL, payload: 'x' }));
    await c.expectDisconnect(RC.MalformedPacket);
    await bird.check();
  },
);

both({ v4: 'v3.1.1 [MQTT-1.5.3-3] [MQTT-4.7.3-4]', v5: 'v5 [MQTT-1.5.4-3] [MQTT-4.7.3-4]' }, 'U+FEFF in a topic is kept, not stripped', async (level, t) => {
  const b = await broker(t);
  const topic = `\uFEFFbom/${uid()}`;
  const sub = await connected(t, b, level, {}, 'sub');
  await sub.subscribe([topic]);
  const pub = await connected(t, b, level, {}, 'pub');
  pub.publish({ topic, payload: 'x' });
  const m = await sub.expectPacket('PUBLISH');
  assert.equal(m.topic, topic);
  pub.publish({ topic: topic.slice(1), payload: 'stripped' });
  await sub.expectNothing(300);
});

both({ v5: 'v5 [MQTT-1.5.7-1]' }, 'a user property with ill-formed UTF-8 closes the connection', async (level, t) => {
  const b = await broker(t);
  const bird = await canary(t, b);
  const c = await connected(t, b, level, {}, 'attacker');
  const good = publish(level, { topic: 'a', payload: 'x', props: { userProperties: [['k', 'vv']] } });
  // Replace the value "vv" with 0xC3 0x28 (ill-formed) in place.
  const at = good.lastIndexOf(Buffer.from('vv'));
  good[at] = 0xc3;
  good[at + 1] = 0x28;
  c.send(good);
  await c.expectDisconnect(RC.MalformedPacket);
  await bird.check();
});
