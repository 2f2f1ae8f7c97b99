// Helpers for broker tests: an in-process broker per test, MQTT.js clients, and a small raw client built on
// the codec (for what MQTT.js hides: withheld acks, exact packet sequences, a socket that stops reading).
import type { TestContext } from 'node:test';
import { connect as tcpConnect, type Socket } from 'node:net';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { createBroker, type CreateBrokerOptions, type RunningBroker } from '../../src/index.js';
import { encodePacket, PacketDecoder } from '../../src/protocol/index.js';
import type { Packet, ProtocolVersion } from '../../src/protocol/packets.js';

export const WAIT_MS = 5000;

export async function startBroker(t: TestContext, options: CreateBrokerOptions = {}): Promise<RunningBroker> {
  const running = await createBroker({ host: '127.0.0.1', port: 0, sysInterval: 0, ...options });
  t.after(() => running.close());
  return running;
}

export async function mqttClient(t: TestContext, b: RunningBroker, opts: IClientOptions = {}): Promise<MqttClient> {
  const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${b.port}`, { reconnectPeriod: 0, connectTimeout: WAIT_MS, ...opts });
  t.after(() => c.end(true));
  return c;
}

/** An MQTT.js client whose events the test sees from the very first CONNACK on (not awaited). */
export function rawMqttClient(t: TestContext, b: RunningBroker, opts: IClientOptions = {}): MqttClient {
  const c = mqtt.connect(`mqtt://127.0.0.1:${b.port}`, { reconnectPeriod: 0, connectTimeout: WAIT_MS, ...opts });
  t.after(() => c.end(true));
  return c;
}

/** Resolves with the next `count` messages a client receives (rejects after WAIT_MS). */
export function nextMessages(c: MqttClient, count = 1): Promise<{ topic: string; payload: string; packet: mqtt.IPublishPacket }[]> {
  return new Promise((resolve, reject) => {
    const got: { topic: string; payload: string; packet: mqtt.IPublishPacket }[] = [];
    const timer = setTimeout(() => {
      c.removeListener('message', on);
      reject(new Error(`got ${got.length} of ${count} messages in ${WAIT_MS} ms`));
    }, WAIT_MS);
    const on = (topic: string, payload: Buffer, packet: mqtt.IPublishPacket): void => {
      got.push({ topic, payload: payload.toString(), packet });
      if (got.length === count) {
        clearTimeout(timer);
        c.removeListener('message', on);
        resolve(got);
      }
    };
    c.on('message', on);
  });
}

/** Waits until `cond` holds (polling), bounded by WAIT_MS. */
export async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A raw MQTT client: sends packets through the codec and collects what the broker sends. */
export class RawClient {
  readonly packets: Packet[] = [];
  closed = false;
  private readonly decoder: PacketDecoder;

  private constructor(
    readonly socket: Socket,
    readonly version: ProtocolVersion,
  ) {
    this.decoder = new PacketDecoder({ protocolVersion: version });
    socket.on('data', (chunk: Buffer) => this.decoder.push(chunk, (p) => this.packets.push(p)));
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => undefined);
  }

  static async open(t: TestContext, port: number, version: ProtocolVersion): Promise<RawClient> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = tcpConnect({ port, host: '127.0.0.1' }, () => resolve(s));
      s.once('error', reject);
    });
    const c = new RawClient(socket, version);
    t.after(() => socket.destroy());
    return c;
  }

  send(packet: Packet): void {
    this.socket.write(encodePacket(packet, this.version));
  }

  async connect(clientId: string, extra: Partial<Extract<Packet, { type: 'connect' }>> = {}): Promise<Extract<Packet, { type: 'connack' }>> {
    this.send({
      type: 'connect',
      protocolName: this.version === 3 ? 'MQIsdp' : 'MQTT',
      protocolVersion: this.version,
      clean: true,
      keepalive: 0,
      clientId,
      ...extra,
    });
    return this.expect('connack');
  }

  /** Waits for the next packet of `type` (removing it and everything before it from the list). */
  async expect<T extends Packet['type']>(type: T): Promise<Extract<Packet, { type: T }>> {
    await until(() => this.packets.some((p) => p.type === type), `${type}`);
    const i = this.packets.findIndex((p) => p.type === type);
    return this.packets.splice(0, i + 1)[i] as Extract<Packet, { type: T }>;
  }

  count(type: Packet['type']): number {
    return this.packets.filter((p) => p.type === type).length;
  }
}
