// 5.0: with a small client Maximum Packet Size the broker drops Reason Strings and User Properties
// from acknowledgements rather than exceed it; every packet it sends fits.
import assert from 'node:assert/strict';
import { both, broker, open, uid } from './support.js';
import { connect, publish, pubrel, subscribe, unsubscribe } from '../helpers/raw-packets.js';
import { RC } from '../helpers/raw-codes.js';

const LIMIT = 32;

both(
  {
    v5: 'v5 [MQTT-3.2.2-19] [MQTT-3.2.2-20] [MQTT-3.4.2-2] [MQTT-3.4.2-3] [MQTT-3.5.2-2] [MQTT-3.5.2-3] [MQTT-3.7.2-2] [MQTT-3.7.2-3] [MQTT-3.9.2-1] [MQTT-3.9.2-2] [MQTT-3.11.2-1] [MQTT-3.11.2-2] [MQTT-3.14.2-3] [MQTT-3.14.2-4] [MQTT-3.14.2-1] [MQTT-3.6.2-2] [MQTT-3.6.2-3]',
  },
  `with Maximum Packet Size ${LIMIT}, failure acknowledgements and DISCONNECT fit`,
  async (level, t) => {
    const b = await broker(t, { denyPublish: ['deny/p'], denySubscribe: ['deny/s'] });
    const c = await open(t, b, level);
    c.send(connect({ level, clientId: uid(), props: { maximumPacketSize: LIMIT, requestProblemInformation: 1 } }));
    await c.expectPacket('CONNACK');
    c.send(subscribe(level, 1, ['deny/s', 'ok/s']));
    await c.expectPacket('SUBACK');
    c.send(unsubscribe(level, 2, ['never/subscribed']));
    await c.expectPacket('UNSUBACK');
    c.send(publish(level, { topic: 'deny/p', payload: 'x', qos: 1, packetId: 3 }));
    await c.expectPacket('PUBACK');
    c.send(publish(level, { topic: 'deny/p', payload: 'x', qos: 2, packetId: 4 }));
    const rec = await c.expectPacket('PUBREC');
    if (rec.reasonCode! < RC.UnspecifiedError) {
      c.send(pubrel(level, 4));
      await c.expectPacket('PUBCOMP');
    }
    c.send(pubrel(level, 999));
    await c.expectPacket('PUBCOMP');
    c.send(publish(level, { topic: 'a', payload: 'x', props: { topicAlias: 0 } }));
    await c.expectDisconnect([RC.TopicAliasInvalid, RC.ProtocolError, RC.MalformedPacket]);
    for (const p of c.received) assert.ok(p.bytes.length <= LIMIT, `${p.type} of ${p.bytes.length} bytes > ${LIMIT}`);
  },
);
