// Shared subscriptions $share/group/filter: each message goes to one member; members get it at
// their own granted QoS; No Local on a shared subscription and bad share names are errors.
import assert from 'node:assert/strict';
import { both, broker, connected, uid } from './support.js';
import { subscribe } from '../helpers/raw-packets.js';
import { RC } from '../helpers/raw-codes.js';

both({ v4: 'v3.1.1 [MQTT-4.5.0-1]', v5: 'v5 [MQTT-4.8.2-1] [MQTT-4.8.2-2] [MQTT-4.8.2-3]' }, 'each message of a shared subscription goes to exactly one member', async (level, t) => {
  const b = await broker(t);
  const r = uid('sh');
  const members = [];
  for (let i = 0; i < 2; i++) {
    const m = await connected(t, b, level, {}, `member${i}`);
    await m.subscribe([{ filter: `$share/g1/${r}/#`, qos: i }]);
    m.autoAck = true;
    members.push(m);
  }
  const plain = await connected(t, b, level, {}, 'plain');
  await plain.subscribe([`${r}/#`]);
  const pub = await connected(t, b, level, {}, 'pub');
  const N = 20;
  for (let i = 1; i <= N; i++) await pub.publishQos1({ topic: `${r}/t`, payload: String(i) }, i);
  await plain.collect('PUBLISH', N);
  await members[0]!.ping();
  await members[1]!.ping();
  const got = members.map((m) => m.received.filter((p) => p.type === 'PUBLISH'));
  assert.equal(got[0]!.length + got[1]!.length, N, `split ${got[0]!.length}+${got[1]!.length}`);
  assert.ok(got[0]!.length > 0 && got[1]!.length > 0, 'both members get a share');
  assert.ok(got[0]!.every((m) => m.qos === 0), 'member 0 granted QoS 0');
  assert.ok(got[1]!.every((m) => m.qos === 1), 'member 1 granted QoS 1');
  const all = got.flat().map((m) => Number(m.payload!.toString())).sort((a, z) => a - z);
  assert.deepEqual(all, Array.from({ length: N }, (_, i) => i + 1));
});

both({ v5: 'v5 [MQTT-3.8.3-4]' }, 'No Local on a shared subscription is a protocol error', async (level, t) => {
  const b = await broker(t);
  const c = await connected(t, b, level);
  c.send(subscribe(level, 1, [{ filter: '$share/g/a', noLocal: true }]));
  await c.expectDisconnect(RC.ProtocolError);
});

for (const filter of ['$share/g', '$share//a', '$share/g+/a', '$share/g#/a']) {
  both({ v5: 'v5 [MQTT-4.8.2-1] [MQTT-4.8.2-2]' }, `shared filter ${JSON.stringify(filter)} is refused`, async (level, t) => {
    const b = await broker(t);
    const c = await connected(t, b, level);
    c.send(subscribe(level, 1, [filter]));
    const p = await c.next();
    if (p?.type === 'SUBACK') {
      assert.deepEqual(p.reasonCodes, [RC.TopicFilterInvalid]);
      return;
    }
    if (p) assert.equal(p.type, 'DISCONNECT', `got ${p.type}`);
    await c.expectClose();
  });
}
