// Shared pieces of the interop suite: MQTT.js clients that end with the test, and small waits.
import type { TestContext } from 'node:test';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { brokerFor, type BrokerOptions, type BrokerUnderTest } from '../helpers/broker-under-test.js';

export type MqttVersion = 4 | 5;
export const VERSIONS: MqttVersion[] = [4, 5];
export const LABEL: Record<MqttVersion, string> = { 4: 'MQTT.js 3.1.1', 5: 'MQTT.js 5.0' };

export function broker(t: TestContext, options?: BrokerOptions): Promise<BrokerUnderTest> {
  return brokerFor(t, options);
}

let seq = 0;
export function uid(prefix = 'js'): string {
  seq += 1;
  return `${prefix}${process.pid}n${seq}`;
}

/** Per-test bound, so a hang fails the test instead of the run. */
export const BOUND = { timeout: 30_000 };

/** An MQTT.js client that connects in the background (for reading CONNACK flags); ended with the test. */
export function rawConnect(t: TestContext, b: BrokerUnderTest, version: MqttVersion, opts: IClientOptions): MqttClient {
  const c = mqtt.connect(`mqtt://127.0.0.1:${b.port}`, { protocolVersion: version, reconnectPeriod: 0, connectTimeout: 5000, ...opts });
  t.after(() => c.end(true));
  return c;
}

/** Connects an MQTT.js client (no automatic reconnect) that is force-closed when the test ends. */
export async function client(t: TestContext, b: BrokerUnderTest, version: MqttVersion, opts: IClientOptions = {}): Promise<MqttClient> {
  const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${b.port}`, {
    protocolVersion: version,
    clientId: uid(),
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ...opts,
  });
  t.after(() => c.end(true));
  return c;
}

export interface Received {
  topic: string;
  payload: string;
  packet: mqtt.IPublishPacket;
}

/** Collects messages arriving on a client; `wait(n)` resolves when n have arrived (bounded). */
export function collector(c: MqttClient): { messages: Received[]; wait(n: number, ms?: number): Promise<Received[]> } {
  const messages: Received[] = [];
  const waiters: (() => void)[] = [];
  c.on('message', (topic, payload, packet) => {
    messages.push({ topic, payload: payload.toString(), packet });
    for (const w of waiters.splice(0)) w();
  });
  return {
    messages,
    async wait(n, ms = 5000) {
      const deadline = Date.now() + ms;
      while (messages.length < n) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`got ${messages.length} of ${n} messages`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      return messages;
    },
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
