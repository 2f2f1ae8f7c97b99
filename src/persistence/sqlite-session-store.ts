// SessionStore over SQLite. Sessions (with subscriptions, inflight windows, incoming QoS 2 ids and delayed
// wills) are loaded at start and kept live in memory; their queues stay on disk (SqliteQueue). `changed` marks
// what to write; the writes happen once per event-loop turn, just before the commit (SqliteDatabase).
import type {
  RestoredSession,
  SessionChange,
  SessionFactory,
  SessionStore,
  StoredDelivery,
  StoredMessage,
  StoredSession,
  StoredSubscriptionOptions,
} from '../broker/ports.js';
import type { SqliteDatabase } from './sqlite-database.js';
import { SqliteQueue } from './sqlite-queue.js';
import { decodeIds, decodeWill, encodeWill, messageFields } from './record-codec.js';
import { pushDelivery, subscriptionOptions, type DeliveryRow, type InflightDbRow, type QueueRow, type SessionRow, type SubscriptionRow } from './session-rows.js';
import { prepareSessionStatements, type SessionStatements } from './session-statements.js';

const Dirty = { session: 1, subscriptions: 2, inflight: 4, incoming: 8 } as const;
const ALL_DIRTY = Dirty.session | Dirty.subscriptions | Dirty.inflight | Dirty.incoming;
const DIRTY_BY_CHANGE: Readonly<Record<SessionChange, number>> = {
  created: ALL_DIRTY,
  subscriptions: Dirty.subscriptions,
  inflight: Dirty.inflight,
  queue: 0, // the queue writes its own rows
  incoming: Dirty.incoming,
  will: Dirty.session,
  expiry: Dirty.session,
};

/** An inflight delivery as its row stands on disk. */
interface InflightRow<D> {
  item: D;
  seq: number;
  state: number;
  /** A QoS 1 row that moved from the queue without a write: on disk it still reads as queued (packet_id NULL). */
  bare: boolean;
}

/** What was last written for one session, to write only differences. */
interface Written<D> {
  queue: SqliteQueue<D & object>;
  inflight: Map<number, InflightRow<D>>;
  incoming: Set<number>;
  offlineSince: number | undefined;
  /** Whether the session has a row on disk. */
  stored: boolean;
  dirty: number;
}

export class SqliteSessionStore<
  S extends StoredSession<D>,
  D extends StoredDelivery<M> & object,
  M extends StoredMessage & object,
> implements SessionStore<S> {
  private readonly sessions = new Map<string, S>();
  private readonly written = new WeakMap<S, Written<D>>();
  private readonly dirty = new Set<S>();
  /** Queues with writes waiting for the end of the turn. */
  private readonly touched = new Set<SqliteQueue<D & object>>();
  private readonly st: SessionStatements;
  private readonly owners = new WeakMap<SqliteQueue<D & object>, S>();
  private seq: number;
  private restoredSessions: RestoredSession<S>[] | undefined;

  constructor(
    private readonly database: SqliteDatabase,
    private readonly factory: SessionFactory<S, D, M>,
  ) {
    this.st = prepareSessionStatements(database.db);
    this.seq = (this.st.maxSeq.get() as { s: number | null }).s ?? 0;
    database.onFlush(this.flush);
    this.restoredSessions = this.load();
  }

  // ---- SessionStore -----------------------------------------------------------------------------------------

  get(clientId: string): S | undefined {
    return this.sessions.get(clientId);
  }

  set(session: S): void {
    this.sessions.set(session.clientId, session);
    if (!this.written.has(session)) this.track(session, undefined);
    this.mark(session, ALL_DIRTY);
  }

  delete(clientId: string): void {
    const session = this.sessions.get(clientId);
    if (!session) return;
    this.sessions.delete(clientId);
    this.dirty.delete(session);
    this.written.get(session)?.queue.kill();
    this.database.begin();
    for (const stmt of this.st.deleteSession) stmt.run(clientId);
  }

  values(): IterableIterator<S> {
    return this.sessions.values();
  }

  get size(): number {
    return this.sessions.size;
  }

  changed(session: S, what: SessionChange): void {
    const bits = DIRTY_BY_CHANGE[what];
    if (bits) this.mark(session, bits);
    else if (session.connection === undefined) this.mark(session, 0); // let flush evict the offline queue
  }

  create(clientId: string): S {
    const queue = new SqliteQueue<D & object>(this.queueRows, clientId);
    const session = this.factory.session(clientId, queue);
    this.bindQueue(queue, session);
    this.track(session, queue);
    return session;
  }

  afterCommit(fn: () => void): void {
    this.database.afterCommit(fn);
  }

  /** The sessions loaded at start (handed out once). */
  restored(): Iterable<RestoredSession<S>> {
    const r = this.restoredSessions ?? [];
    this.restoredSessions = undefined;
    return r;
  }

  private bindQueue(queue: SqliteQueue<D & object>, session: S): void {
    this.owners.set(queue, session);
    queue.online = () => session.connection !== undefined;
    queue.durable = () => session.expiryInterval !== 0;
  }

  // ---- writing ----------------------------------------------------------------------------------------------

  private track(session: S, queue: SqliteQueue<D & object> | undefined): Written<D> {
    const w: Written<D> = {
      queue: queue ?? (session.queue as unknown as SqliteQueue<D & object>),
      inflight: new Map(),
      incoming: new Set(),
      offlineSince: undefined,
      stored: false,
      dirty: 0,
    };
    this.written.set(session, w);
    return w;
  }

  private mark(session: S, bits: number): void {
    const w = this.written.get(session);
    if (!w) return;
    w.dirty |= bits;
    this.dirty.add(session);
    this.database.schedule();
  }

  private readonly flush = (final: boolean): void => {
    // queues first: they settle the rows shifted this turn, which writeInflight then finds in place
    if (this.touched.size > 0) {
      for (const queue of this.touched) queue.write();
      this.touched.clear();
    }
    if (this.dirty.size > 0) this.writeDirty();
    if (final) this.settleBare();
  };

  private writeDirty(): void {
    this.database.begin();
    const now = this.database.now();
    for (const session of this.dirty) {
      const w = this.written.get(session)!;
      if (this.sessions.get(session.clientId) !== session) continue;
      // [MQTT-3.1.2-23] a session with Session Expiry 0 ends with its connection (and 0 never becomes more):
      // there is nothing to bring back, so nothing is written, and a row written before goes
      if (session.expiryInterval === 0) {
        if (w.stored) this.st.deleteSessionRow.run(session.clientId); // its other rows are purged at next start
        w.stored = false;
        continue;
      }
      const bits = w.dirty;
      w.dirty = 0;
      const id = session.clientId;
      const online = session.connection !== undefined;
      if (bits & Dirty.session) {
        w.offlineSince = online ? undefined : (w.offlineSince ?? now);
        const connectionWill = online ? encodeWill(session.will) : null;
        this.st.upsertSession.run(id, session.expiryInterval, w.offlineSince ?? null, encodeWill(session.pendingWill), connectionWill);
        w.stored = true;
      }
      if (bits & Dirty.subscriptions) this.writeSubscriptions(session);
      if (bits & Dirty.inflight) this.writeInflight(session, w);
      if (bits & Dirty.incoming) this.writeIncoming(session, w);
      if (!online) w.queue.evict?.();
    }
    this.dirty.clear();
  }

  private writeSubscriptions(session: S): void {
    const id = session.clientId;
    this.st.deleteSubscriptions.run(id);
    for (const { filter, options: o } of session.subscriptions.values()) {
      this.st.insertSubscription.run(id, filter, o.qos, o.noLocal ? 1 : 0, o.retainAsPublished ? 1 : 0, o.retainHandling, o.subscriptionId ?? null);
    }
  }

  private writeInflight(session: S, w: Written<D>): void {
    const id = session.clientId;
    const deletes: number[] = [];
    for (const [packetId, old] of w.inflight) {
      if (session.inflight.get(packetId) !== old.item) {
        deletes.push(old.seq);
        w.inflight.delete(packetId);
      }
    }
    if (deletes.length) this.st.deleteDeliveries.run(id, deletes);
    const values: unknown[] = [];
    for (const [packetId, d] of session.inflight) {
      const old = w.inflight.get(packetId);
      if (!old) {
        // sent without being queued: its row is written as an inflight row; ++seq keeps the send order
        const seq = ++this.seq;
        pushDelivery(values, id, seq, packetId, d.state, d);
        w.inflight.set(packetId, { item: d, seq, state: d.state, bare: false });
      } else if (old.state !== d.state) {
        // QoS 2: PUBREL sent; the PUBLISH is never sent again, so the row must say so [MQTT-4.3.3-6]
        this.st.updateDelivery.run(packetId, d.state, id, old.seq);
        old.state = d.state;
        old.bare = false;
      }
    }
    if (values.length) this.st.insertDeliveries.run(values);
  }

  /**
   * At a clean shutdown, QoS 1 rows that moved into the inflight window without a write get their packet id, so
   * the restarted broker re-sends them with it [MQTT-4.4.0-1]. (After a crash they are sent again from the queue.)
   */
  private settleBare(): void {
    for (const session of this.sessions.values()) {
      const w = this.written.get(session);
      if (!w || session.expiryInterval === 0) continue;
      for (const [packetId, row] of w.inflight) {
        if (!row.bare) continue;
        this.database.begin();
        this.st.updateDelivery.run(packetId, row.state, session.clientId, row.seq);
        row.bare = false;
      }
    }
  }

  private writeIncoming(session: S, w: Written<D>): void {
    const id = session.clientId;
    for (const packetId of w.incoming) {
      if (!session.incomingQos2.has(packetId)) {
        this.st.deleteIncoming.run(id, packetId);
        w.incoming.delete(packetId);
      }
    }
    for (const packetId of session.incomingQos2) {
      if (!w.incoming.has(packetId)) {
        this.st.insertIncoming.run(id, packetId);
        w.incoming.add(packetId);
      }
    }
  }

  private readonly queueRows = {
    nextSeq: (): number => ++this.seq,
    touch: (queue: SqliteQueue<D & object>): void => {
      this.touched.add(queue);
      this.database.schedule();
    },
    write: (
      queue: SqliteQueue<D & object>,
      deletes: number[],
      inserts: ReadonlyMap<D, number>,
      shifted: ReadonlyMap<D, number>,
      shiftedPending: ReadonlyMap<D, number>,
    ): void => {
      this.database.begin();
      const clientId = queue.clientId;
      const session = this.owners.get(queue)!;
      const w = this.written.get(session)!;
      const values: unknown[] = [];
      const adopt = (d: D, seq: number, bare: boolean): void => {
        const old = w.inflight.get(d.packetId);
        if (old && old.item !== d) deletes.push(old.seq); // the id's previous delivery is done
        w.inflight.set(d.packetId, { item: d, seq, state: d.state, bare });
      };
      for (const [d, seq] of shifted) {
        if (session.inflight.get(d.packetId) !== d) {
          deletes.push(seq); // expired, refused, moved to another session: gone
        } else if (d.qos === 1) {
          adopt(d, seq, true); // sent: the queued row now stands for the inflight one, unchanged
        } else {
          adopt(d, seq, false);
          this.st.updateDelivery.run(d.packetId, d.state, clientId, seq); // QoS 2 keeps its id [MQTT-4.3.3-10]
        }
      }
      for (const [d, seq] of shiftedPending) {
        if (session.inflight.get(d.packetId) !== d) continue; // never written
        adopt(d, seq, false);
        pushDelivery(values, clientId, seq, d.packetId, d.state, d);
      }
      if (deletes.length) this.st.deleteDeliveries.run(clientId, deletes);
      for (const [d, seq] of inserts) pushDelivery(values, clientId, seq, null, 0, d);
      if (values.length) this.st.insertDeliveries.run(values);
    },
    deleteQueuedAfter: (clientId: string, after: number): void => {
      this.database.begin();
      this.st.deleteQueuedAfter.run(clientId, after);
    },
    load: (clientId: string, after: number, limit: number): { seq: number; item: D }[] =>
      (this.st.loadQueue.all(clientId, after, limit) as QueueRow[]).map((row) => ({ seq: row.seq, item: this.delivery(row) })),
    firstSeq: (clientId: string): number | undefined => (this.st.firstSeq.get(clientId) as { s: number | null }).s ?? undefined,
  };

  private delivery(row: DeliveryRow): D {
    const m = this.factory.message(messageFields(row));
    return this.factory.delivery(m, row.qos as D['qos'], row.retain === 1, decodeIds(row.subscription_ids));
  }

  // ---- loading ----------------------------------------------------------------------------------------------

  private load(): RestoredSession<S>[] {
    const st = this.st;
    const now = this.database.now();
    const downSince = this.database.lastAlive ?? now;
    for (const purge of st.purgeOrphans) purge.run(); // rows of sessions that ended without their rows
    const queued = new Map<string, { n: number; bytes: number }>();
    for (const r of st.queueTotals.all() as { client_id: string; n: number; bytes: number }[]) queued.set(r.client_id, r);
    const subs = new Map<string, { filter: string; options: StoredSubscriptionOptions }[]>();
    for (const r of st.allSubscriptions.all() as SubscriptionRow[]) {
      const list = subs.get(r.client_id) ?? [];
      list.push({ filter: r.filter, options: subscriptionOptions(r) });
      subs.set(r.client_id, list);
    }
    const out: RestoredSession<S>[] = [];
    for (const r of st.allSessions.all() as SessionRow[]) {
      const q = queued.get(r.client_id);
      const queue = new SqliteQueue<D & object>(this.queueRows, r.client_id, q?.n ?? 0);
      const session = this.factory.session(r.client_id, queue);
      this.bindQueue(queue, session);
      session.expiryInterval = r.expiry_interval;
      // the broker died while the session had a connection: that connection was lost, and its will goes out as
      // for a network loss, after what is left of its Will Delay Interval or when the session ends [MQTT-3.1.2-8]
      session.pendingWill = decodeWill(r.pending_will) ?? (r.offline_since === null ? decodeWill(r.connection_will) : undefined);
      session.queuedBytes = q?.bytes ?? 0;
      const w = this.track(session, queue);
      // a session that was connected when the broker went down has been offline since then
      w.offlineSince = r.offline_since ?? downSince;
      w.stored = true;
      this.sessions.set(r.client_id, session);
      this.mark(session, Dirty.session);
      out.push({ session, subscriptions: subs.get(r.client_id) ?? [], offlineMs: Math.max(0, now - w.offlineSince) });
    }
    for (const row of st.allInflight.all() as InflightDbRow[]) {
      const session = this.sessions.get(row.client_id);
      if (!session) continue;
      const d = this.delivery(row);
      d.packetId = row.packet_id;
      d.state = row.state;
      session.inflight.set(row.packet_id, d);
      this.written.get(session)!.inflight.set(row.packet_id, { item: d, seq: row.seq, state: row.state, bare: false });
    }
    for (const row of st.allIncoming.all() as { client_id: string; packet_id: number }[]) {
      const session = this.sessions.get(row.client_id);
      if (!session) continue;
      session.incomingQos2.add(row.packet_id);
      this.written.get(session)!.incoming.add(row.packet_id);
    }
    return out;
  }
}
