// 5.0 Maximum Packet Size both ways: the broker never sends a client more than it allows (dropping
// the message as if delivered), and disconnects a client whose packet exceeds the broker's limit.
import assert from 'node:assert/strict';
import { both, broker, canary, connected, open, uid } from './support.js';
import { connect, publish } from '../helpers/raw-packets.js';
import { RC } from '../helpers/raw-codes.js';

both({ v5: 'v5 [MQTT-3.1.2-24] [MQTT-3.1.2-25]' }, 'a message larger than the client\'s Maximum Packet Size is skipped, the next one delivered', async (level, t) => {
  const b = await broker(t);
  const r = uid('mps');
  const LIMIT = 128;
  const s = await connected(t, b, level, { props: { maximumPacketSize: LIMIT } }, 'small');
  await s.subscribe([{ filter: r, qos: 1 }]);
  s.autoAck = true;
  const pub = await connected(t, b, level, {}, 'pub');
  await pub.publishQos1({ topic: r, payload: Buffer.alloc(LIMIT) }, 1);
  await pub.publishQos1({ topic: r, payload: 'small' }, 2);
  const m = await s.expectPacket('PUBLISH');
  assert.equal(m.payload!.toString(), 'small');
  assert.ok(m.bytes.length <= LIMIT);
  for (const p of s.received) assert.ok(p.bytes.length <= LIMIT, `${p.type} of ${p.bytes.length} bytes`);
});

both({ v5: 'v5 [MQTT-4.13.1-1]' }, 'a PUBLISH larger than the broker\'s maximum packet size gets DISCONNECT 0x95', async (level, t) => {
  const b = await broker(t, { maxPacketSize: 1024 });
  const bird = await canary(t, b);
  const c = await open(t, b, level, 'big');
  c.send(connect({ level, clientId: uid() }));
  const ack = await c.expectPacket('CONNACK');
  assert.equal(ack.props?.maximumPacketSize, 1024);
  c.send(publish(level, { topic: 'big', payload: Buffer.alloc(2000) }));
  await c.expectDisconnect(RC.PacketTooLarge, undefined, true);
  await bird.check();
});

both({ v4: 'v3.1.1 [MQTT-4.8.0-2]' }, 'a PUBLISH larger than the broker\'s maximum packet size closes the connection', async (level, t) => {
  const b = await broker(t, { maxPacketSize: 1024 });
  const bird = await canary(t, b);
  const c = await connected(t, b, level, {}, 'big');
  c.send(publish(level, { topic: 'big', payload: Buffer.alloc(2000) }));
  await c.expectClose();
  await bird.check();
});
