// A glassmq built by the composition root (startServer) with tcp, ws (with WebSocket pings), tls and wss listeners on
// free ports, plus MQTT.js options that reach each of them; events the trace hub produced are collected.
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { defaultConfig, type Config, type ListenerConfig } from '../../../src/config/config.js';
import { startServer, type RunningServer } from '../../../src/server/start.js';
import { freePort } from '../../helpers/net.js';
import type { TestCerts } from '../../transport/certs.js';

export interface TracedBroker {
  running: RunningServer;
  ports: { tcp: number; ws: number; tls: number; wss: number };
  options(kind: 'tcp' | 'ws' | 'tls' | 'wss', extra?: IClientOptions): IClientOptions;
  close(): Promise<void>;
}

export async function startTracedBroker(certs: TestCerts, extra: Partial<Config> = {}): Promise<TracedBroker> {
  const ports = { tcp: await freePort(), ws: await freePort(), tls: await freePort(), wss: await freePort() };
  const listener = (l: Partial<ListenerConfig> & Pick<ListenerConfig, 'protocol' | 'port'>): ListenerConfig =>
    ({ host: '127.0.0.1', maxConnections: -1, source: 'test', ...l });
  const config: Config = {
    ...defaultConfig(),
    tcp: [{ host: '127.0.0.1', port: ports.tcp }],
    defaultListeners: false,
    memory: true,
    http: null,
    sysInterval: 0,
    security: { allowAnonymous: true },
    listeners: [
      listener({ protocol: 'websockets', port: ports.ws, ws: { pingSeconds: 1 } }),
      listener({ protocol: 'mqtt', port: ports.tls, tls: { certFile: certs.certFile, keyFile: certs.keyFile, requireCertificate: false } }),
      listener({ protocol: 'websockets', port: ports.wss, tls: { certFile: certs.certFile, keyFile: certs.keyFile, requireCertificate: false } }),
    ],
    ...extra,
  };
  const running = await startServer(config, pino({ level: 'silent' }));
  const ca = readFileSync(certs.caFile);
  return {
    running,
    ports,
    options(kind, more = {}) {
      const base: IClientOptions = { reconnectPeriod: 0, connectTimeout: 10_000, host: '127.0.0.1' };
      if (kind === 'tcp') return { ...base, protocol: 'mqtt', port: ports.tcp, ...more };
      if (kind === 'ws') return { ...base, protocol: 'ws', port: ports.ws, path: '/mqtt', ...more };
      if (kind === 'wss') return { ...base, protocol: 'wss', port: ports.wss, path: '/mqtt', ca, servername: 'localhost', ...more };
      return { ...base, protocol: 'mqtts', port: ports.tls, ca, servername: 'localhost', ...more };
    },
    close: () => running.close(),
  };
}

export async function connectClient(opts: IClientOptions): Promise<MqttClient> {
  const client = mqtt.connect(opts);
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  return client;
}

export function endClient(client: MqttClient): Promise<void> {
  return new Promise((resolve) => client.end(false, {}, () => resolve()));
}

/** Polls `check` every 20 ms until it holds (bounded). */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
