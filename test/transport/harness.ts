// One broker (createBroker on port 0) plus one listener of the transport under test feeding broker.handleLink,
// and the MQTT.js options that reach it. The abstract suite runs unchanged over every transport through this.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { once } from 'node:events';
import type { Duplex } from 'node:stream';
import WebSocket, { createWebSocketStream } from 'ws';
import type { IClientOptions } from 'mqtt';
import { createBroker, type ClientInfo, type CreateBrokerOptions, type RunningBroker } from '../../src/index.js';
import {
  createTcpListener, createTlsListener, createUnixListener, createWsListener, createWssListener,
  type Listener, type TransportKind, type TransportLink,
} from '../../src/transport/index.js';
import type { TestCerts } from './certs.js';
import { LogCapture } from './util.js';

export const TRANSPORTS: readonly TransportKind[] = ['tcp', 'tls', 'ws', 'wss', 'unix'];

export interface HarnessOptions {
  broker?: CreateBrokerOptions;
  /** Extra listener options (e.g. pingSeconds for ws, caFile for tls). */
  listener?: Record<string, unknown>;
}

export interface Harness {
  kind: TransportKind;
  running: RunningBroker;
  listener: Listener;
  log: LogCapture;
  /** Clients the broker saw connect, with the LinkInfo they arrived on. */
  connected: ClientInfo[];
  links: TransportLink[];
  /** MQTT.js options that reach the listener under test. */
  mqttOptions(extra?: IClientOptions): IClientOptions;
  /** A raw byte duplex to the listener (TLS/WebSocket handled), for hand-written MQTT bytes. */
  openRaw(): Promise<Duplex>;
  close(): Promise<void>;
}

export async function startHarness(kind: TransportKind, certs: TestCerts, opts: HarnessOptions = {}): Promise<Harness> {
  const connected: ClientInfo[] = [];
  const userHooks = opts.broker?.hooks ?? {};
  const running = await createBroker({
    host: '127.0.0.1',
    port: 0,
    ...opts.broker,
    hooks: { ...userHooks, connected: (c) => { connected.push(c); userHooks.connected?.(c); } },
  });
  const log = new LogCapture();
  const dir = kind === 'unix' ? mkdtempSync(join(tmpdir(), 'glassmq-h-')) : undefined;
  const tlsFiles = { certFile: certs.certFile, keyFile: certs.keyFile };
  const common = { host: '127.0.0.1', port: 0, log, ...opts.listener };
  const listener: Listener =
    kind === 'tcp' ? createTcpListener(common)
    : kind === 'tls' ? createTlsListener({ ...common, ...tlsFiles })
    : kind === 'ws' ? createWsListener(common)
    : kind === 'wss' ? createWssListener({ ...common, ...tlsFiles })
    : createUnixListener({ path: join(dir!, 'mqtt.sock'), log, ...opts.listener });
  const links: TransportLink[] = [];
  await listener.listen((link) => {
    links.push(link);
    running.broker.handleLink(link);
  });
  const address = listener.address();
  const port = 'port' in address ? address.port : 0;
  const ca = readFileSync(certs.caFile);

  const mqttOptions = (extra: IClientOptions = {}): IClientOptions => {
    const base: IClientOptions = { reconnectPeriod: 0, connectTimeout: 10_000 };
    switch (kind) {
      case 'tcp': return { ...base, protocol: 'mqtt', host: '127.0.0.1', port, ...extra };
      case 'tls': return { ...base, protocol: 'mqtts', host: '127.0.0.1', port, ca, servername: 'localhost', ...extra };
      case 'ws': return { ...base, protocol: 'ws', host: '127.0.0.1', port, path: '/mqtt', ...extra };
      case 'wss': return { ...base, protocol: 'wss', host: '127.0.0.1', port, path: '/mqtt', ca, ...extra };
      case 'unix': return { ...base, protocol: 'mqtt', unixSocket: true, path: (address as { path: string }).path, ...extra };
    }
  };

  const openRaw = async (): Promise<Duplex> => {
    switch (kind) {
      case 'tcp': {
        const s = netConnect({ host: '127.0.0.1', port });
        await once(s, 'connect');
        return s;
      }
      case 'unix': {
        const s = netConnect({ path: (address as { path: string }).path });
        await once(s, 'connect');
        return s;
      }
      case 'tls': {
        const s = tlsConnect({ host: '127.0.0.1', port, ca, servername: 'localhost' });
        await once(s, 'secureConnect');
        return s;
      }
      case 'ws':
      case 'wss': {
        const ws = new WebSocket(`${kind}://127.0.0.1:${port}/mqtt`, 'mqtt', { ca });
        await once(ws, 'open');
        return createWebSocketStream(ws);
      }
    }
  };

  return {
    kind, running, listener, log, connected, links, mqttOptions, openRaw,
    async close() {
      await running.close();
      await listener.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
