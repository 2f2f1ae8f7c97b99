// The options every client command shares (connection, session, auth, will, TLS, output) and their validation.
import { randomBytes } from 'node:crypto';
import type { ProtocolVersion, QoS, Will } from '../../protocol/packets.js';
import type { OptionDef, ParsedArgs } from './args.js';
import { CliError } from './errors.js';
import { parsePropertyArgs, type PropertySet } from './properties.js';
import { parseTlsVersion, type TlsSettings } from './tls.js';
import { DEFAULT_PORT, DEFAULT_WS_PATH, parseBrokerUrl, type Endpoint } from './url.js';

export const SHARED_OPTIONS: readonly OptionDef[] = [
  { key: 'host', names: ['-h', '--host'], kind: 'value', arg: 'HOST', help: 'broker host (default localhost)' },
  { key: 'port', names: ['-p', '--port'], kind: 'value', arg: 'PORT', help: 'broker port (default 1883, 8883 with TLS)' },
  { key: 'url', names: ['-L', '--url'], kind: 'value', arg: 'URL', help: 'mqtt(s)://[user[:pass]@]host[:port]/topic or ws(s)://host[:port]/path' },
  { key: 'unix', names: ['--unix'], kind: 'value', arg: 'PATH', help: 'connect through a unix domain socket' },
  { key: 'id', names: ['-i', '--id'], kind: 'value', arg: 'ID', help: 'client id (default: random for 3.x, server-assigned for 5)' },
  { key: 'idPrefix', names: ['-I', '--id-prefix'], kind: 'value', arg: 'PREFIX', help: 'client id = PREFIX + process id' },
  { key: 'noClean', names: ['-c', '--disable-clean-session'], kind: 'flag', help: 'keep the session (clean session / clean start off)' },
  { key: 'sessionExpiry', names: ['-x', '--session-expiry-interval'], kind: 'value', arg: 'SECONDS', help: 'v5 session expiry interval (-1 or ∞: never)' },
  { key: 'keepalive', names: ['-k', '--keepalive'], kind: 'value', arg: 'SECONDS', help: 'keep alive interval (default 60)' },
  { key: 'protocol', names: ['-V', '--protocol-version'], kind: 'value', arg: 'VERSION', help: '31, 311 or 5 (mqttv31, mqttv311, mqttv5)' },
  { key: 'property', names: ['-D', '--property'], kind: 'property', arg: 'COMMAND PROPERTY VALUE', help: 'add an MQTT 5 property (implies -V 5)' },
  { key: 'username', names: ['-u', '--username'], kind: 'value', arg: 'USER', help: 'user name' },
  { key: 'password', names: ['-P', '--pw'], kind: 'value', arg: 'PASSWORD', help: 'password' },
  { key: 'willTopic', names: ['--will-topic'], kind: 'value', arg: 'TOPIC', help: 'topic of the will message' },
  { key: 'willPayload', names: ['--will-payload'], kind: 'value', arg: 'PAYLOAD', help: 'payload of the will (default empty)' },
  { key: 'willQos', names: ['--will-qos'], kind: 'value', arg: 'QOS', help: 'QoS of the will' },
  { key: 'willRetain', names: ['--will-retain'], kind: 'flag', help: 'retain the will' },
  { key: 'cafile', names: ['--cafile'], kind: 'value', arg: 'FILE', help: 'trusted CA certificates (PEM); enables TLS' },
  { key: 'capath', names: ['--capath'], kind: 'value', arg: 'DIR', help: 'directory of trusted CA certificates; enables TLS' },
  { key: 'cert', names: ['--cert'], kind: 'value', arg: 'FILE', help: 'client certificate (PEM)' },
  { key: 'key', names: ['--key'], kind: 'value', arg: 'FILE', help: 'client private key (PEM)' },
  { key: 'insecure', names: ['--insecure'], kind: 'flag', help: 'do not check the server host name against its certificate' },
  { key: 'tlsVersion', names: ['--tls-version'], kind: 'value', arg: 'VERSION', help: 'tlsv1.3, tlsv1.2 or tlsv1.1' },
  { key: 'tlsAlpn', names: ['--tls-alpn'], kind: 'value', arg: 'PROTOCOL', help: 'ALPN protocol to offer' },
  { key: 'tlsKeylog', names: ['--tls-keylog'], kind: 'value', arg: 'FILE', help: 'append TLS session keys (NSS key log) for Wireshark' },
  { key: 'debug', names: ['-d', '--debug'], kind: 'flag', help: 'print every packet sent and received, decoded (stderr)' },
  { key: 'hex', names: ['--hex'], kind: 'flag', help: 'with -d: add the annotated bytes of each packet' },
  { key: 'quiet', names: ['--quiet'], kind: 'flag', help: 'do not print runtime errors' },
  { key: 'help', names: ['--help'], kind: 'flag', help: 'show this help' },
  { key: 'version', names: ['--version'], kind: 'flag', help: 'print the glassmq version' },
];

/** Everything needed to open one MQTT connection. */
export interface ConnectionConfig {
  endpoint: Endpoint;
  tls?: TlsSettings;
  version: ProtocolVersion;
  clientId: string;
  clean: boolean;
  keepalive: number;
  /** v5 CONNECT Session Expiry Interval. */
  sessionExpiry?: number;
  username?: string;
  password?: Buffer;
  will?: Will;
  properties: PropertySet;
  /** Topic given in an mqtt(s):// URL. */
  urlTopic?: string;
  debug: boolean;
  hex: boolean;
  quiet: boolean;
}

/** Session Expiry Interval meaning "never expires" (spec 3.1.2.11.2). */
export const SESSION_NEVER_EXPIRES = 0xffffffff;
const MAX_KEEPALIVE = 0xffff;
/** MQTT 3.1 allows client ids of at most 23 characters; random ids stay within that everywhere. */
const RANDOM_ID_CHARS = 15;

export function parseInteger(text: string, option: string, min: number, max: number): number {
  if (!/^-?\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new CliError('BAD_VALUE', `Error: Invalid ${option} value '${text}' (expected ${min} to ${max}).`);
  }
  return Number(text);
}

export function parseQos(text: string, option = 'QoS'): QoS {
  if (text !== '0' && text !== '1' && text !== '2') throw new CliError('BAD_VALUE', `Error: Invalid ${option} given: ${text}`);
  return Number(text) as QoS;
}

const VERSIONS: Readonly<Record<string, ProtocolVersion>> = { '31': 3, mqttv31: 3, '311': 4, mqttv311: 4, '5': 5, mqttv5: 5 };

function parseSessionExpiry(text: string): number {
  if (text === '-1' || text === '∞') return SESSION_NEVER_EXPIRES;
  return parseInteger(text, '-x', 0, SESSION_NEVER_EXPIRES);
}

function randomClientId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return `glassmq-${[...randomBytes(RANDOM_ID_CHARS)].map((b) => alphabet[b % alphabet.length]).join('')}`;
}

const TLS_KEYS = ['cafile', 'capath', 'cert', 'key', 'tlsVersion', 'tlsAlpn', 'insecure', 'tlsKeylog'] as const;

function resolveEndpoint(args: ParsedArgs, tls: boolean): { endpoint: Endpoint; urlTopic?: string; username?: string; password?: string } {
  const unix = args.values.get('unix');
  if (unix !== undefined) return { endpoint: { scheme: 'unix', host: 'localhost', port: 0, wsPath: DEFAULT_WS_PATH, socketPath: unix } };
  const urlText = args.values.get('url');
  const portText = args.values.get('port');
  const port = portText === undefined ? undefined : parseInteger(portText, 'port', 1, 65535);
  if (urlText !== undefined) {
    const u = parseBrokerUrl(urlText);
    // TLS options upgrade a plain URL, as they upgrade -h/-p (the port stays the URL's)
    const scheme = !tls ? u.scheme : u.scheme === 'mqtt' ? 'mqtts' : u.scheme === 'ws' ? 'wss' : u.scheme;
    const out: { endpoint: Endpoint; urlTopic?: string; username?: string; password?: string } = {
      endpoint: { scheme, host: u.host, port: u.port, wsPath: u.wsPath ?? DEFAULT_WS_PATH },
    };
    if (u.topic !== undefined) out.urlTopic = u.topic;
    if (u.username !== undefined) out.username = u.username;
    if (u.password !== undefined) out.password = u.password;
    return out;
  }
  const scheme = tls ? 'mqtts' : 'mqtt';
  return { endpoint: { scheme, host: args.values.get('host') ?? 'localhost', port: port ?? DEFAULT_PORT[scheme], wsPath: DEFAULT_WS_PATH } };
}

/** Validates the shared options; `defaultVersion` is 4 for pub/sub and 5 for rr (as mosquitto_rr). */
export function resolveConnection(args: ParsedArgs, defaultVersion: ProtocolVersion): ConnectionConfig {
  const v = args.values;
  const f = args.flags;
  const properties = parsePropertyArgs(args.properties);
  const protocolText = v.get('protocol');
  let version = defaultVersion;
  if (protocolText !== undefined) {
    const parsed = VERSIONS[protocolText.toLowerCase()];
    if (!parsed) throw new CliError('BAD_VALUE', 'Error: Invalid protocol version argument given.');
    version = parsed;
  } else if (args.properties.length > 0) {
    version = 5; // mosquitto: -D makes the client an MQTT v5 client
  }
  if (args.properties.length > 0 && version !== 5) {
    throw new CliError('BAD_COMBINATION', 'Error: -D properties need MQTT v5 (-V 5).');
  }

  const wantsTls = TLS_KEYS.some((k) => v.has(k) || f.has(k));
  const { endpoint, urlTopic, username: urlUser, password: urlPass } = resolveEndpoint(args, wantsTls);
  const usesTls = endpoint.scheme === 'mqtts' || endpoint.scheme === 'wss';

  if (v.has('id') && v.has('idPrefix')) throw new CliError('BAD_COMBINATION', 'Error: -i and -I argument cannot be used together.');
  const clean = !f.has('noClean');
  let clientId = v.get('id') ?? (v.has('idPrefix') ? `${v.get('idPrefix')}${process.pid}` : undefined);
  if (!clean && !clientId) throw new CliError('MISSING_OPTION', 'Error: You must provide a client id if you are using the -c option.');
  clientId ??= version === 5 ? '' : randomClientId(); // [MQTT-3.1.3-6] 5.0 servers assign one to an empty id

  let sessionExpiry: number | undefined;
  const expiryText = v.get('sessionExpiry');
  if (expiryText !== undefined) {
    if (version !== 5) throw new CliError('BAD_COMBINATION', 'Error: -x (session expiry interval) needs MQTT v5 (-V 5).');
    sessionExpiry = parseSessionExpiry(expiryText);
  } else if (version === 5) {
    sessionExpiry = clean ? undefined : SESSION_NEVER_EXPIRES;
  }
  if (version === 5 && sessionExpiry === SESSION_NEVER_EXPIRES && !clientId) {
    throw new CliError('MISSING_OPTION', 'Error: You must provide a client id if the session never expires.');
  }

  const keepalive = parseInteger(v.get('keepalive') ?? '60', 'keepalive', 0, MAX_KEEPALIVE);
  const username = v.get('username') ?? urlUser;
  const passwordText = v.get('password') ?? urlPass;
  if (passwordText !== undefined && username === undefined && version !== 5) {
    throw new CliError('BAD_COMBINATION', 'Error: A password was given without a user name (-u), which MQTT 3.x does not allow.'); // [MQTT-3.1.2-22]
  }

  const config: ConnectionConfig = {
    endpoint, version, clientId, clean, keepalive, properties,
    debug: f.has('debug'), hex: f.has('hex'), quiet: f.has('quiet'),
  };
  if (sessionExpiry !== undefined) config.sessionExpiry = sessionExpiry;
  if (username !== undefined) config.username = username;
  if (passwordText !== undefined) config.password = Buffer.from(passwordText, 'utf8');
  if (urlTopic !== undefined) config.urlTopic = urlTopic;
  const will = resolveWill(args, properties);
  if (will) config.will = will;
  if (usesTls) {
    config.tls = { insecure: f.has('insecure') };
    for (const k of ['cafile', 'capath', 'cert', 'key', 'tlsAlpn', 'tlsKeylog'] as const) {
      const value = v.get(k);
      if (value === undefined) continue;
      if (k === 'tlsAlpn') config.tls.alpn = value;
      else if (k === 'tlsKeylog') config.tls.keylog = value;
      else config.tls[k] = value;
    }
    const tlsVersion = v.get('tlsVersion');
    if (tlsVersion !== undefined) config.tls.version = parseTlsVersion(tlsVersion);
    if (!!config.tls.cert !== !!config.tls.key) {
      throw new CliError('BAD_COMBINATION', 'Error: Both certfile and keyfile must be provided if one of them is set.');
    }
  }
  return config;
}

function resolveWill(args: ParsedArgs, properties: PropertySet): Will | undefined {
  const v = args.values;
  const topic = v.get('willTopic');
  if (topic === undefined) {
    if (v.has('willPayload') || v.has('willQos') || args.flags.has('willRetain') || properties.will) {
      throw new CliError('MISSING_OPTION', 'Error: Will payload, QoS, retain or properties given, but no will topic given.');
    }
    return undefined;
  }
  if (!topic || /[+#]/.test(topic)) throw new CliError('BAD_VALUE', `Error: Invalid will topic '${topic}', does it contain '+' or '#'?`);
  const will: Will = {
    topic,
    payload: Buffer.from(v.get('willPayload') ?? '', 'utf8'),
    qos: parseQos(v.get('willQos') ?? '0', 'will QoS'),
    retain: args.flags.has('willRetain'),
  };
  if (properties.will) will.properties = properties.will;
  return will;
}
