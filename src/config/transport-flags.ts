// [transport] The ws / tls / wss / unix flags of `glassmq broker` and what they become: the same ListenerConfig
// entries a mosquitto.conf `listener` line produces, so src/server opens flag, default and file listeners with
// one function (createConfiguredListener). Flags may come in any order, so they are stored raw here and
// resolved once all are read.
import type { FlagSpec } from './broker-flags.js';
import {
  DEFAULT_TCP_HOST,
  DEFAULT_TLS_PORT,
  DEFAULT_WS_PORT,
  DEFAULT_WSS_PORT,
  type Config,
  type ListenerConfig,
  type TransportFlags,
} from './config.js';

const MAX_PORT = 65_535;
/** A WebSocket ping interval beyond a day is a typo, not a keepalive. */
const MAX_WS_PING_SECONDS = 86_400;
/** mosquitto's "no per-listener limit": --max-connections still bounds the whole broker. */
const NO_LISTENER_LIMIT = -1;

/** --tls-min-version accepts Node's and mosquitto's spellings. */
const MIN_VERSIONS: Readonly<Record<string, 'tlsv1.2' | 'tlsv1.3'>> = {
  'tlsv1.2': 'tlsv1.2',
  'tlsv1.3': 'tlsv1.3',
  '1.2': 'tlsv1.2',
  '1.3': 'tlsv1.3',
};

function port(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > MAX_PORT) throw new Error(`expected a port from 0 to ${MAX_PORT}, got "${value}"`);
  return Number(value);
}

function file(value: string): string {
  if (value === '') throw new Error('expected a file');
  return value;
}

const t = (config: Config): TransportFlags => (config.transport ??= {});

/** Rows appended to BROKER_FLAGS (broker-flags.ts). */
export const TRANSPORT_FLAGS: FlagSpec[] = [
  {
    name: '--ws-port',
    arg: 'N',
    listener: true,
    help: `MQTT over WebSocket listener port (default set: ${DEFAULT_WS_PORT}; 0 = any free port)`,
    apply: (config, value) => void (t(config).wsPort = port(value as string)),
  },
  {
    name: '--ws-path',
    arg: 'PATH',
    help: 'only this URL path upgrades to WebSocket (default: any path); others get 404',
    apply(config, value) {
      if (!(value as string).startsWith('/')) throw new Error(`expected a path starting with /, got "${value}"`);
      t(config).wsPath = value as string;
    },
  },
  {
    name: '--ws-origin',
    arg: 'ORIGIN',
    help: 'allowed Origin of WebSocket clients (repeatable, or a comma list; default: any); others get 403',
    apply(config, value) {
      const origins = (value as string).split(',').map((o) => o.trim()).filter((o) => o !== '');
      if (origins.length === 0) throw new Error('expected an origin such as https://example.com');
      t(config).wsOrigins = [...(t(config).wsOrigins ?? []), ...origins];
    },
  },
  {
    name: '--trust-proxy',
    help: 'take the ws/wss client address from X-Forwarded-For (set by your reverse proxy)',
    apply: (config) => void (t(config).trustProxy = true),
  },
  {
    name: '--ws-ping',
    arg: 'S',
    help: 'send a WebSocket ping every S seconds; a pong not back by the next ping closes the connection (default: off)',
    apply(config, value) {
      if (!/^\d+$/.test(value as string) || Number(value) < 1 || Number(value) > MAX_WS_PING_SECONDS) {
        throw new Error(`expected seconds from 1 to ${MAX_WS_PING_SECONDS}, got "${value}"`);
      }
      t(config).wsPing = Number(value);
    },
  },
  {
    name: '--tls-port',
    arg: 'N',
    listener: true,
    help: `MQTT over TLS listener port (default set with --cert/--key: ${DEFAULT_TLS_PORT}); ALPN mqtt`,
    apply: (config, value) => void (t(config).tlsPort = port(value as string)),
  },
  {
    name: '--wss-port',
    arg: 'N',
    listener: true,
    help: `MQTT over secure WebSocket listener port (default set with --cert/--key: ${DEFAULT_WSS_PORT})`,
    apply: (config, value) => void (t(config).wssPort = port(value as string)),
  },
  {
    name: '--cert',
    arg: 'FILE',
    help: 'PEM server certificate (chain) for tls and wss; re-read on SIGHUP',
    apply: (config, value) => void (t(config).cert = file(value as string)),
  },
  {
    name: '--key',
    arg: 'FILE',
    help: 'PEM private key of --cert; re-read on SIGHUP',
    apply: (config, value) => void (t(config).key = file(value as string)),
  },
  {
    name: '--ca',
    arg: 'FILE',
    help: 'PEM CA certificates client certificates must chain to; clients are then asked for one',
    apply: (config, value) => void (t(config).ca = file(value as string)),
  },
  // [security] mosquitto's capath: a directory of CA certificates (*.pem, *.crt, c_rehash HASH.0 links)
  {
    name: '--capath',
    arg: 'DIR',
    help: 'directory of CA certificates (*.pem, *.crt, HASH.0) client certificates must chain to, with or instead of --ca',
    apply: (config, value) => void (t(config).capath = file(value as string)),
  },
  {
    name: '--require-certificate',
    help: 'refuse tls/wss clients without a certificate that verifies against --ca',
    apply: (config) => void (t(config).requireCertificate = true),
  },
  {
    name: '--use-identity-as-username',
    help: "the verified client certificate's CN is the user name on tls/wss (no verified certificate: refused)",
    apply: (config) => void (t(config).useIdentityAsUsername = true),
  },
  {
    name: '--tls-min-version',
    arg: 'V',
    help: 'lowest TLS version accepted: TLSv1.2 (default) or TLSv1.3',
    apply(config, value) {
      const v = MIN_VERSIONS[(value as string).toLowerCase()];
      if (!v) throw new Error(`expected TLSv1.2 or TLSv1.3, got "${value}"`);
      t(config).tlsMinVersion = v;
    },
  },
  {
    name: '--tls-keylog',
    arg: 'FILE',
    help: 'append the session keys of every tls/wss connection to FILE (NSS key log, for Wireshark); also SSLKEYLOGFILE',
    apply: (config, value) => void (t(config).tlsKeylog = file(value as string)),
  },
  {
    name: '--unix',
    arg: 'PATH',
    listener: true,
    help: 'unix domain socket listener',
    apply: (config, value) => void (t(config).unix = file(value as string)),
  },
  {
    name: '--proxy-protocol',
    help: 'tcp and tls listeners expect a HAProxy PROXY v1/v2 header first (the real client address behind a load balancer)',
    apply: (config) => void (t(config).proxyProtocol = true),
  },
];

/** A combination of transport flags that cannot work: the flag to blame and why. */
export interface TransportFlagProblem {
  flag: string;
  detail: string;
}

export function transportFlagProblem(config: Config): TransportFlagProblem | undefined {
  const f = config.transport ?? {};
  if (f.cert !== undefined && f.key === undefined) return { flag: '--cert', detail: 'needs --key (the private key of the certificate)' };
  if (f.key !== undefined && f.cert === undefined) return { flag: '--key', detail: 'needs --cert (the certificate of the key)' };
  const hasTls = f.cert !== undefined;
  if (f.tlsPort !== undefined && !hasTls) return { flag: '--tls-port', detail: 'needs --cert and --key' };
  if (f.wssPort !== undefined && !hasTls) return { flag: '--wss-port', detail: 'needs --cert and --key' };
  // [security] --capath counts as a CA too
  if (f.requireCertificate && f.ca === undefined && f.capath === undefined) return { flag: '--require-certificate', detail: 'needs --ca (the CA client certificates must chain to)' };
  if (f.useIdentityAsUsername && f.ca === undefined && f.capath === undefined) return { flag: '--use-identity-as-username', detail: 'needs --ca (only a verified certificate names a user)' };
  return undefined;
}

/**
 * Every listener the command line asks for, as configuration-file entries: the TCP ones (config.tcp, which
 * --port and --host set), then ws, tls, wss and unix. With no listener flag (config.defaultListeners) the
 * default set adds ws, and with --cert/--key also tls and wss, on the default host. `source` names the flag a
 * start error blames.
 */
export function flagListeners(config: Config): ListenerConfig[] {
  const f = config.transport ?? {};
  const host = f.host ?? config.tcp[0]?.host ?? DEFAULT_TCP_HOST;
  const defaults = config.defaultListeners;
  const entry = (protocol: ListenerConfig['protocol'], at: string | undefined, port: number, source: string): ListenerConfig => ({
    protocol,
    host: at,
    port,
    maxConnections: NO_LISTENER_LIMIT,
    source,
  });
  const proxied = (l: ListenerConfig): ListenerConfig => (f.proxyProtocol ? { ...l, proxyProtocol: true } : l);
  const ws: NonNullable<ListenerConfig['ws']> = {};
  if (f.wsPath !== undefined) ws.path = f.wsPath;
  if (f.wsOrigins !== undefined) ws.origins = f.wsOrigins;
  if (f.trustProxy) ws.trustProxy = true;
  if (f.wsPing !== undefined) ws.pingSeconds = f.wsPing;
  const secured = (l: ListenerConfig): ListenerConfig => {
    const tls: NonNullable<ListenerConfig['tls']> = { certFile: f.cert!, keyFile: f.key!, requireCertificate: f.requireCertificate ?? false };
    if (f.ca !== undefined) tls.caFile = f.ca;
    if (f.capath !== undefined) tls.capath = f.capath; // [security]
    if (f.tlsMinVersion !== undefined) tls.minVersion = f.tlsMinVersion;
    if (f.tlsKeylog !== undefined) tls.keylog = f.tlsKeylog;
    return { ...l, tls, ...(f.useIdentityAsUsername ? { certificateUsername: 'identity' as const } : {}) };
  };

  const out = config.tcp.map((tcp) => proxied(entry('mqtt', tcp.host, tcp.port, '--port')));
  const wsPort = f.wsPort ?? (defaults ? DEFAULT_WS_PORT : undefined);
  if (wsPort !== undefined) out.push({ ...entry('websockets', host, wsPort, '--ws-port'), ws });
  const withTls = f.cert !== undefined && f.key !== undefined;
  const tlsPort = f.tlsPort ?? (defaults && withTls ? DEFAULT_TLS_PORT : undefined);
  if (tlsPort !== undefined) out.push(proxied(secured(entry('mqtt', host, tlsPort, '--tls-port'))));
  const wssPort = f.wssPort ?? (defaults && withTls ? DEFAULT_WSS_PORT : undefined);
  if (wssPort !== undefined) out.push({ ...secured(entry('websockets', host, wssPort, '--wss-port')), ws });
  if (f.unix !== undefined) out.push({ ...entry('mqtt', undefined, 0, '--unix'), path: f.unix });
  return out;
}
