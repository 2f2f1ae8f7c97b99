// A PUBLISH with QoS 3 (both QoS bits set) is malformed: close (5.0: DISCONNECT 0x81).
import { both, broker, canary, connected } from './support.js';
import { frame, props, str, u16 } from '../helpers/raw-packets.js';
import { RC, T } from '../helpers/raw-codes.js';

const QOS_3 = 0b0110;

both({ v4: 'v3.1.1 [MQTT-3.3.1-4]', v5: 'v5 [MQTT-3.3.1-4]' }, 'a QoS 3 PUBLISH closes the connection', async (level, t) => {
  const b = await broker(t);
  const bird = await canary(t, b);
  const c = await connected(t, b, level, {}, 'attacker');
  c.send(frame(T.PUBLISH, QOS_3, Buffer.concat([str('a/b'), u16(1), ...(level === 5 ? [props({})] : []), Buffer.from('x')])));
  await c.expectDisconnect(RC.MalformedPacket, undefined, true); // 5.0 names DISCONNECT 0x81 here
  await bird.check();
});

both({ v4: 'v3.1.1 [MQTT-3.3.1-2]', v5: 'v5 [MQTT-3.3.1-2]' }, 'a QoS 0 PUBLISH with DUP 1 closes the connection', async (level, t) => {
  const b = await broker(t);
  const bird = await canary(t, b);
  const c = await connected(t, b, level, {}, 'attacker');
  const DUP = 0b1000;
  c.send(frame(T.PUBLISH, DUP, Buffer.concat([str('a/b'), ...(level === 5 ? [props({})] : []), Buffer.from('x')])));
  await c.expectDisconnect([RC.MalformedPacket, RC.ProtocolError]);
  await bird.check();
});
