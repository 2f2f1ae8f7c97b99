// The validated configuration of `glassmq broker`, with its defaults. Flags (broker-flags.ts) and, later, the
// config file and mosquitto.conf subset all produce this one shape; src/server builds a running broker from it.

export interface TcpListenerConfig {
  host: string;
  port: number;
}

export interface Config {
  /** TCP listeners to open. */
  tcp: TcpListenerConfig[];
  /** True when no listener flag was given and the default listeners are used (the broker says so on start). */
  defaultListeners: boolean;
  /** Keep all state in memory (--memory); otherwise it persists to SQLite in `dataDir`. */
  memory: boolean;
  /** [persistence] --data-dir; undefined = the default ($XDG_DATA_HOME/glassmq or ~/.local/share/glassmq). */
  dataDir: string | undefined;
  /** [persistence] --sync: normal survives a process crash, full also a power loss (fsync per commit). */
  sync: 'normal' | 'full';
  maxKeepalive: number;
  maxPacketSize: number;
  maxInflight: number;
  maxQueued: number;
  maxQueuedBytes: number;
  maxConnections: number;
  maxOutputBuffer: number;
  /** Seconds between $SYS updates; 0 = off. */
  sysInterval: number;
  /** One log line per packet. */
  verbose: boolean;
  /**
   * [dashboard] The HTTP listener (UI, JSON API, SSE, /metrics). undefined: part of the default listener set
   * (DEFAULT_HTTP_PORT on DEFAULT_HTTP_HOST), so it opens only when no listener flag was given; null: off.
   */
  http: HttpListenerConfig | null | undefined;
  // ---- [security] -c FILE, authentication and ACL (docs/security.md); optional so older Config literals still fit ----
  /** [security] -c / --config: the mosquitto.conf the settings below were read from. */
  configFile?: string;
  /** [security] --test-config: print the effective configuration and exit. */
  testConfig?: boolean;
  /** [security] allow_anonymous / password_file / acl_file (global; per listener with per_listener_settings). */
  security?: SecurityConfig;
  /** [security] listeners read from the configuration file, opened next to config.tcp (which is then empty unless flags add some). */
  listeners?: ListenerConfig[];
  /** [security] retain_available (5.0 Retain Available); default true. */
  retainAvailable?: boolean;
  /** [security] message_size_limit / --message-size-limit: largest PUBLISH or will payload; 0 or undefined = none. */
  maxPayloadSize?: number;
  /** [security] auth_fail_limit / auth_fail_window / auth_lockout (and flags); undefined fields keep the defaults. */
  authThrottle?: AuthThrottleConfig;
  /** [security] log_dest lines (undefined: stderr) and log_type lines (undefined: error, warning, notice, information). */
  logDest?: LogDestConfig[];
  logTypes?: string[];
  // ---- [trace] the live inspector (docs/trace.md); optional so older Config literals still fit ----
  /** [trace] --trace: print every packet with every field to stdout. */
  trace?: boolean;
  /** [trace] --show-secrets: passwords and authentication data unmasked in --trace. */
  showSecrets?: boolean;
  /** [trace] --capture FILE: write what crossed every listener as pcapng. */
  capture?: string;
  /** [trace] --capture-max-mb N: rotate the capture file every N MB (0 = never). */
  captureMaxMb?: number;
  // ---- [cluster] several processes as one broker on Redis (docs/cluster.md); optional so older literals still fit ----
  /** [cluster] --cluster URL [--node-id ID]; absent: a single node. */
  cluster?: ClusterConfig;
  // ---- [transport] ws / tls / wss / unix listener flags (docs/transport.md); optional so older literals still fit ----
  /** [transport] the raw transport flags; transport-flags.ts turns them (with `tcp`) into ListenerConfig entries. */
  transport?: TransportFlags;
}

/** [transport] `glassmq broker` transport flags as given; resolved by flagListeners() in transport-flags.ts. */
export interface TransportFlags {
  /** --host: every flag listener binds it (config.tcp carries it too). */
  host?: string;
  wsPort?: number;
  wsPath?: string;
  wsOrigins?: string[];
  trustProxy?: boolean;
  wsPing?: number;
  tlsPort?: number;
  wssPort?: number;
  cert?: string;
  key?: string;
  ca?: string;
  /** [security] --capath DIR. */
  capath?: string;
  requireCertificate?: boolean;
  useIdentityAsUsername?: boolean;
  tlsMinVersion?: 'tlsv1.2' | 'tlsv1.3';
  /** --tls-keylog; the server falls back to SSLKEYLOGFILE. */
  tlsKeylog?: string;
  unix?: string;
  proxyProtocol?: boolean;
}

/** [cluster] Where the cluster's Redis is and this node's name in it. */
export interface ClusterConfig {
  /** redis://[user:password@]host:port[/db] (or rediss://). */
  url: string;
  /** undefined: HOSTNAME-PID, chosen at start. */
  nodeId: string | undefined;
}

/** [security] The failed-login throttle: `limit` failures within `windowS` seconds lock the address out for `lockoutS`; any 0 = off. */
export interface AuthThrottleConfig {
  limit?: number;
  windowS?: number;
  lockoutS?: number;
}

/** [security] One log_dest line. */
export type LogDestConfig = { kind: 'stderr' | 'stdout' | 'syslog' | 'topic' | 'dlt' | 'none' } | { kind: 'file'; path: string };

/** [security] Who may connect and what they may do. undefined fields: not set (see docs/security.md for the defaults). */
export interface SecurityConfig {
  allowAnonymous?: boolean;
  passwordFile?: string;
  aclFile?: string;
}

/** [security] One listener from mosquitto.conf (`listener PORT [ADDRESS]` and the options after it). */
export interface ListenerConfig {
  protocol: 'mqtt' | 'websockets';
  /** undefined: every interface (mosquitto's `listener PORT` without an address). */
  host: string | undefined;
  port: number;
  /** A unix socket (`listener 0 PATH`). */
  path?: string;
  socketDomain?: 'ipv4' | 'ipv6';
  bindInterface?: string;
  tls?: { certFile: string; keyFile: string; caFile?: string; capath?: string; requireCertificate: boolean; minVersion?: 'tlsv1.3' | 'tlsv1.2' | 'tlsv1.1'; keylog?: string };
  /** websockets listeners: glassmq's ws_path, ws_origin, trust_proxy, ws_ping. */
  ws?: { path?: string; origins?: string[]; trustProxy?: boolean; pingSeconds?: number };
  /** mqtt listeners: glassmq's proxy_protocol. */
  proxyProtocol?: boolean;
  /** use_identity_as_username / use_subject_as_username. */
  certificateUsername?: 'identity' | 'subject';
  /** -1: unlimited (mosquitto's meaning). */
  maxConnections: number;
  /** Only with per_listener_settings true: this listener's own settings. */
  security?: SecurityConfig;
  /** FILE:LINE of the `listener` line, for messages; [transport] the flag (`--ws-port` ...) for flag and default listeners. */
  source: string;
}

/** [dashboard] --http-port / --http-host / --http-token. */
export interface HttpListenerConfig {
  host: string;
  port: number;
  /** Required when host is not a loopback address; generated at start when absent there. */
  token: string | undefined;
}

export const DEFAULT_HTTP_HOST = '127.0.0.1';
export const DEFAULT_HTTP_PORT = 18083;

export const DEFAULT_TCP_HOST = '127.0.0.1';
export const DEFAULT_TCP_PORT = 1883;
/** [transport] the default listener set's other ports (the same as src/transport DEFAULT_LISTENER_PORTS). */
export const DEFAULT_WS_PORT = 8083;
export const DEFAULT_TLS_PORT = 8883;
export const DEFAULT_WSS_PORT = 8084;

/** Defaults; the broker core keeps the same limits (test/broker/limits.test.ts checks they agree). */
export const DEFAULT_CONFIG: Readonly<Config> = {
  tcp: [{ host: DEFAULT_TCP_HOST, port: DEFAULT_TCP_PORT }],
  defaultListeners: true,
  memory: false, // [persistence] persistent by default (issue 7)
  dataDir: undefined,
  sync: 'normal',
  maxKeepalive: 65_535,
  maxPacketSize: 1_048_576,
  maxInflight: 20,
  maxQueued: 1000,
  maxQueuedBytes: 16_777_216,
  maxConnections: 100_000,
  maxOutputBuffer: 1_048_576,
  sysInterval: 10,
  verbose: false,
  http: undefined, // [dashboard]
};

export function defaultConfig(): Config {
  return { ...DEFAULT_CONFIG, tcp: DEFAULT_CONFIG.tcp.map((l) => ({ ...l })) };
}
