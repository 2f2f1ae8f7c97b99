// Reserved fixed-header flag bits must carry their required value; anything else makes the broker
// close the connection (5.0: Malformed Packet). A canary connected before keeps working.
import { both, broker, canary, connected } from './support.js';
import { frame, props, str, u16 } from '../helpers/raw-packets.js';
import { RC, T, type Level } from '../helpers/raw-codes.js';

const WRONG = 0b0001;

function body(type: number, level: Level): Buffer {
  switch (type) {
    case T.PUBACK:
    case T.PUBREC:
    case T.PUBREL:
    case T.PUBCOMP:
      return u16(1);
    case T.SUBSCRIBE:
      return Buffer.concat([u16(1), ...(level === 5 ? [props({})] : []), str('a/b'), Buffer.from([0])]);
    case T.UNSUBSCRIBE:
      return Buffer.concat([u16(1), ...(level === 5 ? [props({})] : []), str('a/b')]);
    default:
      return Buffer.alloc(0);
  }
}

const cases: { name: string; type: number; flags: number; tags: { v4?: string; v5?: string } }[] = [
  { name: 'PINGREQ with flags 0001', type: T.PINGREQ, flags: WRONG, tags: { v4: 'v3.1.1 [MQTT-2.2.2-1] [MQTT-2.2.2-2]', v5: 'v5 [MQTT-2.1.3-1]' } },
  { name: 'PUBACK with flags 0001', type: T.PUBACK, flags: WRONG, tags: { v4: 'v3.1.1 [MQTT-2.2.2-2]', v5: 'v5 [MQTT-2.1.3-1]' } },
  { name: 'PUBREL with flags 0000', type: T.PUBREL, flags: 0, tags: { v4: 'v3.1.1 [MQTT-3.6.1-1]', v5: 'v5 [MQTT-3.6.1-1]' } },
  { name: 'SUBSCRIBE with flags 0000', type: T.SUBSCRIBE, flags: 0, tags: { v4: 'v3.1.1 [MQTT-3.8.1-1]', v5: 'v5 [MQTT-3.8.1-1]' } },
  { name: 'UNSUBSCRIBE with flags 0000', type: T.UNSUBSCRIBE, flags: 0, tags: { v4: 'v3.1.1 [MQTT-3.10.1-1]', v5: 'v5 [MQTT-3.10.1-1]' } },
  { name: 'DISCONNECT with flags 0001', type: T.DISCONNECT, flags: WRONG, tags: { v4: 'v3.1.1 [MQTT-3.14.1-1]', v5: 'v5 [MQTT-3.14.1-1]' } },
  { name: 'AUTH with flags 0001', type: T.AUTH, flags: WRONG, tags: { v5: 'v5 [MQTT-3.15.1-1]' } },
  { name: 'reserved packet type 0', type: 0, flags: 0, tags: { v4: 'v3.1.1 [MQTT-4.8.0-1]', v5: 'v5 [MQTT-4.13.1-1]' } },
];

for (const c of cases) {
  both(c.tags, `${c.name} closes the connection (5.0: DISCONNECT 0x81 first, if anything)`, async (level, t) => {
    const b = await broker(t);
    const bird = await canary(t, b);
    const victim = await connected(t, b, level, {}, 'attacker');
    victim.send(frame(c.type, c.flags, body(c.type, level)));
    // [MQTT-3.14.1-1] names DISCONNECT 0x81 for a bad DISCONNECT; the other cases may just close.
    await victim.expectDisconnect(c.type === 0 ? [RC.MalformedPacket, RC.ProtocolError] : RC.MalformedPacket, undefined, c.type === T.DISCONNECT);
    await bird.check();
  });
}
