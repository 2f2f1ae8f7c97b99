// Builds a running glassmq from a validated Config: the broker core, its listeners, and their lifecycle.
import type { Logger as PinoLogger } from 'pino';
import type { Config } from '../config/config.js';
import { Broker } from '../broker/broker.js';
import type { Logger } from '../broker/ports.js';
import type { Listener, TlsFileOptions } from '../transport/index.js';
// [transport] flag and default listeners become configuration-file entries, opened by the same code as the file's
import { flagListeners } from '../config/transport-flags.js';
import { blamedSource, listenerUrl, SharedKeyLogs, unreadableFile, withKeyLogs } from './transport-wiring.js';
import { VERSION } from '../version.js';
import { runningBroker, type RunningBroker } from './create-broker.js';
import { httpListenerConfig, openHttpListener, withDashboard } from './http-listener.js'; // [dashboard]
import type { Dashboard } from '../dashboard/index.js';
// [persistence] the SQLite store and the broker's live-object factory it rebuilds sessions with
import type { SqliteStores, StoreError } from '../persistence/index.js';
import { MemoryRetainedStore } from '../broker/memory-stores.js';
import { sessionFactory, type Delivery, type Session } from '../broker/session.js';
import type { Message } from '../broker/message.js';
// [security] password / ACL files as hooks, and the listeners a configuration file describes
import { createSecurity, type Security } from './security.js';
import { createConfiguredListener, limitConnections } from './config-listeners.js';
import { createInspector, withInspector, type Inspector } from './inspector.js'; // [trace]
import { asClusterError, openCluster, openClusterSessions, withCluster } from './cluster.js'; // [cluster]
import type { ClusterError } from '../cluster/index.js'; // [cluster]
import type { ClusterBus, SessionStore } from '../broker/ports.js'; // [cluster]

/** A listener that could not start, with the flag that configured it (for a one-line error). */
export class ListenerStartError extends Error {
  override readonly name = 'ListenerStartError';
  constructor(
    readonly flag: string,
    readonly address: string,
    readonly errno: string | undefined,
    detail: string,
  ) {
    super(`${flag}: cannot listen on ${address}: ${detail}`);
  }
}

const ERRNO_TEXT: Readonly<Record<string, string>> = {
  EADDRINUSE: 'address already in use',
  EACCES: 'permission denied',
  EADDRNOTAVAIL: 'address not available on this machine',
  ENOTFOUND: 'host name not found',
};

/** [security] A running server that can re-read its password, ACL and certificate files (SIGHUP). */
export interface RunningServer extends RunningBroker {
  reload(): void;
  /** [trace] The live trace hub (watch(), summaries()) and the --capture file, if any. */
  readonly trace?: Inspector['hub'];
  readonly capture?: Inspector['capture'];
  /** [transport] Where the flag / default listeners are: mqtt://127.0.0.1:1883, ws://, mqtts://, wss://, unix:PATH, then the dashboard's. */
  readonly urls?: readonly string[];
}

export async function startServer(config: Config, logger: PinoLogger): Promise<RunningServer> {
  const security = createSecurity(config, logger); // [security] a bad password / ACL file stops the start here
  const stores = config.memory ? undefined : await openStores(config, logger); // [persistence]
  let cluster: ClusterBus | undefined; // [cluster] Redis unreachable at start: one line, non-zero exit
  let clusterSessions: SessionStore<Session> | undefined; // [cluster] sessions in Redis, shared by the nodes
  try {
    cluster = await openCluster(config, logger);
    clusterSessions = await openClusterSessions(cluster, logger);
  } catch (err) {
    stores?.close();
    await cluster?.close();
    const clusterError = asClusterError(err);
    throw clusterError ? new ClusterStartError(clusterError) : err;
  }
  const broker = new Broker({
    cluster, // [cluster]
    hooks: security.hooks, // [security]
    retainAvailable: config.retainAvailable, // [security] retain_available
    sessionStore: clusterSessions ?? stores?.sessions, // [cluster] with --cluster the node's store keeps retained only
    retainedStore: stores?.retained,
    maxKeepalive: config.maxKeepalive,
    maxPacketSize: config.maxPacketSize,
    maxPayloadSize: config.maxPayloadSize, // [security] message_size_limit
    maxInflight: config.maxInflight,
    maxQueued: config.maxQueued,
    maxQueuedBytes: config.maxQueuedBytes,
    maxConnections: config.maxConnections,
    maxOutputBuffer: config.maxOutputBuffer,
    sysInterval: config.sysInterval,
    verbose: config.verbose,
    logger: logger as unknown as Logger,
    version: VERSION,
  });
  const inspector = createInspector(config, broker, logger); // [trace] every link is registered with the trace hub
  const listeners: Listener[] = [];
  let dashboard: Dashboard | undefined; // [dashboard]
  const keylogs = new SharedKeyLogs(logger); // [transport] one per key-log file: warned once, closed after the listeners
  let flagUrls: string[]; // [transport]
  try {
    // [transport] --port/--ws-port/--tls-port/--wss-port/--unix (or the default set) first, then the file's
    flagUrls = await openConfiguredListeners(config, broker, security, listeners, logger, inspector, keylogs); // [security]
    dashboard = await startHttp(config, broker, listeners, logger, inspector); // [dashboard]
  } catch (err) {
    await broker.close();
    await Promise.all(listeners.map((l) => l.close()));
    await keylogs.close(); // [transport]
    stores?.close();
    inspector.close(); // [trace]
    await cluster?.close(); // [cluster]
    throw err;
  }
  // [cluster] withCluster: the bus closes after the broker (and its last messages)
  // [transport] withKeyLogs: broker, then listeners, then the key logs
  const running = withCluster(withInspector(withDashboard(withKeyLogs(runningBroker(broker, listeners), keylogs), dashboard), inspector), cluster); // [dashboard] [trace]
  for (const line of security.describe()) logger.info(line); // [security]
  const reload = (): void => reloadFiles(security, listeners, logger); // [security]
  const urls = [...flagUrls, ...(dashboard ? [dashboard.url] : [])]; // [transport]
  if (!stores) return { ...running, reload, trace: inspector.hub, capture: inspector.capture, urls }; // [trace] [transport]
  // [persistence] the database closes (last commit) after the broker and its listeners
  let closing: Promise<void> | undefined;
  return {
    broker: running.broker,
    host: running.host,
    port: running.port,
    close: () => (closing ??= running.close().then(() => stores.close())),
    reload, // [security]
    trace: inspector.hub, // [trace]
    capture: inspector.capture,
    urls, // [transport]
  };
}

/**
 * [security] Opens the listeners of the configuration file; one that cannot listen stops the start, naming its line.
 * [transport] The flag and default listeners (flagListeners: the same entries) come first and name their flag.
 */
async function openConfiguredListeners(config: Config, broker: Broker, security: Security, listeners: Listener[], logger: PinoLogger, inspector: Inspector, keylogs: SharedKeyLogs): Promise<string[]> {
  const flagUrls: string[] = [];
  for (const l of [...flagListeners(config), ...(config.listeners ?? [])]) {
    const address = l.path ?? `${l.host ?? '*'}:${l.port}`;
    const onLink = limitConnections(l.maxConnections, inspector.onLink((link) => broker.handleLink(security.prepareLink(link)))); // [trace]
    let listener: Listener;
    try {
      // [transport] the key log is shared per file (and SSLKEYLOGFILE applies), so it warns once
      const tapTls = ({ keylog, ...tls }: TlsFileOptions): TlsFileOptions => ({ ...tls, ...inspector.tlsOptions(keylogs.open(keylog)) });
      listener = createConfiguredListener(l, config.maxPacketSize, logger, tapTls); // reads certificates: may fail too
      await listener.listen(onLink);
    } catch (err) {
      const errno = (err as NodeJS.ErrnoException).code;
      const failure = new ListenerStartError(blamedSource(l, err), address, errno, (errno && ERRNO_TEXT[errno]) ?? (err instanceof Error ? err.message : String(err)));
      const unreadable = unreadableFile(err); // [transport] "--cert: cannot read FILE: ..." rather than "cannot listen"
      if (unreadable) failure.message = `${failure.flag}: ${unreadable}`;
      throw failure;
    }
    listeners.push(listener);
    security.bindListener(listener.name, l);
    if (!l.source.startsWith('--')) logger.info(`listening on ${listener.name} (${l.source})`);
    else flagUrls.push(listenerUrl(listener)); // [transport] flag ones: one summary line (cli)
  }
  return flagUrls;
}

/** [security] SIGHUP: password and ACL files, then certificates; a broken file keeps the previous one in force. */
function reloadFiles(security: Security, listeners: Listener[], logger: PinoLogger): void {
  const errors = security.reload();
  for (const l of listeners) {
    try {
      l.reloadCertificates?.();
    } catch (err) {
      errors.push(err as Error);
    }
  }
  for (const err of errors) logger.error(`reload: ${err.message} (the previous file stays in force)`);
  logger.info(`reload: done${errors.length ? ` with ${errors.length} error(s)` : ''}`);
  for (const line of security.describe()) logger.info(line);
}

/** [dashboard] Opens the HTTP listener when configured (or by default); a port in use stops the start. */
async function startHttp(config: Config, broker: Broker, listeners: Listener[], logger: PinoLogger, inspector: Inspector): Promise<Dashboard | undefined> {
  const http = httpListenerConfig(config);
  if (!http) return undefined;
  try {
    return await openHttpListener(http, broker, listeners, logger, inspector.hub); // [trace] /api/trace streams from the hub
  } catch (err) {
    const errno = (err as NodeJS.ErrnoException).code;
    throw new ListenerStartError('--http-port', `${http.host}:${http.port}`, errno, (errno && ERRNO_TEXT[errno]) ?? String(err));
  }
}

/** [cluster] Redis unreachable at start (or a bad --node-id): the CLI prints this one line and exits non-zero. */
export class ClusterStartError extends ListenerStartError {
  constructor(err: ClusterError) {
    super(err.code === 'MISSING_URL' ? '--node-id' : '--cluster', err.url, err.code, err.message);
    this.message = `${this.flag}: ${err.message}`;
  }
}

/** [persistence] A store that cannot open stops the start; the CLI prints this one line and exits non-zero. */
export class StoreStartError extends ListenerStartError {
  constructor(err: StoreError) {
    super('--data-dir', err.file, err.code, err.message);
    this.message = err.message;
  }
}

/** [persistence] Opens the SQLite store of config.dataDir (or the default directory) and says where it is. */
async function openStores(config: Config, logger: PinoLogger): Promise<SqliteStores<Session, Delivery, Message>> {
  // loaded only without --memory (better-sqlite3 and the store code stay out of a memory-only broker)
  const { defaultDataDir, openSqliteStores, StoreError } = await import('../persistence/index.js');
  const dataDir = config.dataDir ?? defaultDataDir();
  let stores: SqliteStores<Session, Delivery, Message>;
  try {
    stores = openSqliteStores({ dataDir, sync: config.sync, version: VERSION, factory: sessionFactory, retained: new MemoryRetainedStore<Message>() });
  } catch (err) {
    if (err instanceof StoreError) throw new StoreStartError(err);
    throw err;
  }
  stores.database.onFatal = (err) => {
    // memory is now ahead of the disk: stop rather than acknowledge what cannot be stored
    logger.fatal({ err: String(err), file: stores.database.file }, 'store: commit failed: stopping');
    process.exit(1);
  };
  const sessions = stores.sessions.size;
  logger.info(`store: sqlite ${stores.database.file} (sync ${config.sync}; ${sessions} session(s), ${stores.retained.size} retained message(s) restored)`);
  return stores;
}

export function listenerNames(running: RunningBroker): string {
  return `${running.host}:${running.port}`;
}
