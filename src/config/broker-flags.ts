// `glassmq broker` flags: a table of flag specs (later helpers add --ws-port, --tls-port, --cert, -c ... by
// adding rows), parsed into a validated Config. Errors are values naming the flag.
import { defaultConfig, DEFAULT_HTTP_HOST, DEFAULT_HTTP_PORT, DEFAULT_TCP_PORT, type AuthThrottleConfig, type Config, type HttpListenerConfig } from './config.js'; // [security] AuthThrottleConfig
import { TRANSPORT_FLAGS, transportFlagProblem } from './transport-flags.js'; // [transport] ws, tls, wss, unix
import { clusterUrl } from './redis-url.js'; // [cluster] standalone, Sentinel or Redis Cluster

export type FlagErrorCode = 'UNKNOWN_FLAG' | 'MISSING_VALUE' | 'BAD_VALUE';

export class FlagError extends Error {
  override readonly name = 'FlagError';
  constructor(
    readonly code: FlagErrorCode,
    /** The flag as the user wrote it, e.g. '--port'. */
    readonly flag: string,
    detail: string,
  ) {
    super(`${flag}: ${detail}`);
  }
}

export interface FlagSpec {
  /** Long name, e.g. '--port'. */
  name: string;
  short?: string;
  /** Placeholder shown in --help; absent for switches. */
  arg?: string;
  help: string;
  /** Whether this flag names a listener (any listener flag turns the default listeners off). */
  listener?: boolean;
  /** Stores the value (already a string, or true for switches) into the config; throws a message on a bad value. */
  apply(config: Config, value: string | true, seen: ReadonlySet<string>): void;
}

/** An integer in [min, max], or the message explaining why not. */
export function parseInteger(value: string, min: number, max: number): number {
  if (!/^\d+$/.test(value)) throw new Error(`expected an integer from ${min} to ${max}, got "${value}"`);
  const n = Number(value);
  if (n < min || n > max) throw new Error(`expected an integer from ${min} to ${max}, got ${value}`);
  return n;
}

const MAX_U32 = 0xffffffff;
const MAX_PORT = 65_535;
const MIN_PACKET = 16;
const PROTOCOL_MAX_PACKET_SIZE = 268_435_460;

function intFlag(name: string, key: keyof Config, arg: string, help: string, min: number, max: number): FlagSpec {
  return {
    name,
    arg,
    help,
    apply(config, value) {
      (config[key] as number) = parseInteger(value as string, min, max);
    },
  };
}

/** [security] One setting of the failed-login throttle. */
function throttleFlag(name: string, key: keyof AuthThrottleConfig, arg: string, help: string): FlagSpec {
  return {
    name,
    arg,
    help,
    apply(config, value) {
      config.authThrottle = { ...config.authThrottle, [key]: parseInteger(value as string, 0, MAX_U32) };
    },
  };
}

export const BROKER_FLAGS: FlagSpec[] = [
  {
    name: '--host',
    arg: 'ADDR',
    help: 'address of every MQTT listener (default 127.0.0.1; 0.0.0.0 accepts remote clients)',
    apply(config, value) {
      if (value === '' || /\s/.test(value as string)) throw new Error(`expected a host name or address, got "${value}"`);
      for (const l of config.tcp) l.host = value as string;
      (config.transport ??= {}).host = value as string; // [transport] ws, tls, wss bind it too
    },
  },
  {
    name: '--port',
    short: '-p',
    arg: 'N',
    listener: true,
    help: `TCP listener port (default ${DEFAULT_TCP_PORT}; 0 = any free port)`,
    apply(config, value) {
      const port = parseInteger(value as string, 0, MAX_PORT);
      config.tcp = [{ host: config.tcp[0]?.host ?? defaultConfig().tcp[0]!.host, port }];
    },
  },
  {
    name: '--memory',
    help: 'keep all state in memory (lost on exit) instead of the SQLite store',
    apply(config) {
      config.memory = true;
    },
  },
  // [persistence] where and how durably the SQLite store writes (docs/persistence.md)
  {
    name: '--data-dir',
    arg: 'DIR',
    help: 'directory of the SQLite store (default $XDG_DATA_HOME/glassmq, else ~/.local/share/glassmq)',
    apply(config, value) {
      if (value === '') throw new Error('expected a directory');
      config.dataDir = value as string;
    },
  },
  {
    name: '--sync',
    arg: 'normal|full',
    help: 'normal: nothing acknowledged is lost if the process dies (default); full: nor on power loss (fsync per commit)',
    apply(config, value) {
      if (value !== 'normal' && value !== 'full') throw new Error(`expected normal or full, got "${value}"`);
      config.sync = value;
    },
  },
  intFlag('--max-keepalive', 'maxKeepalive', 'S', 'largest keepalive a client may use, seconds (5.0: Server Keep Alive; 3.x: refused)', 1, MAX_PORT),
  intFlag('--max-packet-size', 'maxPacketSize', 'BYTES', 'largest packet accepted from a client', MIN_PACKET, PROTOCOL_MAX_PACKET_SIZE),
  intFlag('--max-inflight', 'maxInflight', 'N', 'unacknowledged QoS 1/2 messages per client, both ways (Receive Maximum)', 1, MAX_PORT),
  intFlag('--max-queued', 'maxQueued', 'N', 'QoS 1/2 messages queued per session beyond the inflight window', 0, MAX_U32),
  intFlag('--max-queued-bytes', 'maxQueuedBytes', 'BYTES', 'payload bytes queued per session', 0, Number.MAX_SAFE_INTEGER),
  intFlag('--max-connections', 'maxConnections', 'N', 'simultaneous connections', 1, MAX_U32),
  intFlag('--max-output-buffer', 'maxOutputBuffer', 'BYTES', "unsent bytes per connection before QoS 0 is dropped and QoS 1/2 queued", 1, Number.MAX_SAFE_INTEGER),
  intFlag('--sys-interval', 'sysInterval', 'S', 'seconds between $SYS updates (0 = off)', 0, MAX_U32),
  // [dashboard] the HTTP listener (docs/dashboard.md); any of these opens it even when MQTT listener flags are given
  {
    name: '--http-port',
    arg: 'N|off',
    help: `HTTP listener for the dashboard, JSON API and /metrics (default ${DEFAULT_HTTP_PORT} with the default listeners; 0 = any free port; off = none)`,
    apply(config, value) {
      if (value === 'off') {
        config.http = null;
        return;
      }
      httpListener(config).port = parseInteger(value as string, 0, MAX_PORT);
      config.defaultListeners = false; // [transport] a listener flag: only the listeners named open
    },
  },
  {
    name: '--http-host',
    arg: 'ADDR',
    help: `address of the HTTP listener (default ${DEFAULT_HTTP_HOST}; any other address requires a token)`,
    apply(config, value) {
      if (value === '' || /\s/.test(value as string)) throw new Error(`expected a host name or address, got "${value}"`);
      httpListener(config).host = value as string;
    },
  },
  {
    name: '--http-token',
    arg: 'T',
    help: 'token the HTTP API requires (Authorization: Bearer T or ?token=T); generated and printed when bound beyond loopback without one',
    apply(config, value) {
      if ((value as string).length === 0) throw new Error('expected a non-empty token');
      httpListener(config).token = value as string;
    },
  },
  {
    name: '--verbose',
    short: '-v',
    help: 'log one line per packet (like mosquitto -v)',
    apply(config) {
      config.verbose = true;
    },
  },
  // [trace] the live inspector (docs/trace.md)
  {
    name: '--trace',
    help: 'print every packet as it crosses, with every field and property, the TLS and WebSocket layers, and a flow summary per connection',
    apply(config) {
      config.trace = true;
    },
  },
  {
    name: '--show-secrets',
    help: 'show passwords and authentication data in --trace (masked otherwise)',
    apply(config) {
      config.showSecrets = true;
    },
  },
  {
    name: '--capture',
    arg: 'FILE',
    help: 'write what crosses every listener to FILE as pcapng (TLS with its key log inside, so Wireshark decrypts it)',
    apply(config, value) {
      if (value === '') throw new Error('expected a file name');
      config.capture = value as string;
    },
  },
  {
    name: '--capture-max-mb',
    arg: 'N',
    help: 'start a new capture file (FILE-1.pcapng, FILE-2.pcapng, ...) every N MB (default: one file)',
    apply(config, value) {
      config.captureMaxMb = parseInteger(value as string, 1, MAX_U32);
    },
  },
  // [cluster] several glassmq processes as one broker on Redis (docs/cluster.md)
  {
    name: '--cluster',
    arg: 'URL',
    help: 'join the cluster on this Redis (redis://HOST:PORT, redis-sentinel://HOST:PORT,.../MASTER or redis-cluster://HOST:PORT,...); every node given the same URL acts as one broker',
    apply(config, value) {
      clusterUrl(value as string); // the same check as the config file's `cluster`
      (config.cluster ??= { url: '', nodeId: undefined }).url = value as string;
    },
  },
  {
    name: '--node-id',
    arg: 'ID',
    help: "this node's name in the cluster (letters, digits, . _ -; default HOSTNAME-PID)",
    apply(config, value) {
      if (!/^[A-Za-z0-9._-]+$/.test(value as string)) throw new Error(`expected letters, digits, . _ or -, got "${value}"`);
      (config.cluster ??= { url: '', nodeId: undefined }).nodeId = value as string;
    },
  },
  // [security] mosquitto.conf, password and ACL files (docs/security.md); the file is read in config/load-broker-config.ts
  {
    name: '--config',
    short: '-c',
    arg: 'FILE',
    help: 'read settings from a mosquitto.conf (flags override it)',
    apply(config, value) {
      if (value === '') throw new Error('expected a file');
      config.configFile = value as string;
    },
  },
  {
    name: '--test-config',
    help: 'print the effective configuration (as mosquitto.conf) and exit',
    apply(config) {
      config.testConfig = true;
    },
  },
  {
    name: '--password-file',
    arg: 'FILE',
    help: 'mosquitto password file (user:$7$... lines; see glassmq passwd)',
    apply(config, value) {
      if (value === '') throw new Error('expected a file');
      (config.security ??= {}).passwordFile = value as string;
    },
  },
  {
    name: '--acl-file',
    arg: 'FILE',
    help: 'mosquitto ACL file (topic / user / pattern lines)',
    apply(config, value) {
      if (value === '') throw new Error('expected a file');
      (config.security ??= {}).aclFile = value as string;
    },
  },
  {
    name: '--allow-anonymous',
    arg: 'true|false',
    help: 'accept clients without a user name (default: only on local-only listeners without a password file)',
    apply(config, value) {
      if (value !== 'true' && value !== 'false') throw new Error(`expected true or false, got "${value}"`);
      (config.security ??= {}).allowAnonymous = value === 'true';
    },
  },
  // [security] message_size_limit and the failed-login throttle (docs/security.md)
  intFlag('--message-size-limit', 'maxPayloadSize', 'BYTES', 'largest PUBLISH / will payload accepted (0 = no limit; 5.0 PUBACK/PUBREC 0x97, an oversized will CONNACK 0x95)', 0, PROTOCOL_MAX_PACKET_SIZE),
  throttleFlag('--auth-fail-limit', 'limit', 'N', 'failed logins per address within --auth-fail-window before a lockout (default 5; 0 = no throttle)'),
  throttleFlag('--auth-fail-window', 'windowS', 'S', 'seconds in which failed logins are counted (default 60; 0 = no throttle)'),
  throttleFlag('--auth-lockout', 'lockoutS', 'S', 'seconds an address is refused after too many failed logins (default 30; 0 = no throttle)'),
  ...TRANSPORT_FLAGS, // [transport] --ws-port ... --proxy-protocol (docs/transport.md)
];

/** [dashboard] The HTTP listener config, created with its defaults on first use (stays off after --http-port off). */
function httpListener(config: Config): HttpListenerConfig {
  if (config.http === null) return { host: DEFAULT_HTTP_HOST, port: DEFAULT_HTTP_PORT, token: undefined };
  return (config.http ??= { host: DEFAULT_HTTP_HOST, port: DEFAULT_HTTP_PORT, token: undefined });
}

export type FlagResult = { help: true } | { help: false; config: Config };

/** Parses argv (after 'broker'); throws FlagError naming the flag on any problem. */
export function parseBrokerFlags(argv: readonly string[], specs: readonly FlagSpec[] = BROKER_FLAGS, base?: Config): FlagResult {
  const config = base ?? defaultConfig(); // [security] base: the configuration file's settings, which flags override
  const seen = new Set<string>();
  const byName = new Map<string, FlagSpec>();
  for (const s of specs) {
    byName.set(s.name, s);
    if (s.short) byName.set(s.short, s);
  }
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i]!;
    if (raw === '--help' || raw === '-h') return { help: true };
    const eq = raw.startsWith('--') ? raw.indexOf('=') : -1;
    const name = eq > 0 ? raw.slice(0, eq) : raw;
    const spec = byName.get(name);
    if (!spec) throw new FlagError('UNKNOWN_FLAG', name, "unknown option (see 'glassmq broker --help')");
    let value: string | true = true;
    if (spec.arg) {
      if (eq > 0) value = raw.slice(eq + 1);
      else if (i + 1 < argv.length) value = argv[++i]!;
      else throw new FlagError('MISSING_VALUE', spec.name, `needs a value (${spec.arg})`);
    } else if (eq > 0) {
      throw new FlagError('BAD_VALUE', spec.name, 'takes no value');
    }
    try {
      spec.apply(config, value, seen);
    } catch (err) {
      throw new FlagError('BAD_VALUE', spec.name, err instanceof Error ? err.message : String(err));
    }
    seen.add(spec.name);
    if (spec.listener) config.defaultListeners = false;
  }
  // [transport] as mosquitto 2: once any listener flag is given, only the listeners named open, so the
  // default TCP listener goes unless --port named it (a file with listeners has already emptied config.tcp)
  if (!config.defaultListeners && !seen.has('--port')) config.tcp = [];
  const problem = transportFlagProblem(config);
  if (problem) throw new FlagError('BAD_VALUE', problem.flag, problem.detail);
  return { help: false, config };
}

export function brokerHelp(specs: readonly FlagSpec[] = BROKER_FLAGS): string {
  const rows = specs.map((s) => [`${s.short ? `${s.short}, ` : '    '}${s.name}${s.arg ? ` ${s.arg}` : ''}`, s.help] as const);
  const width = Math.max(...rows.map(([l]) => l.length));
  return [
    'Usage: glassmq broker [options]',
    '',
    'Runs the MQTT broker (3.1, 3.1.1, 5.0). Without a listener flag (--port, --ws-port, --tls-port, --wss-port,',
    '--unix, --http-port) it opens the default listeners on 127.0.0.1 only: MQTT 1883, WebSocket 8083, HTTP 18083,',
    'and with --cert/--key also TLS 8883 and secure WebSocket 8084. With any listener flag, only those named open.',
    '',
    'Options:',
    ...rows.map(([l, h]) => `  ${l.padEnd(width)}  ${h}`),
    `  ${'-h, --help'.padEnd(width)}  show this help`,
  ].join('\n');
}
