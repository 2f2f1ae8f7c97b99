// One application message as it crosses Redis between nodes: a small JSON header (topic, QoS, flags, origin,
// sending node, time left before it expires, 5.0 properties) followed by the payload bytes untouched.
//   [u32 BE header length][header JSON, UTF-8][payload]
import type { StoredMessage } from '../broker/ports.js';
import type { QoS, Will } from '../protocol/packets.js';
import type { Properties } from '../protocol/properties.js';
import { messageId } from './message-ids.js';

const HEADER_LENGTH_BYTES = 4;

interface Header {
  /** topic */
  t: string;
  q: QoS;
  r: boolean;
  /** publisher's client id (No Local on the receiving node) */
  o?: string;
  /** the node that sent it */
  n: string;
  /** ms left before Message Expiry, counted on the sender's clock (clocks of two nodes need not agree) */
  e?: number;
  p?: Properties;
  /** share groups ("NAME\nFILTER") the receiving node serves for this message (shared-groups.ts) */
  g?: string[];
  /** cluster-wide message id (message-ids.ts) */
  i: string;
  /** for this session only: a message forwarded by the node a session just left (session-forwarding.ts) */
  x?: string;
}

export interface DecodedClusterMessage {
  readonly node: string;
  readonly message: StoredMessage;
  /** Share groups the receiving node serves for this message; undefined: none. */
  readonly groups: string[] | undefined;
  /** Forwarded for this client id's session only (the node it left sends what still came there); undefined: routed. */
  readonly forClient: string | undefined;
}

/** Encodes a copy for another node; gives the message its cluster-wide id if it has none yet. */
export function encodeClusterMessage(message: StoredMessage, node: string, now: number, groups?: string[], forClient?: string): Buffer {
  const header: Header = { t: message.topic, q: message.qos, r: message.retain, n: node, i: messageId(message) };
  if (groups !== undefined) header.g = groups;
  if (forClient !== undefined) header.x = forClient;
  if (message.origin !== undefined) header.o = message.origin;
  if (message.expiresAt !== undefined) header.e = Math.max(0, message.expiresAt - now);
  if (message.properties !== undefined) header.p = message.properties;
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const out = Buffer.allocUnsafe(HEADER_LENGTH_BYTES + json.length + message.payload.length);
  out.writeUInt32BE(json.length, 0);
  json.copy(out, HEADER_LENGTH_BYTES);
  message.payload.copy(out, HEADER_LENGTH_BYTES + json.length);
  return out;
}

/** Decodes a message another node sent; throws a ClusterCodecError on bytes that are not one. */
export function decodeClusterMessage(bytes: Buffer, now: number): DecodedClusterMessage {
  if (bytes.length < HEADER_LENGTH_BYTES) throw new ClusterCodecError('too short');
  const length = bytes.readUInt32BE(0);
  const end = HEADER_LENGTH_BYTES + length;
  if (end > bytes.length) throw new ClusterCodecError('header longer than the message');
  let header: Header;
  try {
    header = JSON.parse(bytes.toString('utf8', HEADER_LENGTH_BYTES, end), reviveBuffers) as Header;
  } catch {
    throw new ClusterCodecError('header is not JSON');
  }
  if (typeof header.t !== 'string' || typeof header.n !== 'string' || ![0, 1, 2].includes(header.q)) {
    throw new ClusterCodecError('header lacks topic, node or QoS');
  }
  const message: StoredMessage = {
    topic: header.t,
    payload: bytes.subarray(end),
    qos: header.q,
    retain: header.r === true,
    properties: header.p,
    receivedAt: now,
    expiresAt: header.e === undefined ? undefined : now + header.e,
    origin: header.o,
    id: typeof header.i === 'string' ? header.i : undefined,
  };
  const groups = Array.isArray(header.g) ? header.g.filter((k): k is string => typeof k === 'string') : undefined;
  return { node: header.n, message, groups, forClient: typeof header.x === 'string' ? header.x : undefined };
}

export class ClusterCodecError extends Error {
  override readonly name = 'ClusterCodecError';
  readonly code = 'CLUSTER_BAD_MESSAGE';
}

/** JSON.stringify writes a Buffer (Correlation Data) as { type: 'Buffer', data: [...] }: turn it back. */
function reviveBuffers(_key: string, value: unknown): unknown {
  if (typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'Buffer') {
    const data = (value as { data?: unknown }).data;
    if (Array.isArray(data)) return Buffer.from(data as number[]);
  }
  return value;
}

/** A will as the message it becomes when its node dies: Will Delay Interval dropped (no session to wait for). */
export function willMessage(clientId: string, will: Will, now: number): StoredMessage {
  let properties = will.properties;
  if (properties?.willDelayInterval !== undefined) {
    const { willDelayInterval: _delay, ...rest } = properties;
    properties = Object.keys(rest).length ? rest : undefined;
  }
  return { topic: will.topic, payload: will.payload, qos: will.qos, retain: will.retain, properties, receivedAt: now, expiresAt: undefined, origin: clientId };
}

/** What clears a retained message on the other nodes: an empty payload (v5 [MQTT-3.3.1-6]). */
export function emptyRetained(topic: string, now: number): StoredMessage {
  return { topic, payload: Buffer.alloc(0), qos: 0, retain: true, properties: undefined, receivedAt: now, expiresAt: undefined, origin: undefined };
}
