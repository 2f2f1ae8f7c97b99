// A will is published when the connection ends without DISCONNECT, with its QoS and RETAIN flag.
import assert from 'node:assert/strict';
import { both, broker, connected, uid } from './support.js';

both(
  { v4: 'v3.1.1 [MQTT-3.1.2-8] [MQTT-3.1.2-16]', v5: 'v5 [MQTT-3.1.2-7] [MQTT-3.1.2-8] [MQTT-3.1.2-14]' },
  'a will with Will Retain 0 is published, not retained, when the socket drops',
  async (level, t) => {
    const b = await broker(t);
    const topic = `will/${uid()}`;
    const watcher = await connected(t, b, level, {}, 'watcher');
    await watcher.subscribe([{ filter: topic, qos: 1 }]);
    const dying = await connected(t, b, level, { will: { topic, payload: 'bye', qos: 1 } }, 'dying');
    dying.destroy();
    const w = await watcher.expectPacket('PUBLISH');
    assert.equal(w.payload!.toString(), 'bye');
    assert.equal(w.qos, 1);
    const later = await connected(t, b, level, {}, 'later');
    await later.subscribe([topic]);
    await later.expectNothing(300);
  },
);

both(
  { v4: 'v3.1.1 [MQTT-3.1.2-17] [MQTT-3.1.2-10]', v5: 'v5 [MQTT-3.1.2-15] [MQTT-3.1.2-10]' },
  'a will with Will Retain 1 is published as retained, once',
  async (level, t) => {
    const b = await broker(t);
    const topic = `will/${uid()}`;
    const dying = await connected(t, b, level, { will: { topic, payload: 'retained bye', retain: true } }, 'dying');
    const watcher = await connected(t, b, level, {}, 'watcher');
    await watcher.subscribe([topic]);
    dying.destroy();
    await watcher.expectPacket('PUBLISH');
    await watcher.expectNothing(300);
    const later = await connected(t, b, level, {}, 'later');
    await later.subscribe([topic]);
    const r = await later.expectPacket('PUBLISH');
    assert.equal(r.retain, true);
    assert.equal(r.payload!.toString(), 'retained bye');
  },
);

both({ v4: 'v3.1.1 [MQTT-3.1.2-12]' }, 'no will flag, no message when the socket drops', async (level, t) => {
  const b = await broker(t);
  const watcher = await connected(t, b, level, {}, 'watcher');
  await watcher.subscribe(['#']);
  const c = await connected(t, b, level, {}, 'plain');
  c.destroy();
  await watcher.expectNothing(500);
});

both({ v5: 'v5 [MQTT-3.1.3-10] [MQTT-3.3.2-17]' }, 'will properties and user properties are published in their original order', async (level, t) => {
  const b = await broker(t);
  const topic = `will/${uid()}`;
  const watcher = await connected(t, b, level, {}, 'watcher');
  await watcher.subscribe([topic]);
  const userProperties: [string, string][] = [['z', '1'], ['a', '2'], ['z', '3']];
  const dying = await connected(t, b, level, {
    will: { topic, payload: 'x', props: { contentType: 'text/plain', userProperties } },
  }, 'dying');
  dying.destroy();
  const w = await watcher.expectPacket('PUBLISH');
  assert.deepEqual(w.props?.userProperties, userProperties);
  assert.equal(w.props?.contentType, 'text/plain');
});
