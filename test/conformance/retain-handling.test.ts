// 5.0 Retain Handling: 0 always sends retained messages at subscribe, 1 only for a new subscription, 2 never.
import assert from 'node:assert/strict';
import { both, broker, connected, uid } from './support.js';

async function setup(t: Parameters<Parameters<typeof both>[2]>[1], level: 4 | 5 | 3) {
  const b = await broker(t);
  const topic = `rh/${uid()}`;
  const pub = await connected(t, b, level, {}, 'pub');
  await pub.publishQos1({ topic, payload: 'retained', retain: true });
  const sub = await connected(t, b, level, {}, 'sub');
  return { topic, sub };
}

both({ v5: 'v5 [MQTT-3.3.1-9] [MQTT-3.8.4-4] [MQTT-3.8.4-3]' }, 'retain handling 0 sends retained messages on every SUBSCRIBE', async (level, t) => {
  const { topic, sub } = await setup(t, level);
  await sub.subscribe([{ filter: topic, retainHandling: 0 }], 1);
  assert.equal((await sub.expectPacket('PUBLISH')).retain, true);
  await sub.subscribe([{ filter: topic, retainHandling: 0, qos: 1 }], 2);
  assert.equal((await sub.expectPacket('PUBLISH')).retain, true);
});

both({ v5: 'v5 [MQTT-3.3.1-10]' }, 'retain handling 1 sends retained messages only when the subscription is new', async (level, t) => {
  const { topic, sub } = await setup(t, level);
  await sub.subscribe([{ filter: topic, retainHandling: 1 }], 1);
  assert.equal((await sub.expectPacket('PUBLISH')).payload!.toString(), 'retained');
  await sub.subscribe([{ filter: topic, retainHandling: 1 }], 2);
  await sub.expectNothing(400);
});

both({ v5: 'v5 [MQTT-3.3.1-11]' }, 'retain handling 2 sends no retained messages', async (level, t) => {
  const { topic, sub } = await setup(t, level);
  await sub.subscribe([{ filter: topic, retainHandling: 2 }], 1);
  await sub.expectNothing(400);
});

both(
  { v4: 'v3.1.1 [MQTT-3.8.4-3]' },
  'subscribing again with the same filter re-sends retained messages',
  async (level, t) => {
    const { topic, sub } = await setup(t, level);
    await sub.subscribe([topic], 1);
    await sub.expectPacket('PUBLISH');
    await sub.subscribe([{ filter: topic, qos: 1 }], 2);
    const again = await sub.expectPacket('PUBLISH');
    assert.equal(again.retain, true);
  },
);
