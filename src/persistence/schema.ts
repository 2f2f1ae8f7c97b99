// The database schema as numbered migrations. Migration N brings a file from version N-1 to N; `schema_version`
// holds the version a file is at. A file at a version above the last one here was written by a newer glassmq
// and is refused, never "downgraded".
import type { Database } from 'better-sqlite3';
import { StoreError } from './errors.js';

/** SQL, or code for a step plain SQL cannot express (SQLite has no conditional DDL). */
export type Migration = string | ((db: Database) => void);

/** Index i holds migration i + 1. Append only: never edit a migration that has shipped. */
export const MIGRATIONS: readonly Migration[] = [
  // 1: sessions, their subscriptions, queues, inflight windows, incoming QoS 2 ids; retained messages.
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
  CREATE TABLE sessions (
    client_id TEXT PRIMARY KEY,
    expiry_interval INTEGER NOT NULL,
    offline_since INTEGER,          -- wall clock ms the session lost its connection; NULL while connected
    pending_will BLOB               -- a will waiting for its Will Delay Interval (JSON)
  ) WITHOUT ROWID;
  CREATE TABLE subscriptions (
    client_id TEXT NOT NULL,
    filter TEXT NOT NULL,
    qos INTEGER NOT NULL,
    no_local INTEGER NOT NULL,
    retain_as_published INTEGER NOT NULL,
    retain_handling INTEGER NOT NULL,
    subscription_id INTEGER,
    PRIMARY KEY (client_id, filter)
  ) WITHOUT ROWID;
  -- deliveries carry their message inline: one row written and one deleted per message and session, no
  -- shared-row reference counting on the hot path
  CREATE TABLE queue (
    client_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    qos INTEGER NOT NULL,
    retain INTEGER NOT NULL,
    subscription_ids TEXT,
    topic TEXT NOT NULL,            -- the application message, kept with each delivery
    payload BLOB NOT NULL,
    msg_qos INTEGER NOT NULL,
    msg_retain INTEGER NOT NULL,
    properties BLOB,
    received_at INTEGER NOT NULL,
    expires_at INTEGER,             -- wall clock ms: downtime counts toward Message Expiry
    origin TEXT,
    PRIMARY KEY (client_id, seq)
  ) WITHOUT ROWID;
  CREATE TABLE inflight (
    client_id TEXT NOT NULL,
    packet_id INTEGER NOT NULL,
    state INTEGER NOT NULL,
    send_order INTEGER NOT NULL,
    qos INTEGER NOT NULL,
    retain INTEGER NOT NULL,
    subscription_ids TEXT,
    topic TEXT NOT NULL,            -- the application message, kept with each delivery
    payload BLOB NOT NULL,
    msg_qos INTEGER NOT NULL,
    msg_retain INTEGER NOT NULL,
    properties BLOB,
    received_at INTEGER NOT NULL,
    expires_at INTEGER,             -- wall clock ms: downtime counts toward Message Expiry
    origin TEXT,
    PRIMARY KEY (client_id, packet_id)
  ) WITHOUT ROWID;
  CREATE TABLE incoming_qos2 (
    client_id TEXT NOT NULL,
    packet_id INTEGER NOT NULL,
    PRIMARY KEY (client_id, packet_id)
  ) WITHOUT ROWID;
  CREATE TABLE retained (
    topic TEXT PRIMARY KEY,
    payload BLOB NOT NULL,
    qos INTEGER NOT NULL,
    properties BLOB,
    received_at INTEGER NOT NULL,
    expires_at INTEGER,
    origin TEXT
  ) WITHOUT ROWID;
  `,
  // 2: queue and inflight become one deliveries table. A delivery's row is written once when it is queued (or
  // sent), and deleted once when acknowledged: moving from the queue into the inflight window writes nothing
  // for QoS 1 and one UPDATE for QoS 2 (docs/persistence.md). packet_id NULL: the row is in the queue, or is a
  // QoS 1 delivery sent from the queue (after a crash it is sent again from the queue, as at-least-once allows).
  // Inflight rows take seqs below every queued row of their session, so the send order is kept.
  `
  CREATE TABLE deliveries (
    client_id TEXT NOT NULL,
    seq INTEGER NOT NULL,           -- queue order (and send order of the inflight rows)
    packet_id INTEGER,              -- NULL: queued (see above)
    state INTEGER NOT NULL,         -- 0 queued, 1 PUBLISH sent, 2 PUBREL sent
    qos INTEGER NOT NULL,
    retain INTEGER NOT NULL,
    subscription_ids TEXT,
    topic TEXT NOT NULL,            -- the application message, kept with each delivery
    payload BLOB NOT NULL,
    msg_qos INTEGER NOT NULL,
    msg_retain INTEGER NOT NULL,
    properties BLOB,
    received_at INTEGER NOT NULL,
    expires_at INTEGER,             -- wall clock ms: downtime counts toward Message Expiry
    origin TEXT,
    PRIMARY KEY (client_id, seq)
  ) WITHOUT ROWID;
  INSERT INTO deliveries
    SELECT client_id,
      send_order - (SELECT coalesce(max(send_order), 0) FROM inflight) + (SELECT coalesce(min(seq), 0) FROM queue) - 1,
      packet_id, state, qos, retain, subscription_ids, topic, payload, msg_qos, msg_retain, properties, received_at, expires_at, origin
    FROM inflight;
  INSERT INTO deliveries
    SELECT client_id, seq, NULL, 0, qos, retain, subscription_ids, topic, payload, msg_qos, msg_retain, properties, received_at, expires_at, origin
    FROM queue;
  DROP TABLE queue;
  DROP TABLE inflight;
  -- the will of the connection a session has (NULL while offline): if the broker dies, the connection was
  -- lost, and the restarted broker publishes it as for a network loss
  ALTER TABLE sessions ADD COLUMN connection_will BLOB;
  `,
  // 3: a repair. Migration 2 gained its last statement (sessions.connection_will) after it had already run on
  // some files, against the rule above; such a version-2 file lacks the column and every session write fails on
  // it. Add it where it is missing; files that have it are left as they are.
  (db) => {
    const columns = db.prepare('PRAGMA table_info(sessions)').all() as { name: string }[];
    if (!columns.some((c) => c.name === 'connection_will')) db.exec('ALTER TABLE sessions ADD COLUMN connection_will BLOB');
  },
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** The version a file is at (0 for a new, empty file). */
function currentVersion(db: Database): number {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").get();
  if (!table) {
    const others = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number };
    if (others.n > 0) throw new Error('has tables but no schema_version: not a glassmq database');
    return 0;
  }
  const row = db.prepare('SELECT max(version) AS v FROM schema_version').get() as { v: number | null };
  return row.v ?? 0;
}

/** Brings the file up to SCHEMA_VERSION, one migration per transaction; refuses files from a newer glassmq. */
export function migrate(db: Database, file: string, glassmqVersion: string, now: number): { from: number; to: number } {
  let from: number;
  try {
    from = currentVersion(db);
  } catch (err) {
    if (err instanceof Error && !('code' in err)) {
      throw new StoreError('DATABASE_CORRUPT', file, `${err.message}; glassmq will not replace it: move it away, or pass another --data-dir`);
    }
    throw err;
  }
  if (from > SCHEMA_VERSION) {
    throw new StoreError(
      'SCHEMA_TOO_NEW',
      file,
      `written by a newer glassmq (schema version ${from}; this glassmq ${glassmqVersion} knows up to ${SCHEMA_VERSION}): upgrade glassmq, or pass another --data-dir`,
    );
  }
  if (from === 0) db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL, glassmq TEXT NOT NULL)');
  for (let v = from + 1; v <= SCHEMA_VERSION; v++) {
    db.transaction(() => {
      const step = MIGRATIONS[v - 1]!;
      if (typeof step === 'string') db.exec(step);
      else step(db);
      db.prepare('INSERT INTO schema_version (version, applied_at, glassmq) VALUES (?, ?, ?)').run(v, now, glassmqVersion);
    })();
  }
  return { from, to: SCHEMA_VERSION };
}
