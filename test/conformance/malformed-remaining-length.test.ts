// Broken framing: a Remaining Length of 5 bytes, or a body shorter than its fields, closes the connection.
import { both, broker, canary, connected } from './support.js';
import { frame, u16 } from '../helpers/raw-packets.js';
import { RC, T } from '../helpers/raw-codes.js';

both({ v4: 'v3.1.1 [MQTT-4.8.0-1]', v5: 'v5 [MQTT-1.5.5-1] [MQTT-4.13.1-1]' }, 'a 5-byte Remaining Length closes the connection', async (level, t) => {
  const b = await broker(t);
  const bird = await canary(t, b);
  const c = await connected(t, b, level, {}, 'attacker');
  const PUBLISH_QOS0 = T.PUBLISH << 4;
  c.send(Buffer.from([PUBLISH_QOS0, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00]));
  await c.expectDisconnect(RC.MalformedPacket);
  await bird.check();
});

both({ v4: 'v3.1.1 [MQTT-4.8.0-1]', v5: 'v5 [MQTT-4.13.1-1]' }, 'a PUBLISH whose topic length runs past the packet closes the connection', async (level, t) => {
  const b = await broker(t);
  const bird = await canary(t, b);
  const c = await connected(t, b, level, {}, 'attacker');
  c.send(frame(T.PUBLISH, 0, Buffer.concat([u16(200), Buffer.from('abc')])));
  await c.expectDisconnect(RC.MalformedPacket);
  await bird.check();
});

both({ v4: 'v3.1.1 [MQTT-4.8.0-1]', v5: 'v5 [MQTT-4.13.1-1]' }, 'a PUBACK with a 1-byte body closes the connection', async (level, t) => {
  const b = await broker(t);
  const bird = await canary(t, b);
  const c = await connected(t, b, level, {}, 'attacker');
  c.send(frame(T.PUBACK, 0, Buffer.from([1])));
  await c.expectDisconnect(RC.MalformedPacket);
  await bird.check();
});
