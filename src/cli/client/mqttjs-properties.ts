// The one place that converts between glassmq's Properties and MQTT.js (mqtt-packet) property objects.
import type { Properties } from '../../protocol/properties.js';

/** mqtt-packet's shape: booleans for the 0/1 bytes, an object for user properties, a singular subscription id. */
export type MqttJsProperties = Record<string, unknown>;

const BOOLEAN_BYTES = ['payloadFormatIndicator', 'requestProblemInformation', 'requestResponseInformation'] as const;

export function toMqttJsProperties(p: Properties | undefined): MqttJsProperties | undefined {
  if (!p) return undefined;
  const out: MqttJsProperties = {};
  for (const [key, value] of Object.entries(p)) {
    if (value === undefined) continue;
    if (key === 'userProperties') {
      const grouped: Record<string, string | string[]> = {};
      for (const [name, v] of value as [string, string][]) {
        const prev = grouped[name];
        grouped[name] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
      }
      out.userProperties = grouped;
    } else if (key === 'subscriptionIdentifiers') {
      out.subscriptionIdentifier = (value as number[])[0];
    } else if ((BOOLEAN_BYTES as readonly string[]).includes(key)) {
      out[key] = value === 1;
    } else {
      out[key] = value;
    }
  }
  return out;
}

export function fromMqttJsProperties(p: MqttJsProperties | undefined): Properties | undefined {
  if (!p) return undefined;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(p)) {
    if (value === undefined) continue;
    if (key === 'userProperties') {
      const pairs: [string, string][] = [];
      for (const [name, v] of Object.entries(value as Record<string, string | string[]>)) {
        for (const one of Array.isArray(v) ? v : [v]) pairs.push([name, one]);
      }
      out.userProperties = pairs;
    } else if (key === 'subscriptionIdentifier') {
      out.subscriptionIdentifiers = Array.isArray(value) ? value : [value];
    } else if (typeof value === 'boolean') {
      out[key] = value ? 1 : 0;
    } else {
      out[key] = value;
    }
  }
  return out as Properties;
}
