// Subscribing and unsubscribing through MQTT.js, and turning its 'message' events into glassmq's message shape.
import type { IClientSubscribeOptions, IPublishPacket, MqttClient } from 'mqtt';
import { SUBACK_FAILURE, reasonCodeName, validateTopicFilter } from '../../protocol/index.js';
import type { QoS } from '../../protocol/packets.js';
import type { Properties } from '../../protocol/properties.js';
import { CliError } from './errors.js';
import type { ReceivedMessage } from './format.js';
import { fromMqttJsProperties, toMqttJsProperties, type MqttJsProperties } from './mqttjs-properties.js';
import { now } from './time-format.js';

export interface SubscribeSettings {
  qos: QoS;
  /** v5 subscription options. */
  retainAsPublished?: boolean;
  retainHandling?: 0 | 1 | 2;
  properties?: Properties;
}

export function checkTopicFilter(filter: string): void {
  const err = validateTopicFilter(filter);
  if (err) throw new CliError('BAD_VALUE', `Error: Invalid subscription topic '${filter}', are all '+' and '#' wildcards correct? (${err.message})`);
}

export interface SubscribeResult {
  /** Granted QoS (or failure reason code) per filter, in order. */
  codes: number[];
  failed: { filter: string; reason: string }[];
}

/** One SUBSCRIBE for all filters; resolves with the SUBACK's codes (failures are reported, not thrown). */
export function subscribeAll(client: MqttClient, filters: string[], s: SubscribeSettings, version: number): Promise<SubscribeResult> {
  const opts: IClientSubscribeOptions = { qos: s.qos };
  if (version === 5) {
    opts.rap = s.retainAsPublished ?? false;
    opts.rh = s.retainHandling ?? 0;
    const props = toMqttJsProperties(s.properties);
    if (props) opts.properties = props as IClientSubscribeOptions['properties'];
  }
  return new Promise((resolve, reject) => {
    client.subscribe(filters, opts, (err, _granted, packet) => {
      const granted = (packet as { granted?: (number | { qos: number })[] } | undefined)?.granted ?? [];
      const codes = granted.map((g) => (typeof g === 'number' ? g : g.qos));
      if (err && codes.length === 0) {
        reject(new CliError('SUBSCRIBE_FAILED', `Error: Subscribe failed: ${err.message}.`));
        return;
      }
      const failed = filters.flatMap((filter, i) => {
        const code = codes[i] ?? SUBACK_FAILURE;
        if (code < SUBACK_FAILURE) return [];
        return [{ filter, reason: version === 5 ? reasonCodeName(code, 'suback') : 'Failure' }];
      });
      resolve({ codes, failed });
    });
  });
}

export function unsubscribeAll(client: MqttClient, filters: string[], properties: Properties | undefined): Promise<void> {
  const props = toMqttJsProperties(properties);
  const opts = props ? { properties: props } : {};
  return new Promise((resolve, reject) => {
    client.unsubscribe(filters, opts as Parameters<MqttClient['unsubscribe']>[1], (err) => {
      if (err) reject(new CliError('SUBSCRIBE_FAILED', `Error: Unsubscribe failed: ${err.message}.`));
      else resolve();
    });
  });
}

/** MQTT.js hands over the decoded PUBLISH; this keeps what -v / -F / %j can print. */
export function toReceivedMessage(topic: string, payload: Buffer, packet: IPublishPacket, clientId: string): ReceivedMessage {
  const m: ReceivedMessage = {
    topic, payload, qos: packet.qos, retain: packet.retain, time: now(), clientId,
  };
  if (packet.messageId !== undefined) m.packetId = packet.messageId;
  const props = fromMqttJsProperties(packet.properties as MqttJsProperties | undefined);
  if (props && Object.keys(props).length) m.properties = props;
  return m;
}
