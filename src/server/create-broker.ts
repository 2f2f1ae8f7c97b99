// createBroker(): a broker core plus its TCP listener, the in-process way to run glassmq (library and tests).
import type { Logger as PinoLogger } from 'pino';
import { Broker, type BrokerOptions } from '../broker/broker.js';
import type { BrokerHooks } from '../broker/hooks.js';
import type { Clock, Logger } from '../broker/ports.js';
import { createTcpListener, type Listener } from '../transport/index.js';
import { VERSION } from '../version.js';

export interface CreateBrokerOptions {
  /** TCP listener address; port 0 lets the OS choose. Defaults: 127.0.0.1, 1883. */
  host?: string;
  port?: number;
  maxKeepalive?: number;
  maxPacketSize?: number;
  maxInflight?: number;
  maxQueued?: number;
  maxQueuedBytes?: number;
  maxConnections?: number;
  maxOutputBuffer?: number;
  /** Seconds between $SYS updates; 0 = off. */
  sysInterval?: number;
  retainAvailable?: boolean;
  hooks?: BrokerHooks;
  clock?: Clock;
  /** A pino logger; false or absent = silent. */
  logger?: PinoLogger | false;
  /** One log line per packet. */
  verbose?: boolean;
}

export interface RunningBroker {
  readonly broker: Broker;
  /** The bound TCP address. */
  readonly host: string;
  readonly port: number;
  /** Stops accepting, sends DISCONNECT 0x8B to 5.0 clients, closes everything. */
  close(): Promise<void>;
}

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 1883;

export async function createBroker(options: CreateBrokerOptions = {}): Promise<RunningBroker> {
  const { host = DEFAULT_HOST, port = DEFAULT_PORT, logger, ...rest } = options;
  const log: Logger | undefined = logger ? (logger as unknown as Logger) : undefined;
  const brokerOptions: BrokerOptions = { ...rest, logger: log, version: VERSION };
  const broker = new Broker(brokerOptions);
  const listener = createTcpListener({ host, port, log: logger ? logger : undefined });
  try {
    await listener.listen((link) => broker.handleLink(link));
  } catch (err) {
    await broker.close();
    throw err;
  }
  return runningBroker(broker, [listener]);
}

/** Wraps a broker and its listeners into one close(). */
export function runningBroker(broker: Broker, listeners: Listener[]): RunningBroker {
  const first = listeners[0]?.address();
  const address = first && 'port' in first ? first : { host: '', port: 0 };
  let closing: Promise<void> | undefined;
  return {
    broker,
    host: address.host,
    port: address.port,
    close() {
      closing ??= (async () => {
        // The broker refuses new links from here on and says goodbye (DISCONNECT 0x8B) on the open ones;
        // closing the listeners afterwards drops whatever is left.
        await broker.close();
        await Promise.all(listeners.map((l) => l.close()));
      })();
      return closing;
    },
  };
}
