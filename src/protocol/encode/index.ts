// encodePacket: one exactly-sized Buffer per packet, never a concat.
import { PACKET_TYPE } from '../constants.js';
import type { Packet, ProtocolVersion } from '../packets.js';
import { encodeConnack, encodeConnect } from './connect.js';
import { encodeAuth, encodeDisconnect, encodeEmpty } from './control.js';
import { encodePubAck, encodePublish } from './publish.js';
import { encodeSuback, encodeSubscribe, encodeUnsuback, encodeUnsubscribe } from './subscribe.js';

/**
 * Encodes `packet` for a connection speaking `version` (a CONNECT uses its own protocolVersion). 3.x
 * encodings never carry properties or reason codes beyond what 3.x defines. Content rules (wildcards in
 * a topic, ...) are the caller's; lengths are checked (STRING_TOO_LONG, PACKET_TOO_LARGE).
 */
export function encodePacket(packet: Packet, version: ProtocolVersion): Buffer {
  switch (packet.type) {
    case 'publish': return encodePublish(packet, version);
    case 'connect': return encodeConnect(packet, version);
    case 'connack': return encodeConnack(packet, version);
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp': return encodePubAck(packet, version);
    case 'subscribe': return encodeSubscribe(packet, version);
    case 'suback': return encodeSuback(packet, version);
    case 'unsubscribe': return encodeUnsubscribe(packet, version);
    case 'unsuback': return encodeUnsuback(packet, version);
    case 'pingreq': return encodeEmpty(PACKET_TYPE.pingreq);
    case 'pingresp': return encodeEmpty(PACKET_TYPE.pingresp);
    case 'disconnect': return encodeDisconnect(packet, version);
    case 'auth': return encodeAuth(packet, version);
  }
}
