// The SQL of the session store, prepared once per database.
import type { Database, Statement } from 'better-sqlite3';
import { BatchDelete, BatchInsert } from './batch-sql.js';

/** The message columns queue and inflight rows carry, in the order pushMessageValues() gives them. */
const MESSAGE_FIELDS = ['topic', 'payload', 'msg_qos', 'msg_retain', 'properties', 'received_at', 'expires_at', 'origin'];
const MESSAGE_COLUMNS = MESSAGE_FIELDS.join(', ');
/** A deliveries row in the order deliveryValues() (sqlite-session-store.ts) gives it. */
export const DELIVERY_COLUMNS = ['client_id', 'seq', 'packet_id', 'state', 'qos', 'retain', 'subscription_ids', ...MESSAGE_FIELDS];

export interface SessionStatements {
  upsertSession: Statement;
  deleteSession: Statement[];
  deleteSessionRow: Statement;
  purgeOrphans: Statement[];
  deleteSubscriptions: Statement;
  insertSubscription: Statement;
  /** Delivery rows (queued or in flight) and their removal by seq. */
  insertDeliveries: BatchInsert;
  deleteDeliveries: BatchDelete;
  /** The queued rows of a client after a seq (a cleared queue). */
  deleteQueuedAfter: Statement;
  loadQueue: Statement;
  firstSeq: Statement;
  maxSeq: Statement;
  /** A row moves into (or along) the inflight window: packet id and state. */
  updateDelivery: Statement;
  insertIncoming: Statement;
  deleteIncoming: Statement;
  allSessions: Statement;
  allSubscriptions: Statement;
  allInflight: Statement;
  allIncoming: Statement;
  queueTotals: Statement;
}

export function prepareSessionStatements(db: Database): SessionStatements {
  const p = (sql: string): Statement => db.prepare(sql);
  return {
    upsertSession: p(
      `INSERT INTO sessions (client_id, expiry_interval, offline_since, pending_will, connection_will) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (client_id) DO UPDATE SET expiry_interval = excluded.expiry_interval,
         offline_since = excluded.offline_since, pending_will = excluded.pending_will, connection_will = excluded.connection_will`,
    ),
    deleteSession: ['sessions', 'subscriptions', 'deliveries', 'incoming_qos2'].map((t) => p(`DELETE FROM ${t} WHERE client_id = ?`)),
    deleteSessionRow: p('DELETE FROM sessions WHERE client_id = ?'),
    purgeOrphans: ['subscriptions', 'deliveries', 'incoming_qos2'].map((t) =>
      p(`DELETE FROM ${t} WHERE client_id NOT IN (SELECT client_id FROM sessions)`),
    ),
    deleteSubscriptions: p('DELETE FROM subscriptions WHERE client_id = ?'),
    insertSubscription: p(
      `INSERT INTO subscriptions (client_id, filter, qos, no_local, retain_as_published, retain_handling, subscription_id)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertDeliveries: new BatchInsert(db, 'deliveries', DELIVERY_COLUMNS),
    deleteDeliveries: new BatchDelete(db, 'deliveries', 'client_id', 'seq'),
    deleteQueuedAfter: p('DELETE FROM deliveries WHERE client_id = ? AND seq > ? AND packet_id IS NULL'),
    loadQueue: p(
      `SELECT seq, qos, retain, subscription_ids, ${MESSAGE_COLUMNS}
       FROM deliveries WHERE client_id = ? AND seq > ? AND packet_id IS NULL ORDER BY seq LIMIT ?`,
    ),
    firstSeq: p('SELECT min(seq) AS s FROM deliveries WHERE client_id = ? AND packet_id IS NULL'),
    maxSeq: p('SELECT max(seq) AS s FROM deliveries'),
    updateDelivery: p('UPDATE deliveries SET packet_id = ?, state = ? WHERE client_id = ? AND seq = ?'),
    insertIncoming: p('INSERT OR IGNORE INTO incoming_qos2 (client_id, packet_id) VALUES (?, ?)'),
    deleteIncoming: p('DELETE FROM incoming_qos2 WHERE client_id = ? AND packet_id = ?'),
    allSessions: p('SELECT client_id, expiry_interval, offline_since, pending_will, connection_will FROM sessions'),
    allSubscriptions: p('SELECT * FROM subscriptions'),
    allInflight: p(
      `SELECT client_id, seq, packet_id, state, qos, retain, subscription_ids, ${MESSAGE_COLUMNS}
       FROM deliveries WHERE packet_id IS NOT NULL ORDER BY client_id, seq`,
    ),
    allIncoming: p('SELECT client_id, packet_id FROM incoming_qos2'),
    queueTotals: p(
      'SELECT client_id, count(*) AS n, sum(length(payload)) AS bytes FROM deliveries WHERE packet_id IS NULL GROUP BY client_id',
    ),
  };
}
