// A PUBLISH topic name must be non-empty (unless a 5.0 alias stands in) and free of wildcards.
import { both, broker, canary, connected } from './support.js';
import { publish } from '../helpers/raw-packets.js';
import { RC } from '../helpers/raw-codes.js';

for (const topic of ['a/+', 'a/#', '+']) {
  both(
    { v4: 'v3.1.1 [MQTT-3.3.2-2] [MQTT-4.7.1-1]', v5: 'v5 [MQTT-3.3.2-2] [MQTT-4.7.0-1]' },
    `PUBLISH to ${JSON.stringify(topic)} closes the connection (5.0: 0x90 or 0x81/0x82)`,
    async (level, t) => {
      const b = await broker(t);
      const bird = await canary(t, b);
      const c = await connected(t, b, level, {}, 'attacker');
      c.send(publish(level, { topic, payload: 'x' }));
      await c.expectDisconnect([RC.TopicNameInvalid, RC.MalformedPacket, RC.ProtocolError]);
      await bird.check();
    },
  );
}

both({ v4: 'v3.1.1 [MQTT-4.7.3-1] [MQTT-3.3.2-1]', v5: 'v5 [MQTT-3.3.2-1] [MQTT-4.7.3-1]' }, 'PUBLISH with an empty topic (and no alias) closes the connection', async (level, t) => {
  const b = await broker(t);
  const bird = await canary(t, b);
  const c = await connected(t, b, level, {}, 'attacker');
  c.send(publish(level, { topic: '', payload: 'x' }));
  await c.expectDisconnect([RC.TopicNameInvalid, RC.MalformedPacket, RC.ProtocolError]);
  await bird.check();
});
