// Outgoing PUBLISH encoding. A message fanned out to many subscribers is encoded once per (protocol version,
// QoS, RETAIN) and the same Buffer is written to every QoS 0 subscriber; QoS 1/2 subscribers get a copy with
// their packet id (and DUP) patched in. Only deliveries that need per-subscriber properties (Subscription
// Identifiers, a server-assigned Topic Alias, a counted-down Message Expiry) are encoded individually.
import { encodePacket } from '../protocol/index.js';
import type { Properties } from '../protocol/properties.js';
import type { ProtocolVersion, PublishPacket, QoS } from '../protocol/packets.js';
import type { Message } from './message.js';

const DUP_FLAG = 0x08;
const CONTINUATION_BIT = 0x80;
const VARIANTS = 18; // 3 protocol levels x 3 QoS x 2 RETAIN
const PLACEHOLDER_PACKET_ID = 1;

/** What the encoder needs to know about the receiving connection. */
export interface PublishTarget {
  readonly version: ProtocolVersion;
  /** The client's Topic Alias Maximum (5.0 CONNECT); 0 = send no aliases [MQTT-3.1.2-27]. */
  readonly clientTopicAliasMaximum: number;
  /** Topic -> alias this connection has assigned (mappings end with the connection [MQTT-3.3.2-7]). */
  outgoingAliases: Map<string, number> | undefined;
}

export function encodePublish(
  target: PublishTarget,
  message: Message,
  qos: QoS,
  retain: boolean,
  subscriptionIds: number[] | undefined,
  packetId: number,
  dup: boolean,
  now: number,
): Buffer {
  const v5 = target.version === 5;
  let expiry: number | undefined;
  if (v5 && message.expiresAt !== undefined) {
    const waited = Math.floor((now - message.receivedAt) / 1000);
    // [MQTT-3.3.2-6] forward the received interval minus the time the message waited here
    if (waited > 0) expiry = Math.max(1, message.properties!.messageExpiryInterval! - waited);
  }
  const aliasing = v5 && target.clientTopicAliasMaximum > 0;
  if (!v5 || (subscriptionIds === undefined && expiry === undefined && !aliasing)) {
    return fromTemplate(template(target.version, message, qos, retain), qos, packetId, dup);
  }
  const properties: Properties = { ...message.properties };
  if (expiry !== undefined) properties.messageExpiryInterval = expiry;
  if (subscriptionIds !== undefined) properties.subscriptionIdentifiers = subscriptionIds; // [MQTT-3.3.4-3]
  let topic = message.topic;
  if (aliasing) {
    const aliases = (target.outgoingAliases ??= new Map());
    const alias = aliases.get(topic);
    if (alias !== undefined) {
      properties.topicAlias = alias;
      topic = '';
    } else if (aliases.size < target.clientTopicAliasMaximum) {
      // [MQTT-3.3.2-11] never above the client's maximum; aliases start at 1 [MQTT-3.3.2-8]
      properties.topicAlias = aliases.size + 1;
      aliases.set(topic, properties.topicAlias);
    }
  }
  const packet: PublishPacket = { type: 'publish', topic, payload: message.payload, qos, retain, dup, properties };
  if (qos > 0) packet.packetId = packetId;
  return encodePacket(packet, target.version);
}

// The message being routed whose PUBLISH, as the client sent it, is already its QoS 0, RETAIN 0 encoding for the
// versions of `receivedV5` (set around one route by the broker; see takeAsReceived in protocol/decode/publish.ts).
let received: Message | undefined;
let receivedBytes: Buffer | undefined;
let receivedV5 = false;

/**
 * While `message` is routed, its QoS 0, RETAIN 0 deliveries to clients of the same protocol family (3.x, or 5.0)
 * write `bytes`, the PUBLISH as received, instead of encoding it: the caller has checked that they are exactly
 * what the encoder would make. Called again with undefined once the route is done (nothing keeps the chunk).
 */
export function forwardAsReceived(message: Message | undefined, bytes: Buffer | undefined, v5: boolean): void {
  received = message;
  receivedBytes = bytes;
  receivedV5 = v5;
}

/** The shared encoding of a message for one (version, QoS, RETAIN) variant, made on first use. */
function template(version: ProtocolVersion, message: Message, qos: QoS, retain: boolean): Buffer {
  if (message === received && qos === 0 && !retain && (version === 5) === receivedV5) return receivedBytes!;
  const key = (version - 3) * 6 + qos * 2 + (retain ? 1 : 0);
  const cache = (message.encoded ??= new Array<Buffer | undefined>(VARIANTS));
  let buf = cache[key];
  if (buf === undefined) {
    const packet: PublishPacket = {
      type: 'publish',
      topic: message.topic,
      payload: message.payload,
      qos,
      retain,
      dup: false,
      properties: version === 5 ? message.properties : undefined,
    };
    if (qos > 0) packet.packetId = PLACEHOLDER_PACKET_ID;
    buf = encodePacket(packet, version);
    cache[key] = buf;
  }
  return buf;
}

function fromTemplate(buf: Buffer, qos: QoS, packetId: number, dup: boolean): Buffer {
  if (qos === 0) return buf;
  const out = Buffer.allocUnsafe(buf.length);
  buf.copy(out);
  out.writeUInt16BE(packetId, packetIdOffset(buf));
  if (dup) out[0]! |= DUP_FLAG; // [MQTT-3.3.1-1] only a re-delivery carries DUP
  return out;
}

/** Byte offset of the packet id: after the fixed header and the topic name. */
export function packetIdOffset(buf: Buffer): number {
  let i = 1;
  while (buf[i]! & CONTINUATION_BIT) i++;
  const topicStart = i + 1;
  return topicStart + 2 + buf.readUInt16BE(topicStart);
}
