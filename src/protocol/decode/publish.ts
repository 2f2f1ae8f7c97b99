// PUBLISH and its acknowledgements PUBACK / PUBREC / PUBREL / PUBCOMP (spec 3.3 - 3.7).
import { ReasonCode } from '../constants.js';
import { ProtocolError, malformed } from '../errors.js';
import type { PubAckFamilyPacket, PublishPacket, QoS } from '../packets.js';
import { readProperties } from '../property-codec.js';
import type { Reader } from '../reader.js';
import { UTF8_HAS_WILDCARD, UTF8_NON_ASCII } from '../utf8.js';
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
  let topic = r.rec === null ? repeatedTopic(r) : undefined;
  if (topic === undefined) {
    topic = r.utf8('Topic Name'); // 5.0 / 3.1.1 [MQTT-3.3.2-1]
    if ((r.strFlags & UTF8_HAS_WILDCARD) !== 0) {
      throw new ProtocolError('INVALID_TOPIC_NAME', ReasonCode.TopicNameInvalid,
        `topic name "${topic}" contains a wildcard`, r.off(topicAt)); // 5.0 / 3.1.1 [MQTT-3.3.2-2]
    }
    if ((r.strFlags & UTF8_NON_ASCII) === 0) keepTopic(r.buf, topicAt + 2, topic);
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
  if (flags === 0 && r.base >= 0 && r.rec === null && packet.properties === undefined) {
    // QoS 0, no DUP, no RETAIN, no properties (5.0: Property Length 0), decoded in place: if its Remaining Length
    // is minimally encoded too, these bytes are exactly what the encoder makes of this topic and payload
    const body = r.end - topicAt;
    if (topicAt - r.base === 1 + (body < 0x80 ? 1 : body < 0x4000 ? 2 : body < 0x200000 ? 3 : 4)) {
      asReceived = packet;
      asReceivedTopic = topic;
      asReceivedPayload = packet.payload;
      asReceivedBuf = r.buf;
      asReceivedStart = r.base;
      asReceivedEnd = r.end;
    }
  }
  return packet;
}

const EMPTY = Buffer.alloc(0);

/**
 * The last ASCII Topic Name decoded, which passed [MQTT-3.3.2-1] and [MQTT-3.3.2-2] (checks of the bytes
 * alone). A publisher mostly repeats its topic: equal bytes give this same string back, with no UTF-8 scan, no
 * native slice call and no new string (whose hash the route cache's lookup would compute again).
 */
let lastTopic = '';
/** Its bytes (compared byte to byte: typed-array loads, cheaper than the string's char codes). */
const lastTopicBytes = Buffer.alloc(128);

function keepTopic(buf: Buffer, start: number, topic: string): void {
  const n = topic.length; // ASCII: one byte a character
  if (n === 0 || n > lastTopicBytes.length) return;
  for (let i = 0; i < n; i++) lastTopicBytes[i] = buf[start + i]!;
  lastTopic = topic;
}

/** lastTopic when the Topic Name at r.pos has exactly its bytes (r.pos then moves past it), else undefined. */
function repeatedTopic(r: Reader): string | undefined {
  const buf = r.buf;
  const at = r.pos;
  const n = lastTopic.length;
  if (n === 0 || r.end - at < 2 + n || ((buf[at]! << 8) | buf[at + 1]!) !== n) return undefined;
  const s = at + 2;
  const kept = lastTopicBytes;
  // from the end: names of one hierarchy share their first levels, so a different name fails fast
  for (let i = n - 1; i >= 0; i--) if (buf[s + i] !== kept[i]) return undefined;
  r.pos = s + n;
  return lastTopic;
}

// The last PUBLISH decoded that could be forwarded byte for byte, and where its bytes are (no view is made unless
// asked for). One per process: decoding and handling a packet happen in one synchronous call.
let asReceived: PublishPacket | undefined;
let asReceivedTopic = '';
let asReceivedPayload: Buffer = EMPTY;
let asReceivedBuf: Buffer = EMPTY;
let asReceivedStart = 0;
let asReceivedEnd = 0;

/**
 * The received bytes of `packet` if it is the last PUBLISH decoded and they are exactly what encodePacket makes
 * of a QoS 0 PUBLISH with its topic and payload, no DUP, no RETAIN and no properties, in the version it was
 * received in (3.1 and 3.1.1 encode PUBLISH alike): a broker can write them instead of encoding. Otherwise
 * (another packet decoded since, a packet that spanned chunks, flags, properties, an over-long Remaining Length)
 * undefined. Answers once: the chunk is not kept past the answer.
 */
export function takeAsReceived(packet: PublishPacket): Buffer | undefined {
  if (packet !== asReceived) return undefined;
  asReceived = undefined;
  const buf = asReceivedBuf;
  asReceivedBuf = EMPTY;
  const payload = asReceivedPayload;
  asReceivedPayload = EMPTY;
  // still as decoded (an embedder's hook could have changed the packet meanwhile)?
  if (packet.payload !== payload || packet.topic !== asReceivedTopic || packet.qos !== 0 || packet.retain || packet.dup
    || packet.properties !== undefined) return undefined;
  return buf.subarray(asReceivedStart, asReceivedEnd);
}

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
