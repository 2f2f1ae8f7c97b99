// How a session is written in Redis (redis-session-store.ts): a HASH of small fields, plus one value per queued or
// inflight delivery. JSON keeps Buffers (will payloads, Correlation Data) binary-safe as tagged base64; a delivery
// is [u32 BE header length][header JSON][payload bytes], so the payload is never re-encoded.
import type { QoS, Will } from '../protocol/packets.js';
import type { Properties } from '../protocol/properties.js';
import type { StoredDelivery, StoredMessage, StoredSubscriptionOptions } from '../broker/ports.js';
import { messageId } from './message-ids.js';

const BUFFER_TAG = '$b64';
const HEADER_LENGTH_BYTES = 4;

function replacer(this: unknown, _key: string, value: unknown): unknown {
  // Buffer.toJSON has run already: { type: 'Buffer', data: [...] } -> a compact tagged base64 string
  if (value && typeof value === 'object' && (value as { type?: unknown }).type === 'Buffer' && Array.isArray((value as { data?: unknown }).data)) {
    return { [BUFFER_TAG]: Buffer.from((value as { data: number[] }).data).toString('base64') };
  }
  return value;
}

function reviver(_key: string, value: unknown): unknown {
  if (value && typeof value === 'object' && typeof (value as Record<string, unknown>)[BUFFER_TAG] === 'string') {
    return Buffer.from((value as Record<string, string>)[BUFFER_TAG]!, 'base64');
  }
  return value;
}

export function toJson(value: unknown): string {
  return value === undefined ? '' : JSON.stringify(value, replacer);
}

export function fromJson<T>(text: string | Buffer | undefined): T | undefined {
  if (text === undefined || text.length === 0) return undefined;
  return JSON.parse(typeof text === 'string' ? text : text.toString('utf8'), reviver) as T;
}

/** The fields of a session's HASH (`glassmq:session:{clientId}`). */
export const SessionField = {
  /** The node that holds the live session. */
  owner: 'owner',
  expiry: 'expiry',
  /** ms since the epoch when the last connection closed; empty while connected. */
  offline: 'offline',
  /** JSON [[filter, qos, noLocal, retainAsPublished, retainHandling, subscriptionId|null], ...] */
  subscriptions: 'subs',
  /** Incoming QoS 2 packet ids awaiting PUBREL: "1,7,9". */
  incoming: 'incoming',
  /** A will waiting for its Will Delay Interval (JSON). */
  pendingWill: 'pwill',
  /** The will of the current connection (JSON): becomes the pending will if the owner dies. */
  will: 'will',
} as const;

type SubscriptionTuple = [string, QoS, 0 | 1, 0 | 1, 0 | 1 | 2, number | null];

export function encodeSubscriptions(subs: Iterable<{ readonly filter: string; readonly options: StoredSubscriptionOptions }>): string {
  const out: SubscriptionTuple[] = [];
  for (const { filter, options: o } of subs) {
    out.push([filter, o.qos, o.noLocal ? 1 : 0, o.retainAsPublished ? 1 : 0, o.retainHandling, o.subscriptionId ?? null]);
  }
  return JSON.stringify(out);
}

export function decodeSubscriptions(text: string | Buffer | undefined): { filter: string; options: StoredSubscriptionOptions }[] {
  const tuples = fromJson<SubscriptionTuple[]>(text) ?? [];
  return tuples.map(([filter, qos, noLocal, rap, rh, id]) => ({
    filter,
    options: { qos, noLocal: noLocal === 1, retainAsPublished: rap === 1, retainHandling: rh, subscriptionId: id ?? undefined },
  }));
}

export function encodeWillField(will: Will | undefined): string {
  return toJson(will);
}

export function decodeWillField(text: string | Buffer | undefined): Will | undefined {
  return fromJson<Will>(text);
}

/** A delivery's header: the message's fields and the delivery's own. */
interface DeliveryHeader {
  t: string;
  /** message QoS / RETAIN */
  mq: QoS;
  mr: boolean;
  p?: Properties;
  /** received at, expires at (ms since the epoch: absolute, since the record outlives any one clock reading) */
  a: number;
  x?: number;
  o?: string;
  /** delivery QoS / RETAIN / subscription identifiers */
  q: QoS;
  r: boolean;
  s?: number[];
  /** packet id and state (inflight only) */
  i?: number;
  st?: number;
  /** send order of inflight deliveries (resent in this order) */
  k?: number;
  /** the message's cluster-wide id (message-ids.ts) */
  id?: string;
}

/** Message header fragments, encoded once per message however many sessions it is queued for. */
const messageJson = new WeakMap<object, string>();

function messagePart(m: StoredMessage): string {
  let json = messageJson.get(m);
  if (json === undefined) {
    const h: Partial<DeliveryHeader> = { t: m.topic, mq: m.qos, mr: m.retain, a: m.receivedAt };
    if (m.properties !== undefined) h.p = m.properties;
    if (m.expiresAt !== undefined) h.x = m.expiresAt;
    if (m.origin !== undefined) h.o = m.origin;
    h.id = messageId(m); // the same id as every other copy of the message (message-ids.ts)
    json = JSON.stringify(h, m.properties !== undefined ? replacer : undefined).slice(1, -1); // only properties hold Buffers
    messageJson.set(m, json);
  }
  return json;
}

export function encodeDelivery(d: StoredDelivery<StoredMessage>, inflight?: { packetId: number; state: number; order: number }): Buffer {
  let tail = `,"q":${d.qos},"r":${d.retain}`;
  if (d.subscriptionIds !== undefined && d.subscriptionIds.length > 0) tail += `,"s":[${d.subscriptionIds.join(',')}]`;
  if (inflight) tail += `,"i":${inflight.packetId},"st":${inflight.state},"k":${inflight.order}`;
  const header = Buffer.from(`{${messagePart(d.message)}${tail}}`, 'utf8');
  const payload = d.message.payload;
  const out = Buffer.allocUnsafe(HEADER_LENGTH_BYTES + header.length + payload.length);
  out.writeUInt32BE(header.length, 0);
  header.copy(out, HEADER_LENGTH_BYTES);
  payload.copy(out, HEADER_LENGTH_BYTES + header.length);
  return out;
}

export interface DecodedDelivery {
  readonly message: StoredMessage;
  readonly qos: QoS;
  readonly retain: boolean;
  readonly subscriptionIds: number[] | undefined;
  readonly packetId: number;
  readonly state: number;
  readonly order: number;
}

/** Throws SessionCodecError on bytes that are not a delivery. */
export function decodeDelivery(bytes: Buffer): DecodedDelivery {
  if (bytes.length < HEADER_LENGTH_BYTES) throw new SessionCodecError('too short');
  const end = HEADER_LENGTH_BYTES + bytes.readUInt32BE(0);
  if (end > bytes.length) throw new SessionCodecError('header longer than the record');
  let h: DeliveryHeader;
  try {
    h = JSON.parse(bytes.toString('utf8', HEADER_LENGTH_BYTES, end), reviver) as DeliveryHeader;
  } catch {
    throw new SessionCodecError('header is not JSON');
  }
  if (typeof h.t !== 'string' || ![0, 1, 2].includes(h.q)) throw new SessionCodecError('header lacks topic or QoS');
  const message: StoredMessage = {
    topic: h.t,
    // a copy: the record's buffer may be large, and the message outlives it
    payload: Buffer.from(bytes.subarray(end)),
    qos: h.mq,
    retain: h.mr === true,
    properties: h.p,
    receivedAt: h.a,
    expiresAt: h.x,
    origin: h.o,
    id: typeof h.id === 'string' ? h.id : undefined,
  };
  return { message, qos: h.q, retain: h.r === true, subscriptionIds: h.s, packetId: h.i ?? 0, state: h.st ?? 0, order: h.k ?? 0 };
}

export class SessionCodecError extends Error {
  override readonly name = 'SessionCodecError';
  readonly code = 'CLUSTER_BAD_SESSION_RECORD';
}
