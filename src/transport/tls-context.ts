// TLS settings shared by the tls and wss listeners: certificate files, client-certificate policy, the
// identity facts a link carries, the key log, and the per-connection bookkeeping TLS needs.
import { readFileSync } from 'node:fs';
import { Socket } from 'node:net';
import type { SecureContextOptions, Server as TlsServer, TLSSocket, TlsOptions } from 'node:tls';
import { TransportError } from './errors.js';
import type { Accepted, Reporter } from './front.js';
import { KeyLog } from './keylog.js';
import { readCaPath } from './ca-path.js'; // [security] capath
import type { RecordedChunk } from './tap.js';
import type { TransportLinkInfo, TransportLogger, TransportTlsFacts } from './types.js';

export type TlsMinVersion = 'TLSv1.2' | 'TLSv1.3';

export interface TlsFileOptions {
  /** PEM server certificate (chain) file; re-read by reloadCertificates(). */
  certFile: string;
  keyFile: string;
  /** PEM CA file for client certificates; when set, clients are asked for a certificate. */
  caFile?: string;
  /** [security] A directory of CA certificates (mosquitto's capath), added to caFile's. */
  caPath?: string;
  /** Refuse clients without a certificate that verifies against caFile. */
  requireCertificate?: boolean;
  minVersion?: TlsMinVersion;
  /** A shared KeyLog, or a file path (the listener opens its own and warns once). */
  keylog?: KeyLog | string;
  /**
   * Route the ciphertext through JS so link.tap.wire exists; costs throughput, off by default. The wire tap then
   * replays the connection's first bytes (the TLS handshake; on wss also the HTTP upgrade) to each subscriber.
   */
  tapWire?: boolean;
  /** [trace] Each NSS key-log line as its handshake produces it, with the connection (next to, or without, `keylog`). */
  onKeylog?: KeylogListener;
  handshakeTimeoutMs?: number;
}

/**
 * [trace] The connection a key-log line belongs to, as its listener knows it during the handshake (behind the
 * PROXY protocol: the real client); wss with trustProxy learns X-Forwarded-For only later, so it is not here.
 */
export type KeylogConnection = Omit<TransportLinkInfo, 'tls'>;
export type KeylogListener = (line: Buffer, connection: KeylogConnection) => void;

/** [trace] The most of a connection's first bytes a wire tap keeps for replay: a handshake with a long chain fits. */
export const WIRE_HANDSHAKE_RECORD_LIMIT = 64 * 1024;

export const DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

export function validateTlsOptions(o: TlsFileOptions): void {
  if (!o.certFile || !o.keyFile) throw new Error('TLS listener needs certFile and keyFile');
  if (o.requireCertificate && !o.caFile && !o.caPath) throw new Error('requireCertificate needs caFile (the CA client certificates must chain to)'); // [security] or caPath
}

/** [security] caFile's and caPath's certificates as one list (undefined: no client certificates asked for). */
function caList(o: TlsFileOptions): (string | Buffer)[] | undefined {
  if (!o.caFile && !o.caPath) return undefined;
  return [...(o.caFile ? [readFileSync(o.caFile)] : []), ...(o.caPath ? readCaPath(o.caPath) : [])];
}

export function secureContextOptions(o: TlsFileOptions): SecureContextOptions {
  const ca = caList(o); // [security] capath
  return {
    cert: readFileSync(o.certFile),
    key: readFileSync(o.keyFile),
    ...(ca ? { ca } : {}),
    ...(o.minVersion ? { minVersion: o.minVersion } : {}),
  };
}

export function serverTlsOptions(o: TlsFileOptions, alpn: string[]): TlsOptions {
  return {
    ...secureContextOptions(o),
    requestCert: Boolean(o.caFile || o.caPath), // [security] capath
    // Verification is judged in onSecure instead, so a refused certificate gets a log line with the reason.
    rejectUnauthorized: false,
    ALPNProtocols: alpn,
    handshakeTimeout: o.handshakeTimeoutMs ?? DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS,
  };
}

function firstValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

export function tlsFacts(s: TLSSocket): TransportTlsFacts {
  const facts: TransportTlsFacts = {
    protocol: s.getProtocol(),
    cipher: s.getCipher()?.name ?? null,
    servername: typeof s.servername === 'string' ? s.servername : null,
    authorized: s.authorized,
  };
  const peer = s.getPeerCertificate();
  if (peer && peer.subject) {
    const cn = firstValue(peer.subject.CN);
    if (cn !== undefined) facts.peerCommonName = cn;
    // RFC 2253 lists the most specific attribute first, the reverse of the certificate's order.
    facts.peerSubject = Object.entries(peer.subject)
      .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${k}=${x}`))
      .reverse()
      .join(',');
  }
  return facts;
}

/**
 * Pass-through over the raw socket so TLS runs on a JS stream and the ciphertext can be tapped. It is a
 * handle-less net.Socket because TLSSocket remembers only net.Sockets as its parent (see underlying()).
 */
export class WireStream extends Socket {
  /**
   * [trace] What crossed before the link existed (the handshake from the ClientHello on; on wss also the HTTP
   * upgrade), for the wire tap to replay: a capture needs it to decrypt. Undefined once handed over.
   */
  private recording: RecordedChunk[] | undefined = [];
  private recordedBytes = 0;

  constructor(private readonly raw: Socket) {
    super({ allowHalfOpen: false });
    raw.on('data', (d: Buffer) => {
      if (this.recording) this.record('in', d); // before push: TLS may answer inside it
      if (!this.push(d)) raw.pause();
    });
    raw.on('end', () => this.push(null));
    raw.on('close', () => this.destroy());
  }
  get rawBytesRead(): number {
    return this.raw.bytesRead;
  }
  /** TLS treats a handle-less parent as still connecting until it says otherwise. */
  markConnected(): void {
    this.emit('connect');
  }
  override _read(): void {
    this.raw.resume();
  }
  /** [trace] Stops recording and hands over the recorded bytes (none when they outgrew the limit). */
  finishRecording(): readonly RecordedChunk[] {
    const recorded = this.recording ?? [];
    this.recording = undefined;
    return recorded;
  }
  private record(dir: RecordedChunk['dir'], bytes: Buffer): void {
    this.recordedBytes += bytes.length;
    // More than a handshake: a partial one would not decrypt, so nothing is kept.
    if (this.recordedBytes > WIRE_HANDSHAKE_RECORD_LIMIT) this.recording = undefined;
    else this.recording?.push({ dir, bytes: Buffer.from(bytes), time: Date.now() });
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    if (this.recording) this.record('out', chunk);
    this.raw.write(chunk, cb);
  }
  override _writev(chunks: { chunk: Buffer }[], cb: (e?: Error | null) => void): void {
    if (this.recording) for (const c of chunks) this.record('out', c.chunk);
    this.raw.cork();
    chunks.forEach((c, i) => this.raw.write(c.chunk, i === chunks.length - 1 ? cb : undefined));
    this.raw.uncork();
  }
  override _final(cb: (e?: Error | null) => void): void {
    this.raw.end(cb);
  }
  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    this.raw.destroy();
    cb(err);
  }
}

/** The net.Socket a TLSSocket was built on (Node keeps it as `_parent`): our raw socket or WireStream. */
export function underlying(s: TLSSocket): object | undefined {
  return (s as unknown as { _parent?: object })._parent;
}

function rawBytesRead(s: TLSSocket): number {
  const parent = underlying(s);
  if (parent instanceof WireStream) return parent.rawBytesRead;
  return parent instanceof Socket ? parent.bytesRead : -1;
}

/** [trace] The link facts known while the handshake runs. */
function keylogConnection(a: Accepted): KeylogConnection {
  return { ...a.facts, localAddress: a.localAddress, localPort: a.localPort, ...(a.proxiedBy ? { proxiedBy: a.proxiedBy } : {}) };
}

/** Ties accepted raw sockets to the TLS sockets built on them, and reports TLS failures with their facts. */
export class TlsBookkeeping {
  private readonly accepted = new WeakMap<object, Accepted & { wire?: WireStream }>();
  readonly keylog: KeyLog | undefined;
  private readonly ownsKeylog: boolean;

  constructor(
    private readonly server: TlsServer,
    private readonly opts: TlsFileOptions,
    private readonly report: Reporter,
    log: TransportLogger | undefined,
  ) {
    this.ownsKeylog = typeof opts.keylog === 'string';
    this.keylog = typeof opts.keylog === 'string' ? new KeyLog(opts.keylog, log) : opts.keylog;
    if (this.keylog) {
      const keylog = this.keylog;
      server.on('keylog', (line: Buffer) => keylog.write(line));
    }
    // [trace] Node turns key logging on per socket only while a 'keylog' listener exists: none without the option.
    const onKeylog = opts.onKeylog;
    if (onKeylog) {
      server.on('keylog', (line: Buffer, s: TLSSocket) => {
        const a = this.lookup(s);
        if (a) onKeylog(line, keylogConnection(a));
      });
    }
    server.on('tlsClientError', (err: Error & { code?: string; reason?: string }, s: TLSSocket) => {
      const a = this.lookup(s);
      // A TCP health check (connect, close, no bytes) is not a failed handshake; do not log it.
      if (err.code === 'ECONNRESET' && rawBytesRead(s) === 0) return;
      // OpenSSL's message carries file and line; its `reason` is the part a reader needs.
      const why = err.reason ?? err.message;
      if (a) this.report(a.facts, new TransportError('TLS_HANDSHAKE_FAILED', `${err.code ?? 'TLS_ERROR'}: ${why}`, err));
    });
  }

  /** Hands a raw socket to the TLS server (through a WireStream when the wire tap is wanted). */
  feed(socket: Socket, accepted: Accepted): void {
    if (this.opts.tapWire) {
      const wire = new WireStream(socket);
      wire.on('error', () => undefined);
      this.accepted.set(wire, { ...accepted, wire });
      this.server.emit('connection', wire);
      wire.markConnected();
    } else {
      this.accepted.set(socket, accepted);
      this.server.emit('connection', socket);
    }
  }

  lookup(s: TLSSocket): (Accepted & { wire?: WireStream }) | undefined {
    const parent = underlying(s);
    return parent ? this.accepted.get(parent) : undefined;
  }

  /** After the handshake: enforces the client-certificate policy; false when the socket was refused. */
  admit(s: TLSSocket, a: Accepted): boolean {
    if (!this.opts.requireCertificate || s.authorized) return true;
    const presented = Boolean(s.getPeerCertificate()?.subject);
    const why = presented
      ? `client certificate not accepted: ${String(s.authorizationError)}`
      : 'client certificate required but none presented';
    this.report(a.facts, new TransportError('TLS_HANDSHAKE_FAILED', why));
    s.destroy();
    return false;
  }

  reload(): void {
    this.server.setSecureContext(secureContextOptions(this.opts));
  }

  async close(): Promise<void> {
    if (this.ownsKeylog) await this.keylog?.close();
  }
}
