// The interfaces the broker core needs from the outside world. Transports, stores, auth and the cluster
// implement them; only src/server/ chooses the implementations.
import type { Duplex } from 'node:stream';

export type TransportKind = 'tcp' | 'tls' | 'ws' | 'wss' | 'unix';

export interface TlsFacts {
  protocol: string | null;
  cipher: string | null;
  servername: string | null;
  /** Whether the client presented a certificate that verified against the configured CA. */
  authorized: boolean;
  /** Client certificate subject CN and full subject (RFC 2253 style), when one was presented. */
  peerCommonName?: string;
  peerSubject?: string;
}

export interface LinkInfo {
  transport: TransportKind;
  /** Listener name, e.g. 'tcp:127.0.0.1:1883'. */
  listener: string;
  remoteAddress: string;
  remotePort: number;
  localAddress: string;
  localPort: number;
  tls?: TlsFacts;
}

/**
 * One client connection as the broker sees it: a byte duplex (TCP socket, TLS socket, WebSocket stream,
 * unix socket) plus facts about it. The broker reads MQTT bytes from `stream` and writes MQTT bytes to it.
 */
export interface Link {
  readonly stream: Duplex;
  readonly info: LinkInfo;
}

/** A clock the broker reads time from, so keepalive and expiry tests need no sleeping. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export interface TimerHandle {
  /** Lets the process exit while the timer is pending. */
  unref?(): unknown;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
