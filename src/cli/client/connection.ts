// Opens the transport (tcp, tls, ws, wss, unix) itself, taps its bytes for -d, and hands the stream to MQTT.js.
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { Duplex } from 'node:stream';
import type { MqttClient, IClientOptions, IConnackPacket } from 'mqtt';
import type WebSocket from 'ws';
import { CONNECT_RETURN_CODE_NAMES, PROTOCOL_NAME_BY_LEVEL, VERSION_LABEL, reasonCodeName } from '../../protocol/constants.js';
import { CliError, EXIT } from './errors.js';
import { createDebugTap, type PacketTap } from './debug-tap.js';
import { toMqttJsProperties } from './mqttjs-properties.js';
import type { ConnectionConfig } from './options.js';
import { attachKeylog, tlsConnectionOptions } from './tls.js';
import { describeEndpoint } from './url.js';

/** WebSocket subprotocol for MQTT (spec 6.0). */
const MQTT_WS_SUBPROTOCOL = 'mqtt';
/** How long to wait for CONNACK before giving up (MQTT.js default). */
const CONNECT_TIMEOUT_S = 30;
const MS_PER_SECOND = 1000;

export interface Connected {
  client: MqttClient;
  connack: IConnackPacket;
}

/** The ws module, loaded only for ws:// and wss:// (like mqtt itself, it is loaded on first use to keep --help fast). */
type WsModule = typeof import('ws');

function openStream(cfg: ConnectionConfig, wsModule: WsModule | undefined): Duplex {
  const e = cfg.endpoint;
  switch (e.scheme) {
    case 'unix':
      return netConnect({ path: e.socketPath! });
    case 'mqtt':
      return netConnect({ host: e.host, port: e.port });
    case 'mqtts': {
      const socket = tlsConnect({ host: e.host, port: e.port, ...tlsConnectionOptions(cfg.tls ?? { insecure: false }, e.host) });
      attachKeylog(socket, cfg.tls?.keylog);
      return socket;
    }
    case 'ws':
    case 'wss': {
      const url = describeEndpoint(e);
      const { default: WebSocketClass, createWebSocketStream } = wsModule!;
      if (e.scheme === 'ws') return createWebSocketStream(new WebSocketClass(url, [MQTT_WS_SUBPROTOCOL]));
      const keylog = cfg.tls?.keylog;
      const ws = new WebSocketClass(url, [MQTT_WS_SUBPROTOCOL], {
        ...tlsConnectionOptions(cfg.tls ?? { insecure: false }, e.host),
        // the key log must be attached before the handshake, so the TLS socket is made here
        createConnection: (opts: ConnectionOptions) => {
          const socket = tlsConnect(opts);
          attachKeylog(socket, keylog);
          return socket;
        },
      } as WebSocket.ClientOptions);
      return createWebSocketStream(ws);
    }
  }
}

/** Copies each chunk to the tap; MQTT.js only ever writes through write() and reads through the piped 'data'. */
function tapStream(stream: Duplex, tap: PacketTap): Duplex {
  stream.on('data', (chunk: Buffer) => tap.received(chunk));
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    tap.sent(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
    return write(chunk, ...rest);
  }) as Duplex['write'];
  return stream;
}

function clientOptions(cfg: ConnectionConfig): IClientOptions {
  const connectProps = { ...(cfg.properties.connect ?? {}) };
  if (cfg.sessionExpiry !== undefined) connectProps.sessionExpiryInterval = cfg.sessionExpiry;
  const opts: IClientOptions = {
    protocolVersion: cfg.version,
    protocolId: PROTOCOL_NAME_BY_LEVEL[cfg.version] as 'MQTT' | 'MQIsdp',
    clientId: cfg.clientId,
    clean: cfg.clean,
    keepalive: cfg.keepalive,
    reconnectPeriod: 0, // a command-line client reports a lost connection instead of retrying
    connectTimeout: CONNECT_TIMEOUT_S * MS_PER_SECOND,
    resubscribe: false,
  };
  if (cfg.username !== undefined) opts.username = cfg.username;
  if (cfg.password !== undefined) opts.password = cfg.password;
  if (cfg.version === 5 && Object.keys(connectProps).length) {
    opts.properties = toMqttJsProperties(connectProps) as IClientOptions['properties'];
  }
  if (cfg.will) {
    const will: NonNullable<IClientOptions['will']> = {
      topic: cfg.will.topic, payload: cfg.will.payload, qos: cfg.will.qos, retain: cfg.will.retain,
    };
    if (cfg.will.properties) will.properties = toMqttJsProperties(cfg.will.properties) as typeof will.properties;
    opts.will = will;
  }
  return opts;
}

/** mosquitto's wording: "Connection Refused: not authorised." for 3.x, the reason code's name for 5.0. */
export function refusalMessage(code: number, version: number): string {
  if (version === 5) return reasonCodeName(code, 'connack');
  const name = CONNECT_RETURN_CODE_NAMES[code];
  return name ? `${name}.` : `Connection Refused: unknown reason (${code}).`;
}

/** One clear line for a transport failure. */
export function transportErrorMessage(err: NodeJS.ErrnoException, cfg: ConnectionConfig): string {
  const where = describeEndpoint(cfg.endpoint);
  switch (err.code) {
    case 'ECONNREFUSED':
      return `Error: Connection refused (${where}).`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `Error: Unable to resolve host '${cfg.endpoint.host}'.`;
    case 'ENOENT':
      return `Error: No socket at ${cfg.endpoint.socketPath}.`;
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `Error: Unable to reach ${where} (${err.code}).`;
    default:
      return `Error: ${err.message} (${where}).`;
  }
}

/**
 * Connects and resolves once CONNACK accepted the session; rejects with a CliError carrying mosquitto's exit code.
 * `setup` runs on the new client before any packet arrives: a resumed session's queued messages can follow CONNACK
 * in the same chunk, before the caller's continuation would run.
 */
export async function openConnection(
  cfg: ConnectionConfig,
  debugWrite: (text: string) => void,
  setup?: (client: MqttClient) => void,
): Promise<Connected> {
  const { MqttClient } = await import('mqtt');
  const wsModule = cfg.endpoint.scheme === 'ws' || cfg.endpoint.scheme === 'wss' ? await import('ws') : undefined;
  if (cfg.debug) debugWrite(`connecting to ${describeEndpoint(cfg.endpoint)} with MQTT ${VERSION_LABEL[cfg.version]}\n`);
  return new Promise((resolve, reject) => {
    let stream: Duplex | undefined;
    let failure: CliError | undefined;
    const builder = (): Duplex => {
      stream = openStream(cfg, wsModule);
      if (cfg.debug) stream = tapStream(stream, createDebugTap({ version: cfg.version, hex: cfg.hex, write: debugWrite }));
      return stream;
    };
    let client: MqttClient;
    try {
      client = new MqttClient(builder as unknown as ConstructorParameters<typeof MqttClient>[0], clientOptions(cfg));
    } catch (err) {
      reject(err instanceof CliError ? err : new CliError('CONNECT_FAILED', `Error: ${(err as Error).message}`));
      return;
    }
    const onError = (err: Error & { code?: unknown }): void => {
      if (typeof err.code === 'number') {
        const code = err.code;
        failure ??= new CliError('CONNECTION_REFUSED', `Connection error: ${refusalMessage(code, cfg.version)}`, code || EXIT.error);
      } else if (err.message === 'connack timeout') {
        failure ??= new CliError('CONNECT_FAILED', `Error: No CONNACK from ${describeEndpoint(cfg.endpoint)} within ${CONNECT_TIMEOUT_S} s.`);
      } else {
        failure ??= new CliError('CONNECT_FAILED', transportErrorMessage(err as NodeJS.ErrnoException, cfg));
      }
      client.end(true);
    };
    const onClose = (): void => {
      cleanup();
      client.end(true);
      reject(failure ?? new CliError('CONNECT_FAILED', `Error: The connection to ${describeEndpoint(cfg.endpoint)} closed before CONNACK.`));
    };
    const onConnect = (connack: IConnackPacket): void => {
      cleanup();
      resolve({ client, connack });
    };
    const cleanup = (): void => {
      client.off('error', onError);
      client.off('close', onClose);
      client.off('connect', onConnect);
    };
    client.on('error', onError);
    client.on('close', onClose);
    client.on('connect', onConnect);
    setup?.(client);
  });
}

/** Ends the session politely (DISCONNECT, with -D disconnect properties in v5) and waits for the socket to close. */
export function closeConnection(client: MqttClient, cfg: ConnectionConfig): Promise<void> {
  return new Promise((resolve) => {
    if (client.disconnected) {
      resolve();
      return;
    }
    const props = cfg.version === 5 ? toMqttJsProperties(cfg.properties.disconnect) : undefined;
    const opts = props ? { reasonCode: 0, properties: props } : {};
    client.end(false, opts as Parameters<MqttClient['end']>[1], () => resolve());
  });
}

export interface ConnectionWatch {
  /** Rejects with a CliError when the broker disconnects or the connection drops; never resolves. */
  readonly lost: Promise<never>;
  dispose(): void;
}

/** Turns an unexpected end of the connection (after CONNACK) into one CliError. */
export function watchConnection(client: MqttClient, cfg: ConnectionConfig): ConnectionWatch {
  let reason: string | undefined;
  let fail: (err: CliError) => void = () => undefined;
  const lost = new Promise<never>((_, reject) => {
    fail = reject;
  });
  lost.catch(() => undefined); // observed by whoever races it; never an unhandled rejection
  const onDisconnect = (packet: { reasonCode?: number }): void => {
    reason = `Error: Disconnected by the broker: ${reasonCodeName(packet.reasonCode ?? 0, 'disconnect')}.`;
  };
  const onError = (err: Error): void => {
    reason ??= `Error: ${err.message}.`;
  };
  const onClose = (): void => {
    fail(new CliError('CONNECTION_LOST', reason ?? `Error: The connection to ${describeEndpoint(cfg.endpoint)} was lost.`));
  };
  client.on('disconnect', onDisconnect);
  client.on('error', onError);
  client.on('close', onClose);
  return {
    lost,
    dispose: () => {
      client.off('disconnect', onDisconnect);
      client.off('error', onError);
      client.off('close', onClose);
    },
  };
}
