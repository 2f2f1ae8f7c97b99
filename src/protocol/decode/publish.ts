// PUBLISH and its acknowledgements PUBACK / PUBREC / PUBREL / PUBCOMP (spec 3.3 - 3.7).
import { ReasonCode } from '../constants.js';
import { ProtocolError, malformed } from '../errors.js';
import type { PubAckFamilyPacket, PublishPacket, QoS } from '../packets.js';
import { readProperties } from '../property-codec.js';
import type { Reader } from '../reader.js';
import { UTF8_HAS_WILDCARD } from '../utf8.js';
import { checkReasonCode } from './reason.js';

export const PUBLISH_DUP = 0x08;
export const PUBLISH_QOS_MASK = 0x06;
export const PUBLISH_QOS_SHIFT = 1;
export const PUBLISH_RETAIN = 0x01;
const QOS_INVALID = 3;

/** Header flag checks that need no body bytes (also used by the stream decoder before buffering). */
export function checkPublishFlags(flags: number, version: number, offset: number): void {
  const qos = (flags & PUBLISH_QOS_MASK) >> PUBLISH_QOS_SHIFT;
  if (qos === QOS_INVALID) throw malformed('INVALID_QOS', 'PUBLISH QoS is 3', offset); // 5.0 / 3.1.1 [MQTT-3.3.1-4]
  if (version !== 3 && qos === 0 && (flags & PUBLISH_DUP) !== 0) {
    throw malformed('INVALID_FLAGS', 'DUP is set on a QoS 0 PUBLISH', offset); // 5.0 / 3.1.1 [MQTT-3.3.1-2]
  }
}

export function decodePublish(r: Reader, flags: number): PublishPacket {
  checkPublishFlags(flags, r.version, 0);
  const qos = ((flags & PUBLISH_QOS_MASK) >> PUBLISH_QOS_SHIFT) as QoS;
  const topicAt = r.pos;
  const topic = r.utf8('Topic Name'); // 5.0 / 3.1.1 [MQTT-3.3.2-1]
  if ((r.strFlags & UTF8_HAS_WILDCARD) !== 0) {
    throw new ProtocolError('INVALID_TOPIC_NAME', ReasonCode.TopicNameInvalid,
      `topic name "${topic}" contains a wildcard`, r.off(topicAt)); // 5.0 / 3.1.1 [MQTT-3.3.2-2]
  }
  const packet: PublishPacket = {
    type: 'publish', topic, payload: EMPTY, qos, retain: (flags & PUBLISH_RETAIN) !== 0, dup: (flags & PUBLISH_DUP) !== 0,
  };
  if (qos > 0) {
    const idAt = r.pos;
    const packetId = r.u16('Packet Identifier');
    // 5.0 [MQTT-2.2.1-3] / 3.1.1 [MQTT-2.3.1-1]: non-zero
    if (packetId === 0) throw malformed('PACKET_ID_ZERO', 'PUBLISH QoS > 0 with Packet Identifier 0', r.off(idAt));
    packet.packetId = packetId;
  }
  if (r.version === 5) {
    const properties = readProperties(r, 'publish');
    if (properties) packet.properties = properties;
    if (topic.length === 0 && properties?.topicAlias === undefined) {
      // 5.0 [MQTT-3.3.2-1]: a zero-length Topic Name needs a Topic Alias
      throw new ProtocolError('INVALID_TOPIC_NAME', ReasonCode.ProtocolError, 'empty topic name without a Topic Alias', r.off(topicAt));
    }
  } else if (topic.length === 0) {
    throw new ProtocolError('INVALID_TOPIC_NAME', ReasonCode.TopicNameInvalid, 'empty topic name', r.off(topicAt)); // 3.1.1 [MQTT-4.7.3-1]
  }
  packet.payload = r.rest('Payload');
  return packet;
}

const EMPTY = Buffer.alloc(0);

type AckType = 'puback' | 'pubrec' | 'pubrel' | 'pubcomp';

export function decodePubAck<T extends AckType>(r: Reader, type: T): PubAckFamilyPacket<T> {
  const packetId = r.u16('Packet Identifier');
  const packet: PubAckFamilyPacket<T> = { type, packetId };
  if (r.version === 5 && r.remaining > 0) {
    // 5.0 [MQTT-3.4.2-1] and kin: Remaining Length 2 means reason 0x00 and no properties
    const at = r.pos;
    const reasonCode = r.u8('Reason Code');
    checkReasonCode(r, type, reasonCode, at);
    packet.reasonCode = reasonCode;
    if (r.remaining > 0) {
      const properties = readProperties(r, type);
      if (properties) packet.properties = properties;
    }
  }
  return packet;
}
