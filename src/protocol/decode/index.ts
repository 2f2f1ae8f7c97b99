// One packet: fixed header, then the body decoder of its family. Used by decodePacket, the stream decoder
// and, with a Recorder attached to the Reader, by the dissector.
import { PACKET_TYPE, PACKET_TYPE_NAME, REQUIRED_FLAGS, ReasonCode } from '../constants.js';
import { ProtocolError, malformed } from '../errors.js';
import type { Packet } from '../packets.js';
import { bitPicture, type Reader } from '../reader.js';
import { MAX_VARINT_BYTES, VARINT_CONTINUATION, VARINT_VALUE_MASK } from '../varint.js';
import { decodeDisconnect, decodeAuth } from './control.js';
import { decodeConnack, decodeConnect } from './connect.js';
import { PUBLISH_DUP, PUBLISH_QOS_MASK, PUBLISH_QOS_SHIFT, PUBLISH_RETAIN, checkPublishFlags, decodePubAck } from './publish.js';
import { decodePublish } from './publish.js';
import { decodeSuback, decodeSubscribe, decodeUnsuback, decodeUnsubscribe } from './subscribe.js';

export const TYPE_SHIFT = 4;
const FLAGS_MASK = 0x0f;

/**
 * Checks the first byte of a packet (type and fixed-header flags) before any body byte is needed, so the
 * stream decoder can reject a bad packet at once. `version` is the connection's version.
 */
export function checkFirstByte(first: number, version: number): void {
  const type = first >> TYPE_SHIFT;
  const flags = first & FLAGS_MASK;
  if (type === 0 || (type === PACKET_TYPE.auth && version !== 5)) {
    // 0 is reserved in every version; 15 is AUTH in 5.0 and reserved before
    throw malformed('INVALID_PACKET_TYPE', `packet type ${type} is reserved in this protocol version`, 0);
  }
  if (type === PACKET_TYPE.publish) {
    checkPublishFlags(flags, version, 0);
  } else if (flags !== REQUIRED_FLAGS[type]) {
    // 5.0 [MQTT-2.1.3-1] / 3.1.1 [MQTT-2.2.2-1] [MQTT-2.2.2-2]; PUBREL [MQTT-3.6.1-1], SUBSCRIBE [MQTT-3.8.1-1],
    // UNSUBSCRIBE [MQTT-3.10.1-1], DISCONNECT 5.0 [MQTT-3.14.1-1], AUTH 5.0 [MQTT-3.15.1-1]
    throw malformed('INVALID_FLAGS',
      `${PACKET_TYPE_NAME[type]!.toUpperCase()} fixed-header flags are 0b${flags.toString(2).padStart(4, '0')}, must be 0b${REQUIRED_FLAGS[type]!.toString(2).padStart(4, '0')}`, 0);
  }
}

/** Decodes the body in r[pos, end) of a packet whose first byte is `first`; checks nothing is left over. */
export function decodeBody(r: Reader, first: number): Packet {
  const type = first >> TYPE_SHIFT;
  let packet: Packet;
  switch (type) {
    case PACKET_TYPE.connect: packet = decodeConnect(r); break;
    case PACKET_TYPE.connack: packet = decodeConnack(r); break;
    case PACKET_TYPE.publish: packet = decodePublish(r, first & FLAGS_MASK); break;
    case PACKET_TYPE.puback: packet = decodePubAck(r, 'puback'); break;
    case PACKET_TYPE.pubrec: packet = decodePubAck(r, 'pubrec'); break;
    case PACKET_TYPE.pubrel: packet = decodePubAck(r, 'pubrel'); break;
    case PACKET_TYPE.pubcomp: packet = decodePubAck(r, 'pubcomp'); break;
    case PACKET_TYPE.subscribe: packet = decodeSubscribe(r); break;
    case PACKET_TYPE.suback: packet = decodeSuback(r); break;
    case PACKET_TYPE.unsubscribe: packet = decodeUnsubscribe(r); break;
    case PACKET_TYPE.unsuback: packet = decodeUnsuback(r); break;
    case PACKET_TYPE.pingreq: packet = { type: 'pingreq' }; break;
    case PACKET_TYPE.pingresp: packet = { type: 'pingresp' }; break;
    case PACKET_TYPE.disconnect: packet = decodeDisconnect(r); break;
    default: packet = decodeAuth(r); break;
  }
  if (r.pos !== r.end) {
    // the Remaining Length says there is more than this packet's fields hold
    const err = malformed('TRAILING_BYTES',
      `${r.end - r.pos} byte(s) after the last field of ${packet.type.toUpperCase()} (Remaining Length too large)`, r.off());
    r.fail(err, 'Unexpected bytes', r.pos, r.end - r.pos);
  }
  return packet;
}

export interface FixedHeader {
  first: number;
  remainingLength: number;
  /** Bytes of fixed header: 1 + the varint's length. */
  headerLength: number;
}

/**
 * Reads the fixed header at r.pos (recording its parts when r.rec is set). `minimal` enforces the 5.0
 * rule against over-long varints [MQTT-1.5.5-1].
 */
export function readFixedHeader(r: Reader): FixedHeader {
  const start = r.pos;
  if (r.pos >= r.end) r.truncated('Fixed Header', 2);
  const first = r.buf[r.pos++]!;
  if (r.rec !== null) recordFirstByte(r, first, start);
  try {
    checkFirstByte(first, r.version);
  } catch (err) {
    if (r.rec !== null && err instanceof ProtocolError) r.rec.last()!.error = err.message;
    throw err;
  }
  const lenStart = r.pos;
  r.open('Remaining Length');
  let value = 0;
  let mult = 1;
  for (let n = 1; ; n++) {
    if (r.pos >= r.end) r.truncated('Remaining Length', 1);
    const b = r.buf[r.pos++]!;
    value += (b & VARINT_VALUE_MASK) * mult;
    if (r.rec !== null) {
      r.rec.add({ name: `Byte ${n}`, offset: r.off(r.pos - 1), length: 1, value: b,
        display: `0x${b.toString(16).padStart(2, '0')}: ${b & VARINT_VALUE_MASK} x ${mult}${(b & VARINT_CONTINUATION) !== 0 ? ', more follows' : ''}` });
    }
    if ((b & VARINT_CONTINUATION) === 0) {
      if (b === 0 && n > 1 && r.version === 5) {
        throw new ProtocolError('MALFORMED_REMAINING_LENGTH', ReasonCode.MalformedPacket,
          'Remaining Length is not minimally encoded', r.off(lenStart)); // 5.0 [MQTT-1.5.5-1]
      }
      break;
    }
    if (n === MAX_VARINT_BYTES) {
      throw new ProtocolError('MALFORMED_REMAINING_LENGTH', ReasonCode.MalformedPacket,
        'Remaining Length is longer than 4 bytes', r.off(lenStart));
    }
    mult *= 128;
  }
  r.close(value, `${value}`);
  return { first, remainingLength: value, headerLength: r.pos - start };
}

function recordFirstByte(r: Reader, first: number, at: number): void {
  const type = first >> TYPE_SHIFT;
  const name = PACKET_TYPE_NAME[type]?.toUpperCase() ?? 'Reserved';
  r.rec!.add({ name: 'Fixed Header', offset: r.off(at), length: 1, value: first, display: `0x${first.toString(16).padStart(2, '0')} (${name})` });
  r.bit('Packet Type', at, bitPicture(first, 0xf0), type, `${name} (${type})`);
  if (type === PACKET_TYPE.publish) {
    const qos = (first & PUBLISH_QOS_MASK) >> PUBLISH_QOS_SHIFT;
    r.bit('DUP', at, bitPicture(first, PUBLISH_DUP), (first & PUBLISH_DUP) !== 0, (first & PUBLISH_DUP) !== 0 ? 'Set' : 'Not set');
    r.bit('QoS', at, bitPicture(first, PUBLISH_QOS_MASK), qos, qos === 3 ? 'QoS 3 (invalid)' : `QoS ${qos}`);
    r.bit('RETAIN', at, bitPicture(first, PUBLISH_RETAIN), (first & PUBLISH_RETAIN) !== 0, (first & PUBLISH_RETAIN) !== 0 ? 'Set' : 'Not set');
  } else {
    const required = REQUIRED_FLAGS[type];
    const flags = first & FLAGS_MASK;
    r.bit('Reserved', at, bitPicture(first, FLAGS_MASK), flags,
      required === undefined || flags === required ? `0b${flags.toString(2).padStart(4, '0')}` : `0b${flags.toString(2).padStart(4, '0')} (must be 0b${required.toString(2).padStart(4, '0')})`);
  }
}
