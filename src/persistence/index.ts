// Durable stores behind the broker's SessionStore / RetainedStore ports (docs/persistence.md).
export { StoreError, type StoreErrorCode } from './errors.js';
export { SqliteDatabase, DATABASE_FILE, type SyncMode, type DatabaseOptions } from './sqlite-database.js';
export { SqliteSessionStore } from './sqlite-session-store.js';
export { SqliteRetainedStore } from './sqlite-retained-store.js';
export { SqliteQueue } from './sqlite-queue.js';
export { openSqliteStores, type SqliteStores, type SqliteStoreOptions } from './open-store.js';
export { defaultDataDir } from './data-dir.js';
export { SCHEMA_VERSION, MIGRATIONS, type Migration } from './schema.js';
