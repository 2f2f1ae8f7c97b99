// The SQL of the session store, prepared once per database.
import type { Database, Statement } from 'better-sqlite3';
import { BatchDelete, BatchInsert } from './batch-sql.js';

/** The message columns queue and inflight rows carry, in the order messageValues() gives them. */
const MESSAGE_FIELDS = ['topic', 'payload', 'msg_qos', 'msg_retain', 'properties', 'received_at', 'expires_at', 'origin'];
const MESSAGE_COLUMNS = MESSAGE_FIELDS.join(', ');

export interface SessionStatements {
  upsertSession: Statement;
  deleteSession: Statement[];
  deleteSessionRow: Statement;
  purgeOrphans: Statement[];
  deleteSubscriptions: Statement;
  insertSubscription: Statement;
  insertQueueRows: BatchInsert;
  deleteQueueRows: BatchDelete;
  deleteQueueAll: Statement;
  loadQueue: Statement;
  firstSeq: Statement;
  maxSeq: Statement;
  insertInflightRows: BatchInsert;
  updateInflight: Statement;
  deleteInflightRows: BatchDelete;
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
      `INSERT INTO sessions (client_id, expiry_interval, offline_since, pending_will) VALUES (?, ?, ?, ?)
       ON CONFLICT (client_id) DO UPDATE SET expiry_interval = excluded.expiry_interval,
         offline_since = excluded.offline_since, pending_will = excluded.pending_will`,
    ),
    deleteSession: ['sessions', 'subscriptions', 'queue', 'inflight', 'incoming_qos2'].map((t) => p(`DELETE FROM ${t} WHERE client_id = ?`)),
    deleteSessionRow: p('DELETE FROM sessions WHERE client_id = ?'),
    purgeOrphans: ['subscriptions', 'queue', 'inflight', 'incoming_qos2'].map((t) =>
      p(`DELETE FROM ${t} WHERE client_id NOT IN (SELECT client_id FROM sessions)`),
    ),
    deleteSubscriptions: p('DELETE FROM subscriptions WHERE client_id = ?'),
    insertSubscription: p(
      `INSERT INTO subscriptions (client_id, filter, qos, no_local, retain_as_published, retain_handling, subscription_id)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertQueueRows: new BatchInsert(db, 'queue', ['client_id', 'seq', 'qos', 'retain', 'subscription_ids', ...MESSAGE_FIELDS]),
    deleteQueueRows: new BatchDelete(db, 'queue', 'client_id', 'seq'),
    deleteQueueAll: p('DELETE FROM queue WHERE client_id = ?'),
    loadQueue: p(
      `SELECT seq, qos, retain, subscription_ids, ${MESSAGE_COLUMNS}
       FROM queue WHERE client_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
    ),
    firstSeq: p('SELECT min(seq) AS s FROM queue WHERE client_id = ?'),
    maxSeq: p('SELECT max(seq) AS s FROM queue'),
    insertInflightRows: new BatchInsert(db, 'inflight', ['client_id', 'packet_id', 'state', 'send_order', 'qos', 'retain', 'subscription_ids', ...MESSAGE_FIELDS]),
    updateInflight: p('UPDATE inflight SET state = ? WHERE client_id = ? AND packet_id = ?'),
    deleteInflightRows: new BatchDelete(db, 'inflight', 'client_id', 'packet_id'),
    insertIncoming: p('INSERT OR IGNORE INTO incoming_qos2 (client_id, packet_id) VALUES (?, ?)'),
    deleteIncoming: p('DELETE FROM incoming_qos2 WHERE client_id = ? AND packet_id = ?'),
    allSessions: p('SELECT client_id, expiry_interval, offline_since, pending_will FROM sessions'),
    allSubscriptions: p('SELECT * FROM subscriptions'),
    allInflight: p(
      `SELECT client_id, packet_id, state, qos, retain, subscription_ids, ${MESSAGE_COLUMNS}
       FROM inflight ORDER BY client_id, send_order`,
    ),
    allIncoming: p('SELECT client_id, packet_id FROM incoming_qos2'),
    queueTotals: p(
      'SELECT client_id, count(*) AS n, sum(length(payload)) AS bytes FROM queue GROUP BY client_id',
    ),
  };
}
