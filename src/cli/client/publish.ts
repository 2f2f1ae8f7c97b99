// Publishing through MQTT.js with glassmq's topic rules and mosquitto's error wording; used by pub and rr.
import type { MqttClient, IClientPublishOptions } from 'mqtt';
import { reasonCodeName, validateTopicName } from '../../protocol/index.js';
import type { QoS } from '../../protocol/packets.js';
import type { Properties } from '../../protocol/properties.js';
import { CliError } from './errors.js';
import { toMqttJsProperties } from './mqttjs-properties.js';

/** Checked before connecting so a bad topic is an input error, not a broker disconnect ([MQTT-3.3.2-2], [MQTT-4.7.3-1]). */
export function checkPublishTopic(topic: string): void {
  const err = validateTopicName(topic);
  if (err) throw new CliError('BAD_VALUE', `Error: Invalid publish topic '${topic}', does it contain '+' or '#'? (${err.message})`);
}

export interface PublishSettings {
  qos: QoS;
  retain: boolean;
  properties?: Properties;
}

/** Resolves once the publish is complete for its QoS (written for 0, PUBACK for 1, PUBCOMP for 2). */
export function publishMessage(client: MqttClient, topic: string, payload: Buffer, s: PublishSettings): Promise<void> {
  const opts: IClientPublishOptions = { qos: s.qos, retain: s.retain };
  const props = toMqttJsProperties(s.properties);
  if (props) opts.properties = props as IClientPublishOptions['properties'];
  return new Promise((resolve, reject) => {
    client.publish(topic, payload, opts, (err) => {
      if (!err) {
        resolve();
        return;
      }
      const code = (err as Error & { code?: unknown }).code;
      const why = typeof code === 'number' ? reasonCodeName(code, 'puback') : err.message;
      reject(new CliError('PUBLISH_FAILED', `Error: Publish failed: ${why}.`));
    });
  });
}
