// A retained PUBLISH is stored with its QoS and given (RETAIN 1) to each later matching subscription.
import assert from 'node:assert/strict';
import { both, broker, connected, uid } from './support.js';

both(
  {
    v4: 'v3.1.1 [MQTT-3.3.1-5] [MQTT-3.3.1-6] [MQTT-3.3.1-8]',
    v5: 'v5 [MQTT-3.3.1-5] [MQTT-3.3.1-9] [MQTT-3.3.1-12]',
  },
  'a new subscription receives the last retained message of each matching topic with RETAIN 1',
  async (level, t) => {
    const b = await broker(t);
    const base = `ret/${uid()}`;
    const pub = await connected(t, b, level, {}, 'pub');
    await pub.publishQos1({ topic: `${base}/a`, payload: 'old', retain: true }, 1);
    await pub.publishQos1({ topic: `${base}/a`, payload: 'a', retain: true }, 2);
    await pub.publishQos1({ topic: `${base}/b`, payload: 'b', retain: true }, 3);
    const sub = await connected(t, b, level, {}, 'sub');
    await sub.subscribe([{ filter: `${base}/+`, qos: 1 }]);
    sub.autoAck = true;
    const msgs = await sub.collect('PUBLISH', 2);
    const byTopic = Object.fromEntries(msgs.map((m) => [m.topic, m]));
    assert.equal(byTopic[`${base}/a`]!.payload!.toString(), 'a');
    assert.equal(byTopic[`${base}/b`]!.payload!.toString(), 'b');
    for (const m of msgs) {
      assert.equal(m.retain, true);
      assert.equal(m.qos, 1, 'stored with its QoS');
    }
    await sub.expectNothing(300);
  },
);

both(
  { v4: 'v3.1.1 [MQTT-3.3.1-9]', v5: 'v5 [MQTT-3.3.1-12]' },
  'a retained PUBLISH forwarded to an existing subscription goes out with RETAIN 0',
  async (level, t) => {
    const b = await broker(t);
    const topic = `ret/${uid()}`;
    const sub = await connected(t, b, level, {}, 'sub');
    await sub.subscribe([topic]);
    const pub = await connected(t, b, level, {}, 'pub');
    pub.publish({ topic, payload: 'live', retain: true });
    const m = await sub.expectPacket('PUBLISH');
    assert.equal(m.retain, false);
  },
);

both(
  { v4: 'v3.1.1 [MQTT-3.3.1-12]', v5: 'v5 [MQTT-3.3.1-8]' },
  'a PUBLISH with RETAIN 0 neither stores nor replaces the retained message',
  async (level, t) => {
    const b = await broker(t);
    const topic = `ret/${uid()}`;
    const pub = await connected(t, b, level, {}, 'pub');
    await pub.publishQos1({ topic, payload: 'kept', retain: true }, 1);
    await pub.publishQos1({ topic, payload: 'not retained' }, 2);
    const sub = await connected(t, b, level, {}, 'sub');
    await sub.subscribe([topic]);
    const m = await sub.expectPacket('PUBLISH');
    assert.equal(m.payload!.toString(), 'kept');
    await sub.expectNothing(300);
  },
);

both(
  { v4: 'v3.1.1 [MQTT-3.3.1-7]', v5: 'v5 [MQTT-3.3.1-5]' },
  'a QoS 0 retained PUBLISH replaces the retained message',
  async (level, t) => {
    const b = await broker(t);
    const topic = `ret/${uid()}`;
    const pub = await connected(t, b, level, {}, 'pub');
    await pub.publishQos1({ topic, payload: 'first', retain: true }, 1);
    pub.publish({ topic, payload: 'second', retain: true });
    await pub.ping();
    const sub = await connected(t, b, level, {}, 'sub');
    await sub.subscribe([topic]);
    const m = await sub.expectPacket('PUBLISH');
    assert.equal(m.payload!.toString(), 'second');
    await sub.expectNothing(300);
  },
);

both(
  { v4: 'v3.1.1 [MQTT-3.1.2-7]' },
  'retained messages survive the end of the publishing session',
  async (level, t) => {
    const b = await broker(t);
    const topic = `ret/${uid()}`;
    const pub = await connected(t, b, level, { clean: true }, 'pub');
    await pub.publishQos1({ topic, payload: 'stays', retain: true });
    pub.destroy();
    const sub = await connected(t, b, level, {}, 'sub');
    await sub.subscribe([topic]);
    assert.equal((await sub.expectPacket('PUBLISH')).payload!.toString(), 'stays');
  },
);
