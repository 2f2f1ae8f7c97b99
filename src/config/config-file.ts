// `glassmq broker -c FILE`: a mosquitto.conf turned into the broker's Config, command-line flags layered over it,
// the anonymous-access default (as mosquitto 2: anonymous only on local-only listeners), and the effective
// configuration as mosquitto.conf text for --test-config. Errors stay ConfigError (FILE:LINE) and FlagError.
import { BROKER_FLAGS, parseBrokerFlags } from './broker-flags.js';
import { defaultConfig, type Config, type ListenerConfig, type SecurityConfig } from './config.js';
import { parseMosquittoConf, readMosquittoConf, renderMosquittoConfig } from './mosquitto-conf.js';
import { flagListeners } from './transport-flags.js';
import type { ListenerSettings, MosquittoConfig, SecuritySettings } from './mosquitto-conf-types.js';

/** Largest packet MQTT can carry (4-byte remaining length + fixed header): mosquitto's `max_packet_size 0`. */
const UNLIMITED_PACKET_SIZE = 268_435_460;
/** mosquitto's 0 = "no limit" for counts and bytes, as the largest value glassmq's limits take. */
const UNLIMITED_INFLIGHT = 65_535;
const UNLIMITED_QUEUED = 0xffffffff;
const UNLIMITED_BYTES = Number.MAX_SAFE_INTEGER;
const NO_KEEPALIVE_LIMIT = 65_535;
/** Where flag-made listeners say they come from. */
const COMMAND_LINE = '<command line>';

export type LoadResult = { help: true } | { help: false; config: Config; file: MosquittoConfig | undefined };

/**
 * Flags, then (with -c) the file read into a base Config and the flags parsed again over it, so a flag always
 * wins. Throws FlagError for flags and ConfigError (`FILE:LINE: ...`) for the file.
 */
export function loadBrokerConfig(argv: readonly string[]): LoadResult {
  const first = parseBrokerFlags(argv);
  if (first.help || first.config.configFile === undefined) return first.help ? first : { ...first, file: undefined };
  const file = readMosquittoConf(first.config.configFile);
  file.notes.push(...partlySupported(file));
  const again = parseBrokerFlags(argv, BROKER_FLAGS, configFromMosquitto(file));
  return again.help ? again : { help: false, config: again.config, file };
}

/** Settings read but not (fully) applied, said at start and by --test-config rather than silently dropped. */
function partlySupported(m: MosquittoConfig): string[] {
  const notes: string[] = [];
  if (m.glassmq.nodeId !== undefined && m.glassmq.cluster === undefined) notes.push('node_id ignored: no cluster line');
  // [security] message_size_limit, log_dest and log_type are applied now; what remains is said by server/log-config.ts
  for (const l of m.listeners) {
    if (l.tlsVersion !== 'tlsv1.1') continue;
    // tested: Node 20's OpenSSL 3 completes a TLS 1.1 handshake only at SECLEVEL=0, which would weaken every connection
    notes.push(`${l.source.file}:${l.source.line}: tls_version tlsv1.1: glassmq accepts TLS 1.2 and 1.3 only (Node's OpenSSL 3 refuses TLS 1.1 at its default security level)`);
  }
  return notes;
}

/** What a mosquitto.conf sets, over glassmq's defaults. Settings it leaves out keep glassmq's default. */
export function configFromMosquitto(m: MosquittoConfig): Config {
  const c = defaultConfig();
  c.configFile = m.files[0];
  c.security = { ...m.security };
  if (m.listeners.length > 0) {
    // the file's listeners replace the default set (listener flags may still add their own)
    c.tcp = [];
    c.defaultListeners = false;
    c.listeners = m.listeners.map((l) => listenerConfig(l, m));
  }
  if (m.persistence !== undefined) c.memory = !m.persistence;
  if (m.persistenceLocation !== undefined) c.dataDir = m.persistenceLocation;
  if (m.glassmq.dataDir !== undefined) c.dataDir = m.glassmq.dataDir; // glassmq's own name wins
  if (m.glassmq.sync !== undefined) c.sync = m.glassmq.sync;
  if (m.maxKeepalive !== undefined) c.maxKeepalive = m.maxKeepalive === 0 ? NO_KEEPALIVE_LIMIT : m.maxKeepalive;
  if (m.maxPacketSize !== undefined) c.maxPacketSize = m.maxPacketSize === 0 ? UNLIMITED_PACKET_SIZE : m.maxPacketSize;
  if (m.maxInflightMessages !== undefined) c.maxInflight = m.maxInflightMessages === 0 ? UNLIMITED_INFLIGHT : m.maxInflightMessages;
  if (m.maxQueuedMessages !== undefined) c.maxQueued = m.maxQueuedMessages === 0 ? UNLIMITED_QUEUED : m.maxQueuedMessages;
  if (m.maxQueuedBytes !== undefined) c.maxQueuedBytes = m.maxQueuedBytes === 0 ? UNLIMITED_BYTES : m.maxQueuedBytes;
  if (m.retainAvailable !== undefined) c.retainAvailable = m.retainAvailable;
  if (m.sysInterval !== undefined) c.sysInterval = m.sysInterval;
  // mosquitto -v is `log_type all`; debug is where mosquitto logs every packet
  if (m.logTypes.includes('all') || m.logTypes.includes('debug')) c.verbose = true;
  // [security] message_size_limit (broker core maxPayloadSize), log_dest / log_type (server/log-config.ts), throttle
  if (m.messageSizeLimit !== undefined) c.maxPayloadSize = m.messageSizeLimit;
  if (m.logDest.length > 0) c.logDest = m.logDest.map((d) => ({ ...d }));
  if (m.logTypes.length > 0) c.logTypes = [...m.logTypes];
  const g = m.glassmq;
  if (g.authFailLimit !== undefined || g.authFailWindow !== undefined || g.authLockout !== undefined) {
    c.authThrottle = {};
    if (g.authFailLimit !== undefined) c.authThrottle.limit = g.authFailLimit;
    if (g.authFailWindow !== undefined) c.authThrottle.windowS = g.authFailWindow;
    if (g.authLockout !== undefined) c.authThrottle.lockoutS = g.authLockout;
  }
  if (g.httpListener) c.http = { host: g.httpListener.address, port: g.httpListener.port, token: g.httpToken };
  if (g.trace !== undefined) c.trace = g.trace;
  if (g.captureFile !== undefined) c.capture = g.captureFile;
  if (g.captureMaxMb !== undefined) c.captureMaxMb = g.captureMaxMb;
  if (g.cluster !== undefined) c.cluster = { url: g.cluster, nodeId: g.nodeId };
  return c;
}

function listenerConfig(l: ListenerSettings, m: MosquittoConfig): ListenerConfig {
  const g = m.glassmq;
  const unix = l.port === 0 && l.bindAddress !== undefined;
  const out: ListenerConfig = {
    protocol: l.protocol,
    host: unix ? undefined : l.bindAddress,
    port: l.port,
    maxConnections: l.maxConnections ?? -1,
    source: `${l.source.file}:${l.source.line}`,
  };
  if (unix) out.path = l.bindAddress;
  if (l.socketDomain) out.socketDomain = l.socketDomain;
  if (l.bindInterface) out.bindInterface = l.bindInterface;
  if (l.certfile !== undefined && l.keyfile !== undefined) {
    out.tls = { certFile: l.certfile, keyFile: l.keyfile, requireCertificate: l.requireCertificate ?? false };
    if (l.cafile !== undefined) out.tls.caFile = l.cafile;
    if (l.capath !== undefined) out.tls.capath = l.capath;
    if (l.tlsVersion !== undefined) out.tls.minVersion = l.tlsVersion;
    if (g.tlsKeylog !== undefined) out.tls.keylog = g.tlsKeylog;
  }
  if (l.protocol === 'websockets') {
    out.ws = {};
    if (g.wsPath !== undefined) out.ws.path = g.wsPath;
    if (g.wsOrigin !== undefined && !g.wsOrigin.includes('*')) out.ws.origins = [...g.wsOrigin];
    if (g.trustProxy !== undefined) out.ws.trustProxy = g.trustProxy;
    if (g.wsPing !== undefined) out.ws.pingSeconds = g.wsPing;
  } else if (g.proxyProtocol && !unix) {
    out.proxyProtocol = true;
  }
  if (l.useIdentityAsUsername) out.certificateUsername = 'identity';
  if (l.useSubjectAsUsername) out.certificateUsername = 'subject';
  // per_listener_settings: a listener without its own lines has mosquitto's defaults, not the global ones
  if (m.perListenerSettings) out.security = { ...l.security };
  return out;
}

// ---- who may connect without a user name ---------------------------------------------------------------------

const isLoopback = (host: string | undefined): boolean =>
  host !== undefined && (host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host));

/**
 * The security settings in force on one listener (a file listener, or undefined for the flag/default TCP
 * listeners), with allow_anonymous resolved as mosquitto 2 does unless it is set: anonymous clients are allowed
 * only when no listener comes from the file (mosquitto's "local only mode"), every flag or default listener is
 * bound to a loopback address or is a unix socket, and there is no password file (glassmq is stricter: naming a password file means
 * "ask for passwords"). Flags (config.security) override a listener's own settings.
 */
export function listenerSecurity(config: Config, listener?: ListenerConfig): Required<Pick<SecurityConfig, 'allowAnonymous'>> & SecurityConfig {
  const s: SecurityConfig = listener?.security ? { ...listener.security, ...definedOnly(config.security) } : { ...config.security };
  if (s.allowAnonymous !== undefined) return { ...s, allowAnonymous: s.allowAnonymous };
  const fromFile = (config.listeners?.length ?? 0) > 0;
  // every flag or default listener (tcp, ws, tls, wss, unix) must be local; a unix socket is
  const localOnly = !fromFile && flagListeners(config).every((l) => l.path !== undefined || isLoopback(l.host));
  return { ...s, allowAnonymous: localOnly && s.passwordFile === undefined };
}

/** With per_listener_settings, only what the flags set overrides a listener's own lines. */
function definedOnly(s: SecurityConfig | undefined): SecurityConfig {
  const out: SecurityConfig = {};
  if (s?.allowAnonymous !== undefined) out.allowAnonymous = s.allowAnonymous;
  if (s?.passwordFile !== undefined) out.passwordFile = s.passwordFile;
  if (s?.aclFile !== undefined) out.aclFile = s.aclFile;
  return out;
}

/** True when per_listener_settings is in force (every file listener then carries its own settings). */
export function perListenerSettings(config: Config): boolean {
  return (config.listeners ?? []).some((l) => l.security !== undefined);
}

// ---- --test-config ---------------------------------------------------------------------------------------------

function securitySettings(s: SecurityConfig): SecuritySettings {
  return definedOnly(s);
}

/**
 * The effective configuration as mosquitto.conf text: the file's settings with the flags applied and glassmq's
 * defaults written out (they differ from mosquitto's, e.g. max_packet_size), so what is printed is what runs.
 */
export function renderEffectiveConfig(config: Config, file: MosquittoConfig | undefined, options: { showSecrets?: boolean } = {}): string {
  const m: MosquittoConfig = file ? structuredClone(file) : parseMosquittoConf('', COMMAND_LINE);
  if (!file) m.files = [COMMAND_LINE];
  else m.files = [...m.files, COMMAND_LINE];
  m.persistence = !config.memory;
  if (config.dataDir !== undefined) m.glassmq.dataDir = config.dataDir;
  m.glassmq.sync = config.sync;
  m.maxKeepalive = config.maxKeepalive;
  m.maxPacketSize = config.maxPacketSize >= UNLIMITED_PACKET_SIZE ? 0 : config.maxPacketSize;
  m.maxInflightMessages = config.maxInflight;
  m.maxQueuedMessages = config.maxQueued;
  m.maxQueuedBytes = config.maxQueuedBytes;
  m.retainAvailable = config.retainAvailable ?? true;
  m.sysInterval = config.sysInterval;
  m.messageSizeLimit = config.maxPayloadSize ?? 0; // [security]
  if (config.authThrottle?.limit !== undefined) m.glassmq.authFailLimit = config.authThrottle.limit; // [security] flags over the file
  if (config.authThrottle?.windowS !== undefined) m.glassmq.authFailWindow = config.authThrottle.windowS;
  if (config.authThrottle?.lockoutS !== undefined) m.glassmq.authLockout = config.authThrottle.lockoutS;
  if (config.verbose && !m.logTypes.includes('all')) m.logTypes.push('all');
  if (config.http) {
    m.glassmq.httpListener = { port: config.http.port, address: config.http.host };
    if (config.http.token !== undefined) m.glassmq.httpToken = config.http.token;
  }
  if (config.trace !== undefined) m.glassmq.trace = config.trace;
  if (config.capture !== undefined) m.glassmq.captureFile = config.capture;
  if (config.captureMaxMb !== undefined) m.glassmq.captureMaxMb = config.captureMaxMb;
  if (config.cluster) {
    m.glassmq.cluster = options.showSecrets ? config.cluster.url : maskUrlPassword(config.cluster.url);
    if (config.cluster.nodeId !== undefined) m.glassmq.nodeId = config.cluster.nodeId;
  }
  if (perListenerSettings(config)) {
    m.listeners.forEach((l, i) => {
      const own = config.listeners?.[i];
      if (own) l.security = securitySettings(listenerSecurity(config, own));
    });
  } else {
    m.security = securitySettings(listenerSecurity(config));
  }
  for (const l of flagListeners(config)) m.listeners.push(listenerSettings(l));
  return renderMosquittoConfig(m, options);
}

/** A flag or default listener as mosquitto.conf settings (the reverse of listenerConfig). */
function listenerSettings(l: ListenerConfig): ListenerSettings {
  const out: ListenerSettings = { source: { file: COMMAND_LINE, line: 0 }, isDefault: false, port: l.port, protocol: l.protocol };
  const address = l.path ?? l.host;
  if (address !== undefined) out.bindAddress = address;
  if (l.tls) {
    out.certfile = l.tls.certFile;
    out.keyfile = l.tls.keyFile;
    if (l.tls.caFile !== undefined) out.cafile = l.tls.caFile;
    if (l.tls.capath !== undefined) out.capath = l.tls.capath; // [security] --capath
    if (l.tls.requireCertificate) out.requireCertificate = true;
    if (l.tls.minVersion !== undefined) out.tlsVersion = l.tls.minVersion;
  }
  if (l.certificateUsername === 'identity') out.useIdentityAsUsername = true;
  if (l.certificateUsername === 'subject') out.useSubjectAsUsername = true;
  if (l.maxConnections >= 0) out.maxConnections = l.maxConnections;
  return out;
}

/** redis://user:secret@host -> redis://user:********@host (--test-config without --show-secrets). */
function maskUrlPassword(url: string): string {
  return url.replace(/^(rediss?(?:-sentinel|-cluster)?:\/\/[^:@/]*:)[^@/]*@/, '$1********@'); // [cluster] every URL form
}
