// [security] Listeners described by a configuration file (`listener PORT [ADDRESS]`, `protocol`, TLS options)
// turned into transport listeners: tcp, tls, ws, wss or a unix socket, each with its own connection limit.
import { networkInterfaces } from 'node:os';
import type { Logger as PinoLogger } from 'pino';
import type { Link } from '../broker/ports.js';
import type { ListenerConfig } from '../config/config.js';
import {
  createTcpListener,
  createTlsListener,
  createUnixListener,
  createWsListener,
  createWssListener,
  type Listener,
  type TlsFileOptions,
  type TlsMinVersion,
} from '../transport/index.js';

/** A listener that cannot be built from its configuration (the caller adds the file line). */
export class ListenerConfigError extends Error {
  override readonly name = 'ListenerConfigError';
}

/** mosquitto's tls_version is a minimum; Node accepts nothing below TLS 1.2 by default, so tlsv1.1 keeps that. */
const MIN_VERSION: Readonly<Record<string, TlsMinVersion | undefined>> = { 'tlsv1.3': 'TLSv1.3', 'tlsv1.2': 'TLSv1.2', 'tlsv1.1': undefined };

/** The address to bind: the configured one, the interface's (bind_interface), or every interface of a family. */
export function bindHost(l: ListenerConfig): string | undefined {
  if (l.bindInterface !== undefined) {
    const family = l.socketDomain === 'ipv6' ? 'IPv6' : 'IPv4';
    const address = networkInterfaces()[l.bindInterface]?.find((a) => a.family === family)?.address;
    if (address === undefined) throw new ListenerConfigError(`bind_interface ${l.bindInterface}: no ${family} address on this machine`);
    return address;
  }
  if (l.host !== undefined) return l.host;
  if (l.socketDomain === 'ipv4') return '0.0.0.0';
  if (l.socketDomain === 'ipv6') return '::';
  return undefined; // every interface, IPv4 and IPv6 (as mosquitto without socket_domain)
}

function tlsOptions(l: ListenerConfig): TlsFileOptions | undefined {
  const t = l.tls;
  if (!t) return undefined;
  const o: TlsFileOptions = { certFile: t.certFile, keyFile: t.keyFile, requireCertificate: t.requireCertificate };
  if (t.caFile !== undefined) o.caFile = t.caFile;
  if (t.capath !== undefined) o.caPath = t.capath; // [security] every CA certificate in the directory (ca-path.ts)
  const min = t.minVersion && MIN_VERSION[t.minVersion];
  if (min) o.minVersion = min;
  if (t.keylog !== undefined) o.keylog = t.keylog;
  return o;
}

/** Builds the transport listener a configuration file describes (not yet listening). */
export function createConfiguredListener(
  l: ListenerConfig,
  maxPacketSize: number,
  log: PinoLogger,
  tapTls: (o: TlsFileOptions) => TlsFileOptions = (o) => o, // [trace] --capture: ciphertext tap and key log
): Listener {
  if (l.path !== undefined) return createUnixListener({ path: l.path, log });
  const base = { host: bindHost(l), port: l.port, log };
  const fileTls = tlsOptions(l);
  const tls = fileTls && tapTls(fileTls);
  if (l.protocol === 'websockets') {
    const ws = { wsPath: l.ws?.path, origins: l.ws?.origins, trustProxy: l.ws?.trustProxy, pingSeconds: l.ws?.pingSeconds, maxPacketSize };
    return tls ? createWssListener({ ...base, ...ws, ...tls }) : createWsListener({ ...base, ...ws });
  }
  const proxy = { proxyProtocol: l.proxyProtocol };
  return tls ? createTlsListener({ ...base, ...proxy, ...tls }) : createTcpListener({ ...base, ...proxy });
}

/**
 * mosquitto's per-listener max_connections: a connection beyond the limit is closed at once (-1: no limit).
 * Wraps the link handler so the broker never sees it.
 */
export function limitConnections(max: number, onLink: (link: Link) => void): (link: Link) => void {
  if (max < 0) return onLink;
  let open = 0;
  return (link) => {
    if (open >= max) {
      link.stream.destroy();
      return;
    }
    open++;
    link.stream.once('close', () => open--);
    onLink(link);
  };
}
