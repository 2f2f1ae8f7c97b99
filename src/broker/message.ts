// An Application Message as the broker routes it: one object per received PUBLISH, shared by every subscriber.
import type { Properties } from '../protocol/properties.js';
import type { QoS } from '../protocol/packets.js';

export interface Message {
  readonly topic: string;
  /** May be replaced by a compact copy when the message is kept (see keepPayload). */
  payload: Buffer;
  readonly qos: QoS;
  readonly retain: boolean;
  /** 5.0 publish properties to forward (never Topic Alias or Subscription Identifiers). */
  readonly properties: Properties | undefined;
  /** Clock time (ms) the broker took ownership; Message Expiry counts from here. */
  readonly receivedAt: number;
  /** Clock time (ms) after which the message is expired, when it has a Message Expiry Interval. */
  readonly expiresAt: number | undefined;
  /** Client id of the publisher (for No Local); undefined for broker-made messages ($SYS). */
  readonly origin: string | undefined;
  /**
   * [cluster] Cluster-wide id, given when the message first leaves this node or is stored in Redis, so a session
   * that gets two copies of it by two paths while it moves between nodes delivers it once. undefined otherwise.
   */
  id: string | undefined;
  /**
   * Encoded PUBLISH templates, one per (protocol version, QoS, RETAIN) — see encode-cache.ts. Filled lazily on
   * first delivery so a message fanned out to many subscribers is encoded once per variant.
   */
  encoded: (Buffer | undefined)[] | undefined;
}

export function createMessage(
  topic: string,
  payload: Buffer,
  qos: QoS,
  retain: boolean,
  properties: Properties | undefined,
  now: number,
  origin: string | undefined,
): Message {
  const expiry = properties?.messageExpiryInterval;
  return {
    topic,
    payload,
    qos,
    retain,
    properties,
    receivedAt: now,
    expiresAt: expiry === undefined ? undefined : now + expiry * 1000,
    origin,
    id: undefined,
    encoded: undefined,
  };
}

/** Properties a subscriber may receive: Topic Alias and Subscription Identifiers are per-connection. */
export function forwardableProperties(p: Properties | undefined): Properties | undefined {
  if (!p) return undefined;
  if (p.topicAlias === undefined && p.subscriptionIdentifiers === undefined) return p;
  const { topicAlias: _alias, subscriptionIdentifiers: _ids, ...rest } = p;
  return Object.keys(rest).length ? rest : undefined;
}

/** A payload much smaller than the buffer it views (a socket chunk) is copied before it is kept for long. */
const VIEW_SLACK_BYTES = 1024;

/**
 * Called before a message is held beyond this tick (retained, queued): the decoder hands out payloads as views
 * into socket chunks, and a small payload must not pin a 64 KB chunk in memory for hours.
 */
export function keepPayload(message: Message): void {
  const p = message.payload;
  if (p.buffer.byteLength > p.length * 2 + VIEW_SLACK_BYTES) message.payload = Buffer.from(p);
}
