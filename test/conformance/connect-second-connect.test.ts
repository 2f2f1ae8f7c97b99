// A second CONNECT on one connection is a protocol violation: the broker closes the connection.
import { both, broker, canary, connected, uid } from './support.js';
import { connect } from '../helpers/raw-packets.js';
import { RC } from '../helpers/raw-codes.js';

both(
  { v4: 'v3.1.1 [MQTT-3.1.0-2] [MQTT-4.8.0-1]', v5: 'v5 [MQTT-3.1.0-2] [MQTT-4.13.1-1]' },
  'a second CONNECT closes the connection',
  async (level, t) => {
    const b = await broker(t);
    const bird = await canary(t, b);
    const c = await connected(t, b, level);
    c.send(connect({ level, clientId: uid() }));
    await c.expectDisconnect(RC.ProtocolError);
    await bird.check();
  },
);
