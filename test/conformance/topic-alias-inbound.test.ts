// 5.0 Topic Alias from clients: 1..max accepted and remembered per connection; 0, > max or an unknown
// alias with an empty topic are errors (0x94 / 0x82).
import assert from 'node:assert/strict';
import { both, broker, canary, connected, open, uid } from './support.js';
import { connect } from '../helpers/raw-packets.js';
import { RC } from '../helpers/raw-codes.js';

both({ v5: 'v5 [MQTT-3.3.2-12] [MQTT-3.3.2-1]' }, 'an alias set with a topic can stand in for it later (empty topic)', async (level, t) => {
  const b = await broker(t);
  const r = uid('ta');
  const c = await open(t, b, level, 'aliaser');
  c.send(connect({ level, clientId: uid() }));
  const ack = await c.expectPacket('CONNACK');
  const max = ack.props?.topicAliasMaximum as number;
  assert.ok(max >= 1, 'broker offers topic aliases');
  const s = await connected(t, b, level, {}, 'sub');
  await s.subscribe([r]);
  c.publish({ topic: r, payload: 'set', props: { topicAlias: max } });
  c.publish({ topic: '', payload: 'use', props: { topicAlias: max } });
  const msgs = await s.collect('PUBLISH', 2);
  assert.deepEqual(msgs.map((m) => [m.topic, m.payload!.toString()]), [[r, 'set'], [r, 'use']]);
});

both({ v5: 'v5 [MQTT-3.3.2-8]' }, 'Topic Alias 0 gets DISCONNECT 0x94', async (level, t) => {
  const b = await broker(t);
  const bird = await canary(t, b);
  const c = await connected(t, b, level, {}, 'attacker');
  c.publish({ topic: 'a', payload: 'x', props: { topicAlias: 0 } });
  await c.expectDisconnect(RC.TopicAliasInvalid, undefined, true);
  await bird.check();
});

both({ v5: 'v5 [MQTT-3.3.2-9] [MQTT-4.13.1-1]' }, 'a Topic Alias above the broker\'s maximum gets DISCONNECT 0x94', async (level, t) => {
  const b = await broker(t);
  const c = await open(t, b, level, 'attacker');
  c.send(connect({ level, clientId: uid() }));
  const ack = await c.expectPacket('CONNACK');
  const max = (ack.props?.topicAliasMaximum as number | undefined) ?? 0;
  c.publish({ topic: 'a', payload: 'x', props: { topicAlias: max + 1 } });
  await c.expectDisconnect(RC.TopicAliasInvalid);
});

both({ v5: 'v5 [MQTT-3.3.2-7] [MQTT-4.13.1-1]' }, 'aliases do not carry over to a new connection: an unknown alias is a protocol error', async (level, t) => {
  const b = await broker(t);
  const id = uid();
  const first = await connected(t, b, level, { clientId: id, clean: false, props: { sessionExpiryInterval: 60 } }, 'first');
  first.publish({ topic: 'ta/x', payload: 'set', props: { topicAlias: 1 } });
  await first.ping();
  first.destroy();
  const again = await connected(t, b, level, { clientId: id, clean: false, props: { sessionExpiryInterval: 60 } }, 'again');
  again.publish({ topic: '', payload: 'use', props: { topicAlias: 1 } });
  await again.expectDisconnect(RC.ProtocolError);
});
