// What each mosquitto.conf directive means to glassmq: where it applies (whole broker, the current listener,
// the security settings) and how its value is read. The reader (mosquitto-conf.ts) decides the scope.
import type { Directive } from './mosquitto-values.js';
import { bool, fail, int, oneOf, portAndAddress, readablePath, requireValue, word } from './mosquitto-values.js';
import { clusterUrl } from './redis-url.js'; // [cluster]
import {
  MAX_UINT16,
  MQTT_MAX_REMAINING_LENGTH,
  type GlassmqSettings,
  type ListenerSettings,
  type LogDest,
  type LogType,
  type MosquittoConfig,
  type SecuritySettings,
} from './mosquitto-conf-types.js';

type GlobalApply = (d: Directive, config: MosquittoConfig) => void;
type ListenerApply = (d: Directive, listener: ListenerSettings) => void;
type SecurityApply = (d: Directive, security: SecuritySettings) => void;

const LOG_TYPES: readonly LogType[] = ['error', 'warning', 'notice', 'information', 'debug', 'subscribe', 'unsubscribe', 'websockets', 'none', 'all'];
const LOG_DESTS = ['stderr', 'stdout', 'syslog', 'topic', 'dlt', 'none'] as const;
const INT32_MAX = 2_147_483_647;
const SECONDS_PER_DAY = 86_400;

function logDest(d: Directive): LogDest {
  const v = requireValue(d);
  if (v === 'file' || v.startsWith('file ')) {
    const path = v.slice('file'.length).trim();
    if (path === '') fail(d, 'MISSING_VALUE', "'log_dest file' needs a path");
    return { kind: 'file', path };
  }
  return { kind: oneOf(d, [...LOG_DESTS, 'file']) as (typeof LOG_DESTS)[number] };
}

const glassmq = (set: (g: GlassmqSettings, d: Directive) => void): GlobalApply => (d, c) => set(c.glassmq, d);

/** Directives that apply to the whole broker, wherever they appear. */
export const GLOBAL_DIRECTIVES: Record<string, GlobalApply> = {
  persistence: (d, c) => void (c.persistence = bool(d)),
  persistence_location: (d, c) => void (c.persistenceLocation = requireValue(d)),
  autosave_interval: (d, c) => {
    c.autosaveInterval = int(d, 0, INT32_MAX);
    c.notes.push(`${d.file}:${d.line}: autosave_interval accepted but not needed: glassmq commits every message as it arrives`);
  },
  max_keepalive: (d, c) => void (c.maxKeepalive = int(d, 0, MAX_UINT16)),
  max_packet_size: (d, c) => {
    const n = int(d, 0, MQTT_MAX_REMAINING_LENGTH);
    // a CONNECT alone needs more than 20 bytes; mosquitto refuses smaller limits too
    if (n !== 0 && n < 20) fail(d, 'OUT_OF_RANGE', `'max_packet_size' must be 0 (no limit) or at least 20, got ${n}`);
    c.maxPacketSize = n;
  },
  message_size_limit: (d, c) => void (c.messageSizeLimit = int(d, 0, MQTT_MAX_REMAINING_LENGTH)),
  max_inflight_messages: (d, c) => void (c.maxInflightMessages = int(d, 0, MAX_UINT16)),
  max_queued_messages: (d, c) => void (c.maxQueuedMessages = int(d, 0, INT32_MAX)),
  max_queued_bytes: (d, c) => void (c.maxQueuedBytes = int(d, 0, Number.MAX_SAFE_INTEGER)),
  retain_available: (d, c) => void (c.retainAvailable = bool(d)),
  sys_interval: (d, c) => void (c.sysInterval = int(d, 0, SECONDS_PER_DAY)),
  log_type: (d, c) => void c.logTypes.push(oneOf(d, LOG_TYPES)),
  log_dest: (d, c) => void c.logDest.push(logDest(d)),

  // glassmq's own settings, same syntax
  http_listener: glassmq((g, d) => {
    const { port, address } = portAndAddress(d, 0);
    g.httpListener = { port, address: address ?? '127.0.0.1' };
  }),
  http_token: glassmq((g, d) => {
    const token = word(d);
    if (token.length < 16) fail(d, 'BAD_VALUE', "'http_token' must be at least 16 characters");
    g.httpToken = token;
  }),
  capture_file: glassmq((g, d) => void (g.captureFile = requireValue(d))),
  capture_max_mb: glassmq((g, d) => void (g.captureMaxMb = int(d, 1, 1_048_576))),
  trace: glassmq((g, d) => void (g.trace = bool(d))),
  cluster: glassmq((g, d) => {
    const url = word(d);
    try {
      clusterUrl(url); // the same check as --cluster
    } catch (err) {
      fail(d, 'BAD_VALUE', `'cluster': ${(err as Error).message}`);
    }
    g.cluster = url;
  }),
  node_id: glassmq((g, d) => {
    const id = word(d);
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(id)) fail(d, 'BAD_VALUE', "'node_id' must be 1-64 of A-Z a-z 0-9 . _ -");
    g.nodeId = id;
  }),
  ws_ping: glassmq((g, d) => void (g.wsPing = int(d, 0, SECONDS_PER_DAY))),
  ws_path: glassmq((g, d) => {
    const path = word(d);
    if (!path.startsWith('/')) fail(d, 'BAD_VALUE', `'ws_path' must start with '/', got '${path}'`);
    g.wsPath = path;
  }),
  ws_origin: glassmq((g, d) => void (g.wsOrigin ??= []).push(word(d))),
  trust_proxy: glassmq((g, d) => void (g.trustProxy = bool(d))),
  proxy_protocol: glassmq((g, d) => void (g.proxyProtocol = bool(d))),
  tls_keylog: glassmq((g, d) => void (g.tlsKeylog = requireValue(d))),
  data_dir: glassmq((g, d) => void (g.dataDir = requireValue(d))),
  sync: glassmq((g, d) => void (g.sync = oneOf(d, ['normal', 'full'] as const))),
  // [security] the failed-login throttle (docs/security.md); 0 turns it off
  auth_fail_limit: glassmq((g, d) => void (g.authFailLimit = int(d, 0, INT32_MAX))),
  auth_fail_window: glassmq((g, d) => void (g.authFailWindow = int(d, 0, SECONDS_PER_DAY))),
  auth_lockout: glassmq((g, d) => void (g.authLockout = int(d, 0, SECONDS_PER_DAY))),
};

/** Directives that may appear more than once in one scope (each adds to a list). */
export const REPEATABLE = new Set(['log_type', 'log_dest', 'ws_origin', 'include_dir', 'listener']);

/** Directives of the current listener (the default listener before the first `listener` line). */
export const LISTENER_DIRECTIVES: Record<string, ListenerApply> = {
  protocol: (d, l) => void (l.protocol = oneOf(d, ['mqtt', 'websockets'] as const)),
  socket_domain: (d, l) => void (l.socketDomain = oneOf(d, ['ipv4', 'ipv6'] as const)),
  bind_interface: (d, l) => void (l.bindInterface = word(d)),
  certfile: (d, l) => void (l.certfile = readablePath(d, 'file')),
  keyfile: (d, l) => void (l.keyfile = readablePath(d, 'file')),
  cafile: (d, l) => void (l.cafile = readablePath(d, 'file')),
  capath: (d, l) => void (l.capath = readablePath(d, 'directory')),
  require_certificate: (d, l) => void (l.requireCertificate = bool(d)),
  use_identity_as_username: (d, l) => void (l.useIdentityAsUsername = bool(d)),
  use_subject_as_username: (d, l) => void (l.useSubjectAsUsername = bool(d)),
  tls_version: (d, l) => void (l.tlsVersion = oneOf(d, ['tlsv1.3', 'tlsv1.2', 'tlsv1.1'] as const)),
  max_connections: (d, l) => void (l.maxConnections = int(d, -1, INT32_MAX)),
};

/** allow_anonymous / password_file / acl_file: global, or the current listener's with per_listener_settings. */
export const SECURITY_DIRECTIVES: Record<string, SecurityApply> = {
  allow_anonymous: (d, s) => void (s.allowAnonymous = bool(d)),
  password_file: (d, s) => void (s.passwordFile = readablePath(d, 'file')),
  acl_file: (d, s) => void (s.aclFile = readablePath(d, 'file')),
};

/** mosquitto directives that change nothing glassmq does; accepted and reported. */
export const IGNORED_DIRECTIVES: Record<string, string> = {
  pid_file: 'glassmq writes no pid file',
  user: 'glassmq does not change user; run it as the user you want',
  log_timestamp: 'glassmq always timestamps its logs',
  log_timestamp_format: 'glassmq logs ISO 8601 timestamps',
  log_facility: 'glassmq does not log to syslog',
  connection_messages: 'glassmq always logs connections',
  websockets_log_level: 'glassmq has no libwebsockets',
  persistence_file: 'glassmq keeps its store in data_dir',
  set_tcp_nodelay: 'glassmq always sets TCP_NODELAY',
};

/** mosquitto directives with a meaning glassmq does not implement: refusing them beats ignoring them. */
const UNSUPPORTED = new Set([
  'auth_plugin', 'plugin', 'plugin_opt', 'global_plugin', 'psk_file', 'psk_hint', 'clientid_prefixes', 'mount_point',
  'http_dir', 'use_username_as_clientid', 'ciphers', 'ciphers_tls1.3', 'crlfile', 'dhparamfile', 'max_qos',
  'max_topic_alias', 'allow_zero_length_clientid', 'auto_id_prefix', 'check_retain_source', 'max_inflight_bytes',
  'persistent_client_expiration', 'queue_qos0_messages', 'upgrade_outgoing_qos', 'memory_limit',
  'allow_duplicate_messages', 'keyfile_password', 'websockets_headers_size', 'listener_allow_anonymous',
  'connection', 'address', 'addresses', 'topic', 'cleansession', 'local_clientid', 'remote_clientid',
  'remote_username', 'remote_password', 'notifications', 'try_private', 'restart_timeout', 'start_type',
]);

export function isUnsupported(name: string): boolean {
  return UNSUPPORTED.has(name) || /^(auth_opt_|plugin_opt_|bridge_|notification_|local_|remote_)/.test(name);
}
