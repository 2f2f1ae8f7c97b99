// The typed result of reading a mosquitto.conf (plus glassmq's own directives in the same syntax).
// A field is undefined when the file did not set it, so command-line flags and glassmq's defaults can be
// layered over it; MOSQUITTO_DEFAULTS lists what mosquitto would use instead, for --test-config.
import type { SourceLocation } from './config-error.js';

export type LogType = 'error' | 'warning' | 'notice' | 'information' | 'debug' | 'subscribe' | 'unsubscribe' | 'websockets' | 'none' | 'all';
export type LogDest = { kind: 'stderr' | 'stdout' | 'syslog' | 'topic' | 'dlt' | 'none' } | { kind: 'file'; path: string };

/** allow_anonymous / password_file / acl_file: global, or per listener with `per_listener_settings true`. */
export interface SecuritySettings {
  allowAnonymous?: boolean;
  passwordFile?: string;
  aclFile?: string;
}

export interface ListenerSettings {
  /** Where the `listener` line is (for the default listener: the first `port`/`bind_address` line). */
  source: SourceLocation;
  /** The mosquitto "default listener" made by `port` / `bind_address` and options before any `listener`. */
  isDefault: boolean;
  /** 0 with `bindAddress` = a unix socket at that path. */
  port: number;
  bindAddress?: string;
  protocol: 'mqtt' | 'websockets';
  socketDomain?: 'ipv4' | 'ipv6';
  bindInterface?: string;
  certfile?: string;
  keyfile?: string;
  cafile?: string;
  capath?: string;
  requireCertificate?: boolean;
  useIdentityAsUsername?: boolean;
  useSubjectAsUsername?: boolean;
  tlsVersion?: 'tlsv1.3' | 'tlsv1.2' | 'tlsv1.1';
  /** -1 = unlimited (mosquitto's meaning). */
  maxConnections?: number;
  /** Only with per_listener_settings true. */
  security?: SecuritySettings;
}

export interface GlassmqSettings {
  httpListener?: { port: number; address: string };
  httpToken?: string;
  captureFile?: string;
  captureMaxMb?: number;
  trace?: boolean;
  cluster?: string;
  nodeId?: string;
  /** Seconds between WebSocket pings; 0 = off. */
  wsPing?: number;
  wsPath?: string;
  wsOrigin?: string[];
  trustProxy?: boolean;
  proxyProtocol?: boolean;
  tlsKeylog?: string;
  dataDir?: string;
  sync?: 'normal' | 'full';
  /** [security] The failed-login throttle: failures, window (s), lockout (s); 0 = off. */
  authFailLimit?: number;
  authFailWindow?: number;
  authLockout?: number;
}

export interface MosquittoConfig {
  /** Every file read, in order: the main file, then include_dir files. */
  files: string[];
  perListenerSettings: boolean;
  /** Global security settings (all of them when per_listener_settings is false). */
  security: SecuritySettings;
  listeners: ListenerSettings[];
  persistence?: boolean;
  persistenceLocation?: string;
  autosaveInterval?: number;
  maxKeepalive?: number;
  maxPacketSize?: number;
  messageSizeLimit?: number;
  maxInflightMessages?: number;
  maxQueuedMessages?: number;
  maxQueuedBytes?: number;
  retainAvailable?: boolean;
  sysInterval?: number;
  logTypes: LogType[];
  logDest: LogDest[];
  glassmq: GlassmqSettings;
  /** Accepted directives glassmq does not need or ignores, said once each at start and by --test-config. */
  notes: string[];
}

/** mosquitto 2.0's values for what the file leaves unset (mosquitto.conf(5)). */
export const MOSQUITTO_DEFAULTS = {
  port: 1883,
  allowAnonymous: false,
  persistence: false,
  autosaveInterval: 1800,
  maxKeepalive: 65535,
  maxPacketSize: 0,
  messageSizeLimit: 0,
  maxInflightMessages: 20,
  maxQueuedMessages: 1000,
  maxQueuedBytes: 0,
  maxConnections: -1,
  retainAvailable: true,
  sysInterval: 10,
  httpListenerAddress: '127.0.0.1',
} as const;

/** MQTT's largest Remaining Length (and so packet payload). */
export const MQTT_MAX_REMAINING_LENGTH = 268_435_455;
export const MAX_PORT = 65_535;
export const MAX_UINT16 = 65_535;
