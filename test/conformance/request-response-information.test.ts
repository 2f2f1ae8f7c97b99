// 5.0 Request Response Information / Request Problem Information in CONNECT.
import assert from 'node:assert/strict';
import { both, broker, open, uid } from './support.js';
import { connect } from '../helpers/raw-packets.js';

both({ v5: 'v5 [MQTT-3.1.2-28]' }, 'without Request Response Information the CONNACK has no Response Information', async (level, t) => {
  const b = await broker(t);
  for (const props of [undefined, { requestResponseInformation: 0 }]) {
    const c = await open(t, b, level);
    c.send(connect({ level, clientId: uid(), props }));
    const ack = await c.expectPacket('CONNACK');
    assert.equal(ack.props?.responseInformation, undefined);
  }
});

both({ v5: 'v5 [MQTT-3.1.2-29]' }, 'with Request Problem Information 0, a SUBACK carries no Reason String or User Property', async (level, t) => {
  const b = await broker(t, { denySubscribe: ['secret'] });
  const c = await open(t, b, level);
  c.send(connect({ level, clientId: uid(), props: { requestProblemInformation: 0 } }));
  await c.expectPacket('CONNACK');
  const ack = await c.subscribe(['secret', 'open']);
  assert.equal(ack.props?.reasonString, undefined);
  assert.equal(ack.props?.userProperties, undefined);
});
