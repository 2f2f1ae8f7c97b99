// A retained PUBLISH with an empty payload is forwarded and clears the topic's retained message.
import assert from 'node:assert/strict';
import { both, broker, connected, uid } from './support.js';

both(
  { v4: 'v3.1.1 [MQTT-3.3.1-10] [MQTT-3.3.1-11]', v5: 'v5 [MQTT-3.3.1-6] [MQTT-3.3.1-7]' },
  'an empty retained PUBLISH is forwarded and later subscribers get nothing',
  async (level, t) => {
    const b = await broker(t);
    const topic = `clr/${uid()}`;
    const pub = await connected(t, b, level, {}, 'pub');
    await pub.publishQos1({ topic, payload: 'x', retain: true }, 1);
    const live = await connected(t, b, level, {}, 'live');
    await live.subscribe([topic]);
    await live.expectPacket('PUBLISH');
    await pub.publishQos1({ topic, payload: '', retain: true }, 2);
    const fwd = await live.expectPacket('PUBLISH');
    assert.equal(fwd.payload!.length, 0);
    const later = await connected(t, b, level, {}, 'later');
    await later.subscribe([topic]);
    await later.expectNothing(400);
  },
);
