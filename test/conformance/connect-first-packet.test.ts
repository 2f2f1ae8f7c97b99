// The first packet on a connection must be CONNECT; anything else makes the broker close it unanswered.
import { both, broker, canary, open } from './support.js';
import { pingreq, publish, subscribe } from '../helpers/raw-packets.js';

both(
  { v4: 'v3.1.1 [MQTT-3.1.0-1] [MQTT-4.8.0-1]', v5: 'v5 [MQTT-3.1.0-1] [MQTT-4.13.1-1] [MQTT-3.14.0-1]' },
  'a PUBLISH before CONNECT closes the connection without any packet',
  async (level, t) => {
    const b = await broker(t);
    const bird = await canary(t, b);
    const c = await open(t, b, level);
    c.send(publish(level, { topic: 'a/b', payload: 'x' }));
    await c.expectClose();
    await bird.check();
  },
);

both(
  { v4: 'v3.1.1 [MQTT-3.1.0-1]', v5: 'v5 [MQTT-3.1.0-1] [MQTT-3.14.0-1]' },
  'a SUBSCRIBE or PINGREQ before CONNECT closes the connection without any packet',
  async (level, t) => {
    const b = await broker(t);
    const s = await open(t, b, level, 'sub');
    s.send(subscribe(level, 1, ['a/#']));
    await s.expectClose();
    const p = await open(t, b, level, 'ping');
    p.send(pingreq());
    await p.expectClose();
  },
);
