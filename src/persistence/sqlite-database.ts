// One SQLite file in WAL mode and its group commit: every write of one event-loop turn goes into one
// transaction, committed at the end of the turn (setImmediate); acknowledgements queued with afterCommit() are
// released only after COMMIT returns, so nothing acknowledged can be lost with the process.
import { accessSync, constants as fsConstants, existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database, { type Database as Db, type Statement } from 'better-sqlite3';
import { StoreError, openError } from './errors.js';
import { migrate } from './schema.js';

export const DATABASE_FILE = 'glassmq.db';

/** normal: survives a process crash (kill -9); full: also a power loss (fsync on every commit). */
export type SyncMode = 'normal' | 'full';

export interface DatabaseOptions {
  dataDir: string;
  sync: SyncMode;
  /** glassmq version, recorded with each migration. */
  version: string;
  /** Wall clock (ms); injectable for tests. */
  now?: () => number;
}

/** While idle, the last-alive time is written this often, so downtime after a crash is known to the second. */
const HEARTBEAT_MS = 1000;
/** WAL pages between automatic checkpoints (~40 MB at 4 KiB pages), and the size the WAL file is cut back to. */
const WAL_CHECKPOINT_PAGES = 10_000;
const WAL_SIZE_LIMIT = 64 * 1024 * 1024;
/** How long to wait for a lock another process holds before saying the database is in use. */
const LOCK_WAIT_MS = 250;

export class SqliteDatabase {
  readonly file: string;
  /** When the previous run was last known alive (wall clock ms); undefined for a new file. */
  readonly lastAlive: number | undefined;
  readonly now: () => number;
  /** Called when a commit fails (disk full, I/O error): the in-memory state is then ahead of the disk. */
  onFatal: (err: unknown) => void = (err) => {
    throw err;
  };
  private inTx = false;
  private aliveWritten = 0;
  private scheduled = false;
  private closed = false;
  private waiting: (() => void)[] = [];
  private readonly flushers: ((final: boolean) => void)[] = [];
  private readonly beginStmt: Statement;
  private readonly commitStmt: Statement;
  private readonly aliveStmt: Statement;
  private readonly heartbeat: NodeJS.Timeout;

  private constructor(
    readonly db: Db,
    readonly dataDir: string,
    file: string,
    now: () => number,
    lastAlive: number | undefined,
  ) {
    this.file = file;
    this.now = now;
    this.lastAlive = lastAlive;
    this.beginStmt = db.prepare('BEGIN');
    this.commitStmt = db.prepare('COMMIT');
    this.aliveStmt = db.prepare("INSERT INTO meta (key, value) VALUES ('last_alive', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
    this.heartbeat = setInterval(() => this.begin(), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /** Opens (creating if needed) DIR/glassmq.db; every failure is a StoreError naming the file or directory. */
  static open(options: DatabaseOptions): SqliteDatabase {
    const dir = options.dataDir;
    const file = join(dir, DATABASE_FILE);
    const now = options.now ?? Date.now;
    try {
      mkdirSync(dir, { recursive: true });
    } catch (err) {
      throw new StoreError('DATA_DIR_UNWRITABLE', dir, `cannot create the data directory (${(err as Error).message})`);
    }
    if (!statSync(dir).isDirectory()) throw new StoreError('DATA_DIR_UNWRITABLE', dir, 'is not a directory');
    try {
      accessSync(dir, fsConstants.W_OK);
    } catch {
      throw new StoreError('DATA_DIR_UNWRITABLE', dir, 'the data directory is not writable (glassmq keeps its database and write-ahead log there)');
    }
    if (existsSync(file)) {
      try {
        accessSync(file, fsConstants.R_OK | fsConstants.W_OK);
      } catch {
        throw new StoreError('DATABASE_UNREADABLE', file, 'cannot read and write the database file (permissions)');
      }
    }
    let db: Db | undefined;
    try {
      db = new Database(file, { timeout: LOCK_WAIT_MS });
      // EXCLUSIVE before WAL: one process owns the file, and the WAL index lives in its heap (no -shm file)
      db.pragma('locking_mode = EXCLUSIVE');
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') throw new StoreError('DATA_DIR_UNWRITABLE', dir, `cannot switch the database to WAL mode (got ${String(mode)})`);
      db.pragma(`synchronous = ${options.sync === 'full' ? 'FULL' : 'NORMAL'}`);
      // a long WAL between checkpoints: a hot queue rewrites the same few pages, and a checkpoint copies each
      // page once however often it changed, so checkpoint work per message falls as the WAL grows
      db.pragma(`wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`);
      db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT}`);
      migrate(db, file, options.version, now());
      // the first write takes the exclusive lock; a second glassmq on the same directory fails here
      db.exec('BEGIN IMMEDIATE; COMMIT');
      const row = db.prepare("SELECT value FROM meta WHERE key = 'last_alive'").get() as { value: number } | undefined;
      return new SqliteDatabase(db, dir, file, now, row?.value);
    } catch (err) {
      db?.close();
      throw openError(err, file, dir);
    }
  }

  /** Opens the turn's transaction if it is not open yet (call before any write statement). */
  begin(): void {
    if (this.inTx || this.closed) return;
    this.beginStmt.run();
    this.inTx = true;
    this.schedule();
  }

  /** Makes sure a commit runs at the end of this event-loop turn. */
  schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(this.commit);
  }

  /** Runs `fn` after this turn's commit, or now when nothing is pending. */
  afterCommit(fn: () => void): void {
    if (this.scheduled) this.waiting.push(fn);
    else fn();
  }

  /** `fn` runs just before each commit (stores write what they batched during the turn); final: the last one. */
  onFlush(fn: (final: boolean) => void): void {
    this.flushers.push(fn);
  }

  readonly commit = (final = false): void => {
    this.scheduled = false;
    if (this.closed) return;
    try {
      for (const flush of this.flushers) flush(final);
      if (this.inTx) {
        const now = this.now();
        if (now - this.aliveWritten >= HEARTBEAT_MS) {
          this.aliveStmt.run(now);
          this.aliveWritten = now;
        }
        this.commitStmt.run();
        this.inTx = false;
      }
    } catch (err) {
      this.waiting = []; // never acknowledge what did not reach the disk
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      this.inTx = false;
      this.onFatal(err);
      return;
    }
    const waiting = this.waiting;
    if (waiting.length === 0) return;
    this.waiting = [];
    for (const fn of waiting) fn();
  };

  /** Closes the file dropping the uncommitted turn, as a crash would (its acknowledgements are never sent). */
  abort(): void {
    if (this.closed) return;
    clearInterval(this.heartbeat);
    this.closed = true;
    this.waiting = [];
    this.db.close(); // SQLite rolls the open transaction back
  }

  /** Commits what is pending and closes the file. */
  close(): void {
    if (this.closed) return;
    clearInterval(this.heartbeat);
    this.commit(true);
    this.closed = true;
    this.db.close();
  }
}
