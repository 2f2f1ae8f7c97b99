// Session Present in CONNACK tells the client whether the broker resumed a stored session.
import assert from 'node:assert/strict';
import { both, broker, connected, uid } from './support.js';

const KEEP = { sessionExpiryInterval: 300 };

both(
  { v4: 'v3.1.1 [MQTT-3.2.2-1] [MQTT-3.1.2-6]', v5: 'v5 [MQTT-3.2.2-2] [MQTT-3.1.2-4]' },
  'a clean session gets Session Present 0 even when a session was stored',
  async (level, t) => {
    const b = await broker(t);
    const id = uid();
    const first = await connected(t, b, level, { clientId: id, clean: false, props: level === 5 ? KEEP : undefined }, 'first');
    first.destroy();
    const again = await connected(t, b, level, { clientId: id, clean: true }, 'again');
    assert.equal(again.received[0]!.sessionPresent, false);
  },
);

both(
  { v4: 'v3.1.1 [MQTT-3.2.2-3] [MQTT-3.1.2-4]', v5: 'v5 [MQTT-3.2.2-3] [MQTT-3.1.2-6]' },
  'a persistent session with nothing stored gets Session Present 0',
  async (level, t) => {
    const b = await broker(t);
    const c = await connected(t, b, level, { clientId: uid(), clean: false, props: level === 5 ? KEEP : undefined });
    assert.equal(c.received[0]!.sessionPresent, false);
  },
);

both(
  {
    v4: 'v3.1.1 [MQTT-3.2.2-2] [MQTT-3.1.2-4] [MQTT-3.1.4-3] [MQTT-3.1.3-2] [MQTT-4.1.0-1] [MQTT-4.1.0-2]',
    v5: 'v5 [MQTT-3.2.2-3] [MQTT-3.1.2-5] [MQTT-3.1.2-23] [MQTT-3.1.4-4] [MQTT-3.1.3-2] [MQTT-4.1.0-1]',
  },
  'a resumed session gets Session Present 1 and keeps its subscriptions',
  async (level, t) => {
    const b = await broker(t);
    const id = uid();
    const topic = `sp/${id}`;
    const first = await connected(t, b, level, { clientId: id, clean: false, props: level === 5 ? KEEP : undefined }, 'first');
    await first.subscribe([{ filter: topic, qos: 1 }]);
    first.destroy();
    const again = await connected(t, b, level, { clientId: id, clean: false, props: level === 5 ? KEEP : undefined }, 'again');
    assert.equal(again.received[0]!.sessionPresent, true);
    const pub = await connected(t, b, level, {}, 'pub');
    await pub.publishQos1({ topic, payload: 'still subscribed' });
    const msg = await again.expectPacket('PUBLISH');
    assert.equal(msg.payload!.toString(), 'still subscribed');
  },
);

both(
  { v4: 'v3.1.1 [MQTT-3.1.2-6]', v5: 'v5 [MQTT-3.1.2-23]' },
  'a clean session (5.0: session expiry 0) is not resumed after the connection ends',
  async (level, t) => {
    const b = await broker(t);
    const id = uid();
    const topic = `sp/${id}`;
    const first = await connected(t, b, level, { clientId: id, clean: true }, 'first');
    await first.subscribe([{ filter: topic, qos: 1 }]);
    first.destroy();
    const again = await connected(t, b, level, { clientId: id, clean: false, props: level === 5 ? KEEP : undefined }, 'again');
    assert.equal(again.received[0]!.sessionPresent, false);
    const pub = await connected(t, b, level, {}, 'pub');
    await pub.publishQos1({ topic, payload: 'nobody' });
    await again.expectNothing(300);
  },
);
