// 5.0 enhanced authentication: an unsupported method is refused; without a method, no AUTH is used.
import assert from 'node:assert/strict';
import { both, broker, canary, connected, open, uid } from './support.js';
import { auth, connect, publish } from '../helpers/raw-packets.js';
import { RC } from '../helpers/raw-codes.js';

both(
  { v5: 'v5 [MQTT-4.12.0-1] [MQTT-4.12.0-4] [MQTT-3.1.4-2] [MQTT-3.2.2-6] [MQTT-3.2.2-7] [MQTT-3.2.2-8] [MQTT-3.1.4-6] [MQTT-4.13.2-1]' },
  'an unknown Authentication Method gets CONNACK 0x8C (or 0x87), then close; later bytes are ignored',
  async (level, t) => {
    const b = await broker(t);
    const watcher = await connected(t, b, level, {}, 'watcher');
    await watcher.subscribe(['am/#']);
    const c = await open(t, b, level);
    c.send(connect({ level, clientId: uid(), props: { authenticationMethod: 'X-NO-SUCH-METHOD' } }), publish(level, { topic: 'am/leak', payload: 'x' }));
    const ack = await c.expectPacket('CONNACK');
    const BAD_AUTH_METHOD = 0x8c;
    assert.ok(ack.reasonCode === BAD_AUTH_METHOD || ack.reasonCode === RC.NotAuthorized, `rc ${ack.reasonCode}`);
    assert.equal(ack.sessionPresent, false);
    await c.expectClose();
    await watcher.expectNothing(300);
  },
);

both({ v5: 'v5 [MQTT-4.12.0-6] [MQTT-3.2.2-1] [MQTT-3.2.0-2]' }, 'without an Authentication Method the CONNACK has none and the flags bits 7-1 are 0', async (level, t) => {
  const b = await broker(t);
  const c = await connected(t, b, level);
  const ack = c.received[0]!;
  assert.equal(ack.props?.authenticationMethod, undefined);
  assert.equal(ack.bytes[2]! & 0xfe, 0);
  await c.ping();
  assert.equal(c.received.filter((p) => p.type === 'CONNACK').length, 1);
});

both({ v5: 'v5 [MQTT-4.13.1-1] [MQTT-3.15.2-1]' }, 'an AUTH packet on a connection without an Authentication Method is a protocol error', async (level, t) => {
  const b = await broker(t);
  const bird = await canary(t, b);
  const c = await connected(t, b, level, {}, 'attacker');
  const REAUTHENTICATE = 0x19;
  c.send(auth(REAUTHENTICATE, { authenticationMethod: 'X' }));
  await c.expectDisconnect([RC.ProtocolError, 0x8c]);
  await bird.check();
});
