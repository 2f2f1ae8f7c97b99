// 5.0 Receive Maximum both ways: the broker keeps at most the client's value in flight (and keeps
// answering other packets meanwhile); a client exceeding the broker's value gets DISCONNECT 0x93.
import assert from 'node:assert/strict';
import { both, broker, connected, open, uid } from './support.js';
import { connect, puback, publish } from '../helpers/raw-packets.js';
import { RC } from '../helpers/raw-codes.js';

both(
  { v5: 'v5 [MQTT-3.3.4-9] [MQTT-3.3.4-10] [MQTT-4.9.0-1] [MQTT-4.9.0-2] [MQTT-4.9.0-3]' },
  'with Receive Maximum 2 the broker sends 2 QoS 1 messages, then one more per PUBACK',
  async (level, t) => {
    const b = await broker(t);
    const r = uid('rm');
    const s = await connected(t, b, level, { props: { receiveMaximum: 2 } }, 'sub');
    await s.subscribe([{ filter: r, qos: 1 }]);
    const pub = await connected(t, b, level, {}, 'pub');
    for (let i = 1; i <= 5; i++) await pub.publishQos1({ topic: r, payload: String(i) }, i);
    const first = await s.collect('PUBLISH', 2);
    await s.expectNothing(300);
    await s.ping(); // [MQTT-3.3.4-10] other packets still flow with the quota used up
    pub.publish({ topic: r, payload: 'qos0 passes' });
    assert.equal((await s.expectPacket('PUBLISH')).qos, 0, 'QoS 0 is not held by the quota');
    s.send(puback(level, first[0]!.packetId!));
    const third = await s.expectPacket('PUBLISH');
    assert.equal(third.payload!.toString(), '3');
    await s.expectNothing(300);
    s.send(puback(level, first[1]!.packetId!), puback(level, third.packetId!));
    const rest = await s.collect('PUBLISH', 2);
    assert.deepEqual(rest.map((m) => m.payload!.toString()), ['4', '5']);
  },
);

both({ v5: 'v5 [MQTT-3.3.4-7] [MQTT-4.13.1-1]' }, 'a client sending more QoS 2 PUBLISHes than the broker\'s Receive Maximum gets DISCONNECT 0x93', async (level, t) => {
  const b = await broker(t, { maxInflight: 3 });
  const c = await open(t, b, level);
  c.send(connect({ level, clientId: uid() }));
  const ack = await c.expectPacket('CONNACK');
  const max = (ack.props?.receiveMaximum as number | undefined) ?? 65535;
  assert.ok(max <= 3, `broker Receive Maximum ${max} (configured 3)`);
  for (let i = 1; i <= max + 1; i++) c.send(publish(level, { topic: 'rm/x', payload: 'x', qos: 2, packetId: i }));
  const recs = [];
  for (;;) {
    const p = await c.next();
    if (!p) throw new Error(`no DISCONNECT 0x93 (closed=${c.closed})`);
    if (p.type === 'PUBREC') {
      recs.push(p);
      continue;
    }
    assert.equal(p.type, 'DISCONNECT');
    assert.equal(p.reasonCode, RC.ReceiveMaximumExceeded);
    break;
  }
  assert.ok(recs.length <= max);
  await c.expectClose();
});
