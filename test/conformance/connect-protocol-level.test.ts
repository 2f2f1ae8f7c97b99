// An unsupported protocol level is refused with CONNACK "unacceptable protocol version", then closed.
import assert from 'node:assert/strict';
import { both, broker, open, uid } from './support.js';
import { connect, u8, u16, str, frame } from '../helpers/raw-packets.js';
import { RC, RC311, T } from '../helpers/raw-codes.js';

/** A 3.1.1-shaped CONNECT carrying a protocol level the broker does not implement. */
function connectWithLevel(level: number): Buffer {
  return frame(T.CONNECT, 0, Buffer.concat([str('MQTT'), u8(level), u8(0x02), u16(60), str(uid())]));
}

both(
  { v4: 'v3.1.1 [MQTT-3.1.2-2] [MQTT-3.2.2-4] [MQTT-3.2.2-5]' },
  'protocol level 7 gets CONNACK 0x01 with session present 0, then close',
  async (level, t) => {
    const b = await broker(t);
    const c = await open(t, b, level);
    c.send(connectWithLevel(7));
    const ack = await c.expectPacket('CONNACK');
    assert.equal(ack.reasonCode, RC311.UnacceptableProtocolVersion);
    assert.equal(ack.sessionPresent, false);
    await c.expectClose();
  },
);

both(
  { v5: 'v5 [MQTT-3.1.2-2] [MQTT-3.2.2-7]' },
  'protocol level 6 is refused (CONNACK 0x84 or 0x01 at most) and closed',
  async (level, t) => {
    const b = await broker(t);
    const c = await open(t, b, level);
    c.send(connectWithLevel(6));
    const p = await c.next();
    if (p) {
      assert.equal(p.type, 'CONNACK');
      assert.ok(p.reasonCode === RC.UnsupportedProtocolVersion || p.reasonCode === RC311.UnacceptableProtocolVersion);
    }
    await c.expectClose();
  },
);

both(
  { v4: 'v3.1.1 [MQTT-3.1.4-4] [MQTT-3.2.0-1]', v5: 'v5 [MQTT-3.1.4-5] [MQTT-3.2.0-1]' },
  'a valid CONNECT is answered first of all by CONNACK 0x00',
  async (level, t) => {
    const b = await broker(t);
    const c = await open(t, b, level);
    c.send(connect({ level, clientId: uid() }));
    const ack = await c.expectPacket('CONNACK');
    assert.equal(ack.reasonCode, RC.Success);
  },
);
