// [transport] What the composition root needs besides createConfiguredListener to run flag, default and file
// listeners alike: one KeyLog per key-log file (so --tls-keylog / SSLKEYLOGFILE warns once however many tls and
// wss listeners share it, and closes after them), the flag a start error blames, and the URL a listener announces.
import type { Logger as PinoLogger } from 'pino';
import type { ListenerConfig } from '../config/config.js';
import { KeyLog, keyLogFileFrom, type Listener, type TlsFileOptions } from '../transport/index.js';
import type { RunningBroker } from './create-broker.js';

export class SharedKeyLogs {
  private readonly byFile = new Map<string, KeyLog>();

  constructor(
    private readonly logger: PinoLogger,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  /**
   * The KeyLog for a TLS listener: its own file (--tls-keylog, tls_keylog) or else SSLKEYLOGFILE; the first
   * use of a file opens it and logs the warning, later listeners share it.
   */
  open(own: TlsFileOptions['keylog']): KeyLog | undefined {
    if (own instanceof KeyLog) return own;
    const file = keyLogFileFrom(own, this.env);
    if (file === undefined) return undefined;
    let log = this.byFile.get(file);
    if (!log) {
      log = new KeyLog(file, this.logger);
      this.byFile.set(file, log);
    }
    return log;
  }

  async close(): Promise<void> {
    await Promise.all([...this.byFile.values()].map((k) => k.close()));
  }
}

/** Key logs close after the broker and the listeners (the last handshakes' lines are written by then). */
export function withKeyLogs<R extends RunningBroker>(running: R, keylogs: SharedKeyLogs): R {
  let closing: Promise<void> | undefined;
  return { ...running, close: () => (closing ??= running.close().finally(() => keylogs.close())) };
}

/**
 * The flag (or file line) a listener that cannot start is blamed on: for a flag listener whose certificate,
 * key or CA file cannot be read, the file's own flag; a PEM that does not parse cannot be told apart, so the
 * pair is named.
 */
export function blamedSource(l: ListenerConfig, err: unknown): string {
  if (!l.source.startsWith('--') || !l.tls) return l.source;
  const path = (err as NodeJS.ErrnoException).path;
  if (path !== undefined && path === l.tls.certFile) return '--cert';
  if (path !== undefined && path === l.tls.keyFile) return '--key';
  if (path !== undefined && path === l.tls.caFile) return '--ca';
  const errno = (err as NodeJS.ErrnoException).code;
  if (errno === 'EADDRINUSE' || errno === 'EACCES' || errno === 'EADDRNOTAVAIL' || errno === 'ENOTFOUND') return l.source;
  return '--cert/--key/--ca';
}

const SCHEME: Readonly<Record<Listener['transport'], string>> = { tcp: 'mqtt', tls: 'mqtts', ws: 'ws', wss: 'wss', unix: 'unix' };

/** How a client reaches a listener: mqtt://127.0.0.1:1883, ws://127.0.0.1:8083, unix:/run/glassmq.sock. */
export function listenerUrl(listener: Listener): string {
  const a = listener.address();
  if ('path' in a) return `unix:${a.path}`;
  const host = a.host.includes(':') ? `[${a.host}]` : a.host;
  return `${SCHEME[listener.transport]}://${host}:${a.port}`;
}

const FILE_ERRNO_TEXT: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'is a directory',
};

/** "cannot read FILE: no such file" when a listener failed on a file (certificate, key, CA), else undefined. */
export function unreadableFile(err: unknown): string | undefined {
  const e = err as NodeJS.ErrnoException;
  if (e.path === undefined || e.syscall !== 'open') return undefined;
  return `cannot read ${e.path}: ${(e.code && FILE_ERRNO_TEXT[e.code]) ?? e.message}`;
}
