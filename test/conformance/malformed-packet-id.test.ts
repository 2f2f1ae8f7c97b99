// Packet identifier 0 is not allowed on QoS > 0 PUBLISH, SUBSCRIBE or UNSUBSCRIBE.
import { both, broker, canary, connected } from './support.js';
import { publish, subscribe, unsubscribe } from '../helpers/raw-packets.js';
import { RC } from '../helpers/raw-codes.js';

/** The spec names no code for a zero packet id; it is malformed or a protocol error. */
const EITHER = [RC.MalformedPacket, RC.ProtocolError];

both({ v4: 'v3.1.1 [MQTT-2.3.1-1]', v5: 'v5 [MQTT-4.13.1-1]' }, 'a QoS 1 PUBLISH with packet id 0 closes the connection', async (level, t) => {
  const b = await broker(t);
  const bird = await canary(t, b);
  const c = await connected(t, b, level, {}, 'attacker');
  c.send(publish(level, { topic: 'a', payload: 'x', qos: 1, packetId: 0 }));
  await c.expectDisconnect(EITHER);
  await bird.check();
});

both({ v4: 'v3.1.1 [MQTT-2.3.1-1]', v5: 'v5 [MQTT-4.13.1-1]' }, 'a SUBSCRIBE with packet id 0 closes the connection', async (level, t) => {
  const b = await broker(t);
  const c = await connected(t, b, level, {}, 'attacker');
  c.send(subscribe(level, 0, ['a']));
  await c.expectDisconnect(EITHER);
});

both({ v4: 'v3.1.1 [MQTT-2.3.1-1]', v5: 'v5 [MQTT-4.13.1-1]' }, 'an UNSUBSCRIBE with packet id 0 closes the connection', async (level, t) => {
  const b = await broker(t);
  const c = await connected(t, b, level, {}, 'attacker');
  c.send(unsubscribe(level, 0, ['a']));
  await c.expectDisconnect(EITHER);
});
