// Will QoS 3, or Will QoS / Will Retain set without the Will Flag, make the CONNECT malformed.
import assert from 'node:assert/strict';
import { both, broker, open, uid } from './support.js';
import { connect } from '../helpers/raw-packets.js';
import { RC } from '../helpers/raw-codes.js';

const CLEAN = 0x02;
const WILL = 0x04;
const WILL_QOS_3 = 0x18;
const WILL_QOS_1 = 0x08;
const WILL_RETAIN = 0x20;

async function refused(c: Awaited<ReturnType<typeof open>>, level: number): Promise<void> {
  const p = await c.next();
  if (p) {
    assert.equal(level, 5, `3.1.1 must close without CONNACK, got ${p.type}`);
    assert.equal(p.type, 'CONNACK');
    assert.ok(p.reasonCode! >= RC.UnspecifiedError, `rc ${p.reasonCode}`);
  }
  await c.expectClose();
}

both(
  { v4: 'v3.1.1 [MQTT-3.1.2-14] [MQTT-3.1.4-1]', v5: 'v5 [MQTT-3.1.2-12] [MQTT-3.1.4-1]' },
  'Will QoS 3 closes the connection',
  async (level, t) => {
    const b = await broker(t);
    const c = await open(t, b, level);
    c.send(connect({ level, clientId: uid(), will: { topic: 'w', payload: 'x' }, flagsOverride: CLEAN | WILL | WILL_QOS_3 }));
    await refused(c, level);
  },
);

both(
  { v4: 'v3.1.1 [MQTT-3.1.2-13] [MQTT-3.1.4-1]', v5: 'v5 [MQTT-3.1.2-11] [MQTT-3.1.4-1]' },
  'Will QoS 1 without the Will Flag closes the connection',
  async (level, t) => {
    const b = await broker(t);
    const c = await open(t, b, level);
    c.send(connect({ level, clientId: uid(), flagsOverride: CLEAN | WILL_QOS_1 }));
    await refused(c, level);
  },
);

both(
  { v4: 'v3.1.1 [MQTT-3.1.2-15] [MQTT-3.1.4-1]', v5: 'v5 [MQTT-3.1.2-13] [MQTT-3.1.4-1]' },
  'Will Retain without the Will Flag closes the connection',
  async (level, t) => {
    const b = await broker(t);
    const c = await open(t, b, level);
    c.send(connect({ level, clientId: uid(), flagsOverride: CLEAN | WILL_RETAIN }));
    await refused(c, level);
  },
);

both(
  { v4: 'v3.1.1 [MQTT-3.1.2-22] [MQTT-3.1.4-1]' },
  'a password without a user name closes the connection',
  async (level, t) => {
    const b = await broker(t);
    const c = await open(t, b, level);
    const PASSWORD = 0x40;
    c.send(connect({ level, clientId: uid(), password: 'secret', flagsOverride: CLEAN | PASSWORD }));
    await refused(c, level);
  },
);
