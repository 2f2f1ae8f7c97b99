// %j / %J: a message as JSON, written by hand so user properties keep duplicate keys and wire order (as mosquitto).
import type { Properties } from '../../protocol/properties.js';
import { PROPERTY_BY_NAME, type PropertyName } from '../../protocol/properties.js';
import { cliPropertyName } from './properties.js';
import { isoMicros, type Timestamp } from './time-format.js';

/** An object with ordered, possibly repeated keys; `raw` holds an already-parsed JSON value (the %J payload). */
type JsonValue = string | number | { entries: [string, JsonValue][] } | { raw: unknown };

export interface JsonMessage {
  topic: string;
  payload: Buffer;
  qos: number;
  retain: boolean;
  packetId?: number;
  properties?: Properties;
  time: Timestamp;
}

function propertyEntries(p: Properties): [string, JsonValue][] {
  const out: [string, JsonValue][] = [];
  for (const [key, value] of Object.entries(p) as [PropertyName, unknown][]) {
    if (value === undefined) continue;
    if (key === 'userProperties') {
      out.push(['user-properties', { entries: (value as [string, string][]).map(([k, v]) => [k, v] as [string, JsonValue]) }]);
    } else if (key === 'subscriptionIdentifiers') {
      for (const id of value as number[]) out.push(['subscription-identifier', id]);
    } else {
      const def = PROPERTY_BY_NAME.get(key);
      if (!def) continue;
      out.push([cliPropertyName(def), Buffer.isBuffer(value) ? value.toString('utf8') : (value as string | number)]);
    }
  }
  return out;
}

function write(value: JsonValue, pretty: boolean, depth: number): string {
  if (typeof value === 'string' || typeof value === 'number') return JSON.stringify(value);
  if ('raw' in value) {
    if (!pretty) return JSON.stringify(value.raw);
    return JSON.stringify(value.raw, null, '\t').replace(/\n/g, `\n${'\t'.repeat(depth)}`);
  }
  if (!pretty) return `{${value.entries.map(([k, v]) => `${JSON.stringify(k)}:${write(v, false, 0)}`).join(',')}}`;
  const inner = '\t'.repeat(depth + 1);
  const body = value.entries.map(([k, v]) => `${inner}${JSON.stringify(k)}:\t${write(v, true, depth + 1)}`).join(',\n');
  return `{\n${body}\n${'\t'.repeat(depth)}}`;
}

/**
 * The fields mosquitto_sub prints for %j (payload as a string) and %J (payload inlined as JSON; the caller parsed it).
 */
export function messageJson(m: JsonMessage, payload: { text: string } | { json: unknown }, pretty: boolean): string {
  const entries: [string, JsonValue][] = [
    ['tst', isoMicros(m.time)],
    ['topic', m.topic],
    ['qos', m.qos],
    ['retain', m.retain ? 1 : 0],
    ['payloadlen', m.payload.length],
  ];
  if (m.qos > 0 && m.packetId !== undefined) entries.push(['mid', m.packetId]);
  if (m.properties) {
    const props = propertyEntries(m.properties);
    if (props.length) entries.push(['properties', { entries: props }]);
  }
  entries.push(['payload', 'text' in payload ? payload.text : { raw: payload.json }]);
  return write({ entries }, pretty, 0);
}
