// CONNECT with a protocol name other than "MQTT" is not MQTT 3.1.1 / 5.0: the broker refuses it.
import assert from 'node:assert/strict';
import { both, broker, canary, open, uid } from './support.js';
import { connect, publish } from '../helpers/raw-packets.js';
import { RC } from '../helpers/raw-codes.js';

both(
  { v4: 'v3.1.1 [MQTT-3.1.2-1] [MQTT-3.1.4-1]', v5: 'v5 [MQTT-3.1.2-1] [MQTT-3.1.4-1]' },
  'protocol name "MQTX" closes the connection (5.0: at most CONNACK 0x84 first)',
  async (level, t) => {
    const b = await broker(t);
    const bird = await canary(t, b);
    const c = await open(t, b, level);
    c.send(connect({ level, clientId: uid(), protocolName: 'MQTX' }), publish(level, { topic: 'x', payload: 'y' }));
    const p = await c.next();
    if (p) {
      assert.equal(level, 5, `3.1.1 must close without CONNACK, got ${p.type}`);
      assert.equal(p.type, 'CONNACK');
      assert.ok(p.reasonCode === RC.UnsupportedProtocolVersion || p.reasonCode === RC.MalformedPacket || p.reasonCode === RC.ProtocolError, `rc ${p.reasonCode}`);
    }
    await c.expectClose();
    await bird.check();
  },
);
