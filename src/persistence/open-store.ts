// Opens the durable store of one data directory: the database, the session store and the retained store
// sharing its group commit. The composition root (src/server) calls this and hands the stores to the Broker.
import type { RetainedStore, SessionFactory, StoredDelivery, StoredMessage, StoredSession } from '../broker/ports.js';
import { openError } from './errors.js';
import { SqliteDatabase, type SyncMode } from './sqlite-database.js';
import { SqliteSessionStore } from './sqlite-session-store.js';
import { SqliteRetainedStore } from './sqlite-retained-store.js';

export interface SqliteStoreOptions<S, D, M> {
  dataDir: string;
  sync: SyncMode;
  /** glassmq version, recorded in the schema_version table. */
  version: string;
  factory: SessionFactory<S, D, M>;
  /** The in-memory retained store the durable one decorates. */
  retained: RetainedStore<M>;
  now?: () => number;
}

export interface SqliteStores<S extends StoredSession<D>, D extends StoredDelivery<M> & object, M extends StoredMessage & object> {
  readonly database: SqliteDatabase;
  readonly sessions: SqliteSessionStore<S, D, M>;
  readonly retained: SqliteRetainedStore<M>;
  /** Commits what is pending and closes the file (after the broker has closed). */
  close(): void;
}

/** Throws StoreError (code + file) when the directory or file cannot be used; never starts from an empty store silently. */
export function openSqliteStores<S extends StoredSession<D>, D extends StoredDelivery<M> & object, M extends StoredMessage & object>(
  options: SqliteStoreOptions<S, D, M>,
): SqliteStores<S, D, M> {
  const database = SqliteDatabase.open({ dataDir: options.dataDir, sync: options.sync, version: options.version, now: options.now });
  try {
    const sessions = new SqliteSessionStore<S, D, M>(database, options.factory);
    const retained = new SqliteRetainedStore<M>(database, options.retained, (f) => options.factory.message(f));
    return { database, sessions, retained, close: () => database.close() };
  } catch (err) {
    database.close();
    throw openError(err, database.file, options.dataDir);
  }
}
