// -L URL: scheme, user:password@, host, port and the topic (mqtt/mqtts) or WebSocket path (ws/wss).
import { CliError } from './errors.js';

export type Scheme = 'mqtt' | 'mqtts' | 'ws' | 'wss';

/** Where to connect: host/port (optionally TLS and/or WebSocket) or a unix socket path. */
export interface Endpoint {
  scheme: Scheme | 'unix';
  host: string;
  port: number;
  /** WebSocket request path (ws/wss). */
  wsPath: string;
  /** Unix socket path (--unix). */
  socketPath?: string;
}

export const DEFAULT_PORT: Readonly<Record<Scheme, number>> = { mqtt: 1883, mqtts: 8883, ws: 80, wss: 443 };
export const DEFAULT_WS_PATH = '/mqtt';

export interface ParsedUrl {
  scheme: Scheme;
  host: string;
  port: number;
  username?: string;
  password?: string;
  /** mqtt(s)://host/topic: the topic, percent-decoded. */
  topic?: string;
  /** ws(s)://host/path: the WebSocket path. */
  wsPath?: string;
}

/** Parsed by hand rather than with WHATWG URL, which would take the '#' of a topic filter as a fragment. */
export function parseBrokerUrl(text: string): ParsedUrl {
  const fail = (why: string) => new CliError('BAD_URL', `Error: Invalid URL '${text}': ${why}.`);
  const m = /^([a-z][a-z0-9+.-]*):\/\/(?:([^@/]*)@)?(\[[^\]]*\]|[^:/]*)(?::([^/]*))?(\/.*)?$/i.exec(text);
  if (!m) throw fail('expected mqtt(s)://[username[:password]@]host[:port]/topic');
  const decode = (part: string): string => {
    try {
      return decodeURIComponent(part);
    } catch {
      throw fail(`bad percent-encoding in '${part}'`);
    }
  };
  const [, schemeText, auth, hostText, portText, path] = m;
  const scheme = schemeText!.toLowerCase();
  if (scheme !== 'mqtt' && scheme !== 'mqtts' && scheme !== 'ws' && scheme !== 'wss') {
    throw fail(`unsupported scheme '${scheme}' (use mqtt, mqtts, ws or wss)`);
  }
  const host = hostText!.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw fail('no host');
  let port = DEFAULT_PORT[scheme];
  if (portText !== undefined) {
    port = Number(portText);
    if (!/^\d+$/.test(portText) || port < 1 || port > 65535) throw fail(`bad port '${portText}'`);
  }
  const parsed: ParsedUrl = { scheme, host, port };
  if (auth !== undefined) {
    const colon = auth.indexOf(':');
    parsed.username = decode(colon < 0 ? auth : auth.slice(0, colon));
    if (colon >= 0) parsed.password = decode(auth.slice(colon + 1));
  }
  if (scheme === 'ws' || scheme === 'wss') parsed.wsPath = path || '/';
  else if (path && path.length > 1) parsed.topic = decode(path.slice(1));
  return parsed;
}

/** `mqtt://host:port` style label for messages and the -d header. */
export function describeEndpoint(e: Endpoint): string {
  if (e.scheme === 'unix') return `unix:${e.socketPath}`;
  const host = e.host.includes(':') ? `[${e.host}]` : e.host;
  const path = e.scheme === 'ws' || e.scheme === 'wss' ? e.wsPath : '';
  return `${e.scheme}://${host}:${e.port}${path}`;
}
