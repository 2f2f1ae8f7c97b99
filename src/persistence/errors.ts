// Why a store could not open, as a value with a stable code and the file it concerns. The CLI prints the message
// as one line and exits non-zero: a store that cannot be read is never silently replaced by an empty one.

export type StoreErrorCode =
  /** The data directory cannot be created or written (read-only, permissions, a file in the way). */
  | 'DATA_DIR_UNWRITABLE'
  /** The database file is not an SQLite database or is damaged. */
  | 'DATABASE_CORRUPT'
  /** The database file exists but cannot be opened or read (permissions, I/O error). */
  | 'DATABASE_UNREADABLE'
  /** The file was written by a newer glassmq whose schema this one does not know. */
  | 'SCHEMA_TOO_NEW'
  /** Another process (another glassmq) holds the database. */
  | 'DATABASE_LOCKED';

export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    readonly code: StoreErrorCode,
    /** The file or directory the error is about. */
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
  }
}

/** SQLite result codes (better-sqlite3 puts them on err.code) that mean "this file is damaged or not a database". */
const CORRUPT_CODES = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB', 'SQLITE_CORRUPT_INDEX', 'SQLITE_CORRUPT_SEQUENCE', 'SQLITE_CORRUPT_VTAB']);
const LOCKED_CODES = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_BUSY_RECOVERY']);
const READONLY_CODES = new Set(['SQLITE_READONLY', 'SQLITE_READONLY_DIRECTORY', 'SQLITE_READONLY_DBMOVED', 'SQLITE_CANTOPEN', 'SQLITE_PERM', 'SQLITE_READONLY_CANTINIT', 'SQLITE_READONLY_RECOVERY']);

/** Turns an error raised while opening or loading `file` into a StoreError that names it. */
export function openError(err: unknown, file: string, dir: string): StoreError {
  if (err instanceof StoreError) return err;
  const code = (err as { code?: unknown }).code;
  const text = err instanceof Error ? err.message : String(err);
  if (typeof code === 'string') {
    if (CORRUPT_CODES.has(code)) {
      return new StoreError('DATABASE_CORRUPT', file, `not a glassmq database or damaged (${text}); glassmq will not replace it: move it away, or pass another --data-dir`);
    }
    if (LOCKED_CODES.has(code)) return new StoreError('DATABASE_LOCKED', file, 'in use by another process (another glassmq on the same --data-dir?)');
    if (READONLY_CODES.has(code)) return new StoreError('DATA_DIR_UNWRITABLE', dir, `cannot write the database here (${text}); the data directory must be writable`);
  }
  return new StoreError('DATABASE_UNREADABLE', file, `cannot open the database (${text})`);
}
