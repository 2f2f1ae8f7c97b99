// A broker configured without retained messages says so in CONNACK (5.0) and refuses a retained will.
import assert from 'node:assert/strict';
import { both, broker, open, uid } from './support.js';
import { connect } from '../helpers/raw-packets.js';
import { RC } from '../helpers/raw-codes.js';

both({ v5: 'v5 [MQTT-3.2.2-13] [MQTT-3.2.2-6]' }, 'with retain unavailable, a will with Will Retain 1 gets CONNACK 0x9A and close', async (level, t) => {
  const b = await broker(t, { retainAvailable: false });
  const ok = await open(t, b, level, 'ok');
  ok.send(connect({ level, clientId: uid() }));
  const ack = await ok.expectPacket('CONNACK');
  assert.equal(ack.props?.retainAvailable, 0);
  const c = await open(t, b, level);
  c.send(connect({ level, clientId: uid(), will: { topic: 'w', payload: 'x', retain: true } }));
  const refused = await c.next();
  if (refused) {
    assert.equal(refused.type, 'CONNACK');
    assert.equal(refused.reasonCode, RC.RetainNotSupported);
    assert.equal(refused.sessionPresent, false);
  }
  await c.expectClose();
});
