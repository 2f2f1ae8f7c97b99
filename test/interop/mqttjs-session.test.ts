// MQTT.js: will on a killed client, and a persistent session resumed with the messages queued meanwhile.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BOUND, broker, client, collector, LABEL, rawConnect, sleep, uid, VERSIONS } from './support.js';

for (const v of VERSIONS) {
  test(`${LABEL[v]}: the will of a client whose socket is destroyed is published`, BOUND, async (t) => {
    const b = await broker(t);
    const topic = `interop/will/${uid()}`;
    const watcher = await client(t, b, v);
    const got = collector(watcher);
    await watcher.subscribeAsync(topic, { qos: 1 });
    const dying = await client(t, b, v, { will: { topic, payload: Buffer.from('killed'), qos: 1, retain: false } });
    dying.stream.destroy();
    const [m] = await got.wait(1);
    assert.equal(m!.payload, 'killed');
  });

  test(`${LABEL[v]}: a persistent session gets the QoS 1 messages queued while it was away`, BOUND, async (t) => {
    const b = await broker(t);
    const clientId = uid('persist');
    const topic = `interop/persist/${clientId}`;
    const session = v === 5 ? { clean: false, properties: { sessionExpiryInterval: 300 } } : { clean: false };
    const first = await client(t, b, v, { clientId, ...session });
    await first.subscribeAsync(topic, { qos: 1 });
    await first.endAsync();
    const pub = await client(t, b, v);
    for (let i = 0; i < 5; i++) await pub.publishAsync(topic, `m${i}`, { qos: 1 });
    await sleep(100);
    const again = rawConnect(t, b, v, { clientId, ...session });
    const got = collector(again);
    const connack = await new Promise<{ sessionPresent: boolean }>((resolve, reject) => {
      again.once('connect', resolve);
      again.once('error', reject);
    });
    assert.equal(connack.sessionPresent, true);
    const msgs = await got.wait(5);
    assert.deepEqual(msgs.map((m) => m.payload), ['m0', 'm1', 'm2', 'm3', 'm4']);
  });
}
