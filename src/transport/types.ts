// The shapes a listener hands outward. They mirror src/broker/ports.ts structurally (this layer may not import
// the broker), so a TransportLink is assignable to the broker's Link without a cast.
import type { Duplex } from 'node:stream';

export type TransportKind = 'tcp' | 'tls' | 'ws' | 'wss' | 'unix';

export interface TransportTlsFacts {
  protocol: string | null;
  cipher: string | null;
  servername: string | null;
  /** Whether the client presented a certificate that verified against the configured CA. */
  authorized: boolean;
  /** Client certificate subject CN and full subject (RFC 2253 order), when one was presented. */
  peerCommonName?: string;
  peerSubject?: string;
}

/** Who really connected when a proxy (PROXY protocol or a trusted X-Forwarded-For) stood in between. */
export interface ProxiedBy {
  via: 'proxy-v1' | 'proxy-v2' | 'x-forwarded-for';
  /** The proxy's own address as the socket saw it. */
  address: string;
  port: number;
}

export interface TransportLinkInfo {
  transport: TransportKind;
  /** Listener name, e.g. 'tcp:127.0.0.1:1883'. */
  listener: string;
  remoteAddress: string;
  remotePort: number;
  localAddress: string;
  localPort: number;
  tls?: TransportTlsFacts;
  proxiedBy?: ProxiedBy;
}

export type TapDirection = 'in' | 'out';
export type TapListener = (dir: TapDirection, bytes: Buffer, time: number) => void;

/** Raw bytes of one layer of a connection; hooks sit on the socket only while someone listens. */
export interface TapSource {
  /** Subscribes; returns the unsubscribe function. */
  on(listener: TapListener): () => void;
}

export interface LinkTaps {
  /** Bytes as on the TCP socket (ciphertext for tls/wss; only when the listener was built with tapWire for those). */
  wire?: TapSource;
  /** Bytes under TLS: MQTT for tcp/tls/unix, HTTP upgrade + WebSocket frames (masked, as sent) for ws/wss. */
  plain?: TapSource;
}

export interface TransportLink {
  readonly stream: Duplex;
  readonly info: TransportLinkInfo;
  readonly tap?: LinkTaps;
}

export type ListenerAddress = { host: string; port: number } | { path: string };

export interface Listener {
  /** e.g. 'ws:127.0.0.1:8083' (the real port once listening). */
  readonly name: string;
  readonly transport: TransportKind;
  address(): ListenerAddress;
  listen(onLink: (link: TransportLink) => void): Promise<void>;
  /** Stops accepting and drops every connection this listener accepted. */
  close(): Promise<void>;
  /** Re-reads certificate files; new handshakes use them, existing connections are untouched. */
  reloadCertificates?(): void;
}

/** pino-compatible: `log.warn({ ...fields }, 'message')`. */
export interface TransportLogger {
  warn(fields: object, msg: string): void;
  info(fields: object, msg: string): void;
}

/** What is known about a connection that failed before (or after) it became a link. */
export interface ConnectionFacts {
  transport: TransportKind;
  listener: string;
  remoteAddress: string;
  remotePort: number;
}
