// 5.0 properties: unknown ids, a property twice, or one not allowed in the packet are errors.
import { both, broker, canary, connected } from './support.js';
import { frame, str, u8, varint } from '../helpers/raw-packets.js';
import { PROPS, RC, T } from '../helpers/raw-codes.js';

function publishWithRawProps(raw: Buffer): Buffer {
  return frame(T.PUBLISH, 0, Buffer.concat([str('a/b'), varint(raw.length), raw, Buffer.from('x')]));
}

const UNKNOWN_PROPERTY = 0x7f;

const cases = [
  { name: 'an unknown property id', raw: Buffer.concat([varint(UNKNOWN_PROPERTY), u8(1)]) },
  { name: 'Payload Format Indicator twice', raw: Buffer.concat([varint(PROPS.payloadFormatIndicator.id), u8(0), varint(PROPS.payloadFormatIndicator.id), u8(0)]) },
  { name: 'Session Expiry Interval (not allowed in PUBLISH)', raw: Buffer.concat([varint(PROPS.sessionExpiryInterval.id), Buffer.alloc(4)]) },
  { name: 'a property length beyond the packet', raw: Buffer.concat([varint(PROPS.contentType.id), Buffer.from([0x00, 0x40])]) },
];

for (const c of cases) {
  both({ v5: 'v5 [MQTT-4.13.1-1] [MQTT-2.2.2-1]' }, `PUBLISH with ${c.name} closes the connection`, async (level, t) => {
    const b = await broker(t);
    const bird = await canary(t, b);
    const attacker = await connected(t, b, level, {}, 'attacker');
    attacker.send(publishWithRawProps(c.raw));
    await attacker.expectDisconnect([RC.MalformedPacket, RC.ProtocolError]);
    await bird.check();
  });
}
