// The reserved bit 0 of the Connect Flags must be 0, otherwise the broker closes the connection.
import assert from 'node:assert/strict';
import { both, broker, canary, open, uid } from './support.js';
import { connect } from '../helpers/raw-packets.js';
import { RC } from '../helpers/raw-codes.js';

both(
  { v4: 'v3.1.1 [MQTT-3.1.2-3] [MQTT-3.1.4-1]', v5: 'v5 [MQTT-3.1.2-3] [MQTT-3.1.4-1] [MQTT-3.2.2-7]' },
  'reserved connect flag 1 closes the connection (5.0: at most CONNACK 0x81 first)',
  async (level, t) => {
    const b = await broker(t);
    const bird = await canary(t, b);
    const c = await open(t, b, level);
    c.send(connect({ level, clientId: uid(), reservedFlag: true }));
    const p = await c.next();
    if (p) {
      assert.equal(level, 5, `3.1.1 must close without CONNACK, got ${p.type}`);
      assert.equal(p.type, 'CONNACK');
      assert.equal(p.reasonCode, RC.MalformedPacket);
      assert.equal(p.sessionPresent, false);
    }
    await c.expectClose();
    await bird.check();
  },
);
