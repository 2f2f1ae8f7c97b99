// PUBLISH and PUBACK / PUBREC / PUBREL / PUBCOMP. PUBLISH is the broker's hot path: sizes first, one
// allocation, no intermediate buffers, and the Packet Identifier's offset is exposed so a broker can patch
// a copy per subscriber without encoding again.
import { PACKET_TYPE, REQUIRED_FLAGS, ReasonCode } from '../constants.js';
import { ProtocolError } from '../errors.js';
import type { PubAckFamilyPacket, ProtocolVersion, PublishPacket } from '../packets.js';
import { propertiesLength, writeProperties } from '../property-codec.js';
import { writeUtf8 } from '../utf8.js';
import { MAX_VARINT, varintLength, writeVarint } from '../varint.js';
import { allocPacket, bodyStart, writeU16 } from './frame.js';

const U16_MAX = 0xffff;
const TYPE_SHIFT = 4;
const PUBLISH_FIRST = PACKET_TYPE.publish << TYPE_SHIFT;
const DUP_BIT = 0x08;
const QOS_SHIFT = 1;
const RETAIN_BIT = 0x01;

function topicBytes(topic: string): number {
  const n = topic.length === 0 ? 0 : Buffer.byteLength(topic);
  if (n > U16_MAX) throw new ProtocolError('STRING_TOO_LONG', ReasonCode.MalformedPacket, `topic is ${n} bytes (max 65535)`);
  return n;
}

function publishBodyLength(p: PublishPacket, version: ProtocolVersion, topicLen: number, propLen: number): number {
  let body = 2 + topicLen + p.payload.length;
  if (p.qos > 0) body += 2;
  if (version === 5) body += varintLength(propLen) + propLen;
  return body;
}

export function encodePublish(p: PublishPacket, version: ProtocolVersion): Buffer {
  const qos = p.qos;
  if (qos > 0 && !(p.packetId! > 0 && p.packetId! <= U16_MAX)) {
    throw new ProtocolError('PACKET_ID_ZERO', ReasonCode.MalformedPacket, 'PUBLISH with QoS > 0 needs a Packet Identifier 1..65535');
  }
  const topic = p.topic;
  const topicLen = topicBytes(topic);
  const propLen = version === 5 ? propertiesLength(p.properties) : 0;
  const payload = p.payload;
  const body = publishBodyLength(p, version, topicLen, propLen);
  if (body > MAX_VARINT) {
    throw new ProtocolError('PACKET_TOO_LARGE', ReasonCode.PacketTooLarge, `Remaining Length ${body} exceeds ${MAX_VARINT}`);
  }
  const buf = Buffer.allocUnsafe(1 + varintLength(body) + body);
  buf[0] = PUBLISH_FIRST | (p.dup ? DUP_BIT : 0) | (qos << QOS_SHIFT) | (p.retain ? RETAIN_BIT : 0);
  let pos = writeVarint(buf, 1, body);
  buf[pos] = topicLen >>> 8;
  buf[pos + 1] = topicLen & 0xff;
  pos += 2;
  if (topicLen > 0) pos += writeUtf8(buf, pos, topic);
  if (qos > 0) {
    const id = p.packetId!;
    buf[pos] = id >>> 8;
    buf[pos + 1] = id & 0xff;
    pos += 2;
  }
  if (version === 5) pos = writeProperties(buf, pos, p.properties, propLen);
  if (payload.length > 0) buf.set(payload, pos);
  return buf;
}

/**
 * Offset of the 2-byte Packet Identifier in encodePacket(packet, version), or -1 for QoS 0. A broker can
 * copy the encoded buffer and write a per-subscriber identifier there with buf.writeUInt16BE(id, offset).
 */
export function encodedPublishPacketIdOffset(p: PublishPacket, version: ProtocolVersion): number {
  if (p.qos === 0) return -1;
  const topicLen = topicBytes(p.topic);
  const propLen = version === 5 ? propertiesLength(p.properties) : 0;
  const body = publishBodyLength(p, version, topicLen, propLen);
  return 1 + varintLength(body) + 2 + topicLen;
}

type AckType = 'puback' | 'pubrec' | 'pubrel' | 'pubcomp';

/** 5.0 [MQTT-3.4.2-1] and kin: reason 0x00 without properties is sent as just the Packet Identifier. */
export function encodePubAck(p: PubAckFamilyPacket<AckType>, version: ProtocolVersion): Buffer {
  const type = PACKET_TYPE[p.type];
  const first = (type << TYPE_SHIFT) | REQUIRED_FLAGS[type]!;
  const rc = p.reasonCode ?? ReasonCode.Success;
  const propLen = version === 5 ? propertiesLength(p.properties) : 0;
  let body = 2;
  if (version === 5 && (rc !== ReasonCode.Success || propLen > 0)) body += 1;
  if (version === 5 && propLen > 0) body += varintLength(propLen) + propLen;
  const buf = allocPacket(first, body);
  let pos = writeU16(buf, bodyStart(body), p.packetId);
  if (body > 2) buf[pos++] = rc;
  if (propLen > 0) writeProperties(buf, pos, p.properties, propLen);
  return buf;
}
