// Column encodings shared by the SQLite tables (and the shape a Redis store would write): 5.0 properties and
// wills as JSON with Buffers kept binary-safe, subscription identifier lists as "1,7".
import type { Will } from '../protocol/packets.js';
import type { Properties } from '../protocol/properties.js';
import type { StoredMessage } from '../broker/ports.js';

const BUFFER_TAG = '$base64';

function replacer(this: unknown, _key: string, value: unknown): unknown {
  // Buffer.toJSON has already run: { type: 'Buffer', data: [...] } -> a compact tagged base64 string
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

export function encodeJson(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value, replacer);
}

export function decodeJson<T>(text: string | Buffer | null | undefined): T | undefined {
  if (text === null || text === undefined) return undefined;
  return JSON.parse(typeof text === 'string' ? text : text.toString('utf8'), reviver) as T;
}

export function encodeProperties(p: Properties | undefined): string | null {
  return p === undefined ? null : encodeJson(p);
}

export function decodeProperties(text: string | Buffer | null | undefined): Properties | undefined {
  return decodeJson<Properties>(text);
}

export function encodeWill(will: Will | undefined): string | null {
  return will === undefined ? null : encodeJson(will);
}

export function decodeWill(text: string | Buffer | null | undefined): Will | undefined {
  return decodeJson<Will>(text);
}

export function encodeIds(ids: readonly number[] | undefined): string | null {
  return ids === undefined || ids.length === 0 ? null : ids.join(',');
}

export function decodeIds(text: string | null | undefined): number[] | undefined {
  return text ? text.split(',').map(Number) : undefined;
}

/** The message columns of a queue or inflight row (schema.ts), and of a retained row under its own names. */
export interface MessageRow {
  topic: string;
  payload: Buffer;
  msg_qos: number;
  msg_retain: number;
  properties: string | Buffer | null;
  received_at: number;
  expires_at: number | null;
  origin: string | null;
}

const encodedProperties = new WeakMap<object, string | null>();

/** Appends the message columns, in schema order; properties are encoded once per message, not per delivery. */
export function pushMessageValues(values: unknown[], m: StoredMessage): void {
  let props: string | null | undefined = null;
  if (m.properties !== undefined) {
    props = encodedProperties.get(m);
    if (props === undefined) {
      props = encodeProperties(m.properties);
      encodedProperties.set(m, props);
    }
  }
  values.push(m.topic, m.payload, m.qos, m.retain ? 1 : 0, props, m.receivedAt, m.expiresAt ?? null, m.origin ?? null);
}

export function messageFields(row: MessageRow): StoredMessage {
  return {
    topic: row.topic,
    payload: row.payload,
    qos: row.msg_qos as StoredMessage['qos'],
    retain: row.msg_retain === 1,
    properties: decodeProperties(row.properties),
    receivedAt: row.received_at,
    expiresAt: row.expires_at ?? undefined,
    origin: row.origin ?? undefined,
  };
}
