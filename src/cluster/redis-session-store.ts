// SessionStore on Redis, shared by the nodes of a cluster. The node that holds a session keeps it live in memory
// (the truth, as with SQLite) and writes what changed once per event-loop turn, in one MULTI on the bus's command
// connection; PUBACK / PUBREC / PUBCOMP wait for that EXEC (afterCommit). Sessions that end with their connection
// (Session Expiry 0, 3.1.1 CleanSession 1) are never written: a non-persistent client costs Redis nothing.
// Keys (keys.ts): session:{id} HASH, queue:{id} LIST, inflight:{id} HASH, sessions:{node} SET.
// Redis away: nothing blocks (acknowledgements go at once, logged once); every session is written whole when it
// returns. Moving a session between nodes is session-handover.ts; this file loads, writes and forgets.
import type { Redis } from 'ioredis';
import type {
  AcquireVerdict,
  Logger,
  RestoredSession,
  SessionChange,
  SessionFactory,
  SessionOwner,
  SessionStore,
  StoredDelivery,
  StoredMessage,
  StoredSession,
} from '../broker/ports.js';
import { encodeEvent } from './cluster-events.js';
import { channels, keys } from './keys.js';
import { RedisQueue } from './redis-queue.js';
import { encodeDelivery, encodeSubscriptions, encodeWillField, SessionField as F } from './session-codec.js';
import { inflightCommands, queueCommands, type Command, type WrittenInflight } from './session-commands.js';
import { readSession, type LoadedSession } from './session-reader.js';
import { RecentIds } from './message-ids.js';
import type { LeavingFilter } from './session-forwarding.js';
import { isSharedFilter } from '../protocol/topic.js';
export type { LoadedSession };

/** The bus's command connection and its health (redis-link.ts RedisLink). */
export interface StoreLink {
  readonly cmd: Redis;
  readonly ready: boolean;
}

const Dirty = { session: 1, subscriptions: 2, inflight: 4, incoming: 8 } as const;
const ALL_DIRTY = Dirty.session | Dirty.subscriptions | Dirty.inflight | Dirty.incoming;
const DIRTY_BY_CHANGE: Readonly<Record<SessionChange, number>> = {
  created: ALL_DIRTY,
  subscriptions: Dirty.subscriptions,
  inflight: Dirty.inflight,
  queue: 0, // the queue logs its own operations
  incoming: Dirty.incoming,
  will: Dirty.session,
  expiry: Dirty.session,
};
const REDIS_AWAY = new Error('Redis is away');
/** How long a session that came here skips second copies: the forwarding (5 s) and a dead node's drain (12 s), with margin. */
export const MOVE_WINDOW_MS = 20_000;
/** Values per RPUSH / HSET when a whole queue is written (keeps each command a sane size). */
const CHUNK = 512;

/** What was last written for one session. */
interface Written<D> {
  queue: RedisQueue<D>;
  inflight: WrittenInflight<D>;
  offlineSince: number | undefined;
  /** Whether the session has records in Redis. */
  stored: boolean;
  /** Write everything at the next flush (never written, or Redis was away). */
  full: boolean;
  dirty: number;
  /** Handed over to another node: its last state is written, then it is forgotten here. */
  leaving: boolean;
}

/** What the bus calls on the store: adoption when it reaps a dead node, and Redis outages. */
export interface BusSessions {
  readonly restoredIds: ReadonlySet<string>;
  adoptNode(node: string): Promise<ReadonlySet<string>>;
  linkLost(): void;
  linkBack(): void;
  /** Resolves once what changed so far is written (or Redis is away). */
  settled(): Promise<void>;
  commitWith(cmds: Command[], done: (err: unknown) => void): void;
}

export class RedisSessionStore<S extends StoredSession<D>, D extends StoredDelivery<M>, M extends StoredMessage> implements SessionStore<S>, BusSessions {
  private readonly sessions = new Map<string, S>();
  private readonly written = new WeakMap<S, Written<D>>();
  private readonly dirty = new Set<S>();
  /** Client ids whose records go at the next flush. */
  private deletes: string[] = [];
  /** Commands that must follow this turn's session writes (released answers, stream acknowledgements). */
  private tail: Command[] = [];
  /** commitWith() commands and callbacks of the next flush (told whether its EXEC applied). */
  private withCommit: Command[] = [];
  private tailDone: ((err: unknown) => void)[] = [];
  /** afterCommit callbacks waiting for the next flush's EXEC, and those of the EXEC on its way. */
  private batch: (() => void)[] = [];
  private lastExec: { callbacks: (() => void)[] } | undefined;
  private scheduled = false;
  private degradedLogged = false;
  /** Send order of inflight records (ms-based so it keeps growing across nodes and restarts). */
  private order = Date.now() * 1000;
  private readonly nextOrder = (): number => ++this.order;
  private owner: SessionOwner<S> | undefined;
  private restoredSessions: RestoredSession<S>[] | undefined;
  /** Client ids of the sessions restored at start (their wills are pending wills, not orphans to publish). */
  readonly restoredIds = new Set<string>();
  /** Set by the bus: the hand-over (session-handover.ts). */
  acquirer: ((clientId: string, clean: boolean) => Promise<AcquireVerdict> | undefined) | undefined;

  constructor(
    private readonly link: StoreLink,
    readonly nodeId: string,
    private readonly factory: SessionFactory<S, D, M>,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
    /** Where the windows of moving sessions count the second copies they refuse. */
    private readonly moves: { duplicates: number } = { duplicates: 0 },
  ) {}

  // ---- SessionStore -----------------------------------------------------------------------------------------

  get(clientId: string): S | undefined {
    return this.sessions.get(clientId);
  }

  has(clientId: string): boolean {
    return this.sessions.has(clientId);
  }

  set(session: S): void {
    this.sessions.set(session.clientId, session);
    if (!this.written.has(session)) this.track(session);
  }

  delete(clientId: string): void {
    const session = this.sessions.get(clientId);
    if (!session) return;
    this.sessions.delete(clientId);
    this.dirty.delete(session);
    const w = this.written.get(session)!;
    this.quiet(w);
    if (w.stored) {
      this.deletes.push(clientId);
      this.schedule();
    }
    w.stored = false;
  }

  values(): IterableIterator<S> {
    return this.sessions.values();
  }

  get size(): number {
    return this.sessions.size;
  }

  changed(session: S, what: SessionChange): void {
    const w = this.written.get(session);
    if (!w || w.leaving || this.sessions.get(session.clientId) !== session) return;
    if (session.expiryInterval === 0 && !w.stored) return; // [MQTT-3.1.2-23] cannot be resumed: never written
    const bits = DIRTY_BY_CHANGE[what];
    if (bits === 0) return;
    w.dirty |= bits;
    this.dirty.add(session);
    this.schedule();
  }

  create(clientId: string): S {
    const queue = new RedisQueue<D>(this.factory.queue());
    const session = this.factory.session(clientId, queue);
    this.track(session);
    return session;
  }

  settled(): Promise<void> {
    return new Promise((resolve) => this.afterCommit(resolve));
  }

  afterCommit(fn: () => void): void {
    if (!this.link.ready) {
      this.noteDegraded();
      fn(); // Redis away: acknowledge rather than hold every publisher (docs/cluster.md)
    } else if (this.scheduled) this.batch.push(fn);
    else if (this.lastExec) this.lastExec.callbacks.push(fn); // acknowledgements keep their order [MQTT-4.6.0-2]
    else fn(); // nothing of this turn needs Redis
  }

  restored(): Iterable<RestoredSession<S>> {
    const r = this.restoredSessions ?? [];
    this.restoredSessions = undefined;
    return r;
  }

  acquire(clientId: string, clean: boolean): Promise<AcquireVerdict> | undefined {
    return this.acquirer?.(clientId, clean);
  }

  attach(owner: SessionOwner<S>): void {
    this.owner = owner;
  }

  handedOver(clientId: string): void {
    const session = this.sessions.get(clientId);
    if (!session) return;
    this.sessions.delete(clientId);
    const w = this.written.get(session)!;
    w.leaving = true;
    this.dirty.add(session); // its last state (offline since now, no pending will), then SREM from this node's set
    this.schedule();
  }

  // ---- what the hand-over and the bus use ---------------------------------------------------------------------

  /** Another node took the client id: the broker closes its connection here and hands the session over or ends it. */
  releaseLocal(clientId: string, clean: boolean): void {
    this.owner?.release(clientId, clean);
  }

  /** Says `released` for the client id once this turn's writes (the session's last state) are in Redis. */
  answer(clientId: string, epoch: number): void {
    this.tail.push(['publish', channels.events, encodeEvent({ type: 'released', node: this.nodeId, clientId, epoch })]);
    this.schedule();
  }

  /**
   * Adds `cmds` to the next flush's MULTI, after that turn's session writes, so they apply together or not at all:
   * a node stream entry is acknowledged in the transaction that stores what routing it changed (an entry can no
   * longer be committed and still pending when the node dies). `done` runs after that EXEC: with undefined when it
   * applied, with the error when it did not or Redis was away (the caller retries).
   */
  commitWith(cmds: Command[], done: (err: unknown) => void): void {
    for (const c of cmds) this.withCommit.push(c);
    this.tailDone.push(done);
    this.schedule();
  }

  leavingFilters(clientId: string): LeavingFilter[] | undefined {
    const session = this.sessions.get(clientId);
    if (!session || session.expiryInterval === 0) return undefined; // ends with its connection: nothing moves
    const out: LeavingFilter[] = [];
    for (const { filter, options } of session.subscriptions.values()) if (!isSharedFilter(filter)) out.push({ filter, noLocal: options.noLocal });
    return out;
  }

  /** Clean Start elsewhere while the record is not held here: it goes (the new session writes its own). */
  discard(clientId: string): void {
    if (this.sessions.has(clientId)) return; // held here: the broker ends it, which deletes it
    this.deletes.push(clientId);
    this.schedule();
  }

  /** Loads the session of a client connecting here and hands it to the broker; false: none in Redis. */
  async loadForClient(clientId: string, wanted: () => boolean): Promise<boolean> {
    const loaded = await readSession(this.link.cmd, clientId, this.factory, this.log);
    if (!loaded || !wanted() || this.sessions.has(clientId)) return false;
    const now = this.now();
    const offlineSince = loaded.offlineSince ?? now;
    this.install(loaded, offlineSince);
    this.owner?.adopt({ session: loaded.session, subscriptions: loaded.subscriptions, offlineMs: Math.max(0, now - offlineSince) });
    return true;
  }

  /**
   * Takes over every session `node` held (it is dead): they become offline sessions of this node, their expiry
   * counting the time already spent offline. A session that had a connection lost it now, so its will waits for
   * its Will Delay Interval or the session's end, as for any network loss [MQTT-3.1.2-8]. Returns their ids.
   */
  async adoptNode(node: string): Promise<ReadonlySet<string>> {
    const adopted = new Set<string>();
    for (const clientId of await this.link.cmd.smembers(keys.sessions(node))) {
      if (this.sessions.has(clientId)) continue;
      const loaded = await readSession(this.link.cmd, clientId, this.factory, this.log);
      if (!loaded || loaded.owner !== node || this.sessions.has(clientId)) continue; // moved on meanwhile
      const now = this.now();
      const online = loaded.offlineSince === undefined;
      if (online) loaded.session.pendingWill ??= loaded.connectionWill;
      this.install(loaded, loaded.offlineSince ?? now);
      this.owner?.adopt({ session: loaded.session, subscriptions: loaded.subscriptions, offlineMs: online ? 0 : Math.max(0, now - loaded.offlineSince!) });
      adopted.add(clientId);
    }
    await this.link.cmd.del(keys.sessions(node));
    return adopted;
  }

  /** At start: the sessions a previous run of this node id left (restored() hands them to the broker). */
  async loadOwn(): Promise<void> {
    const out: RestoredSession<S>[] = [];
    for (const clientId of await this.link.cmd.smembers(keys.sessions(this.nodeId))) {
      const loaded = await readSession(this.link.cmd, clientId, this.factory, this.log);
      if (!loaded || loaded.owner !== this.nodeId) continue;
      const now = this.now();
      const online = loaded.offlineSince === undefined;
      if (online) loaded.session.pendingWill ??= loaded.connectionWill; // the previous run died with it connected
      this.install(loaded, loaded.offlineSince ?? now);
      this.restoredIds.add(clientId);
      out.push({ session: loaded.session, subscriptions: loaded.subscriptions, offlineMs: online ? 0 : Math.max(0, now - loaded.offlineSince!) });
    }
    this.restoredSessions = out;
  }

  /** Redis went away: what is written now may be lost, so every session is written whole when it returns. */
  linkLost(): void {
    for (const session of this.sessions.values()) {
      const w = this.written.get(session)!;
      w.full = true;
      this.quiet(w);
    }
  }

  /** Redis is back (maybe restarted empty): every persistent session held here is written again. */
  linkBack(): void {
    this.degradedLogged = false;
    let n = 0;
    for (const session of this.sessions.values()) {
      if (session.expiryInterval === 0) continue;
      const w = this.written.get(session)!;
      w.full = true;
      this.dirty.add(session);
      n++;
    }
    if (n > 0) this.log.info(`cluster: writing ${n} session(s) back to Redis`);
    this.schedule();
  }

  /** Makes a loaded session one of this node's: written back with this node as owner at the next flush. */
  private install(loaded: LoadedSession<S>, offlineSince: number): void {
    const session = loaded.session; // its subscriptions come back through the broker's subscribe() (adopt)
    this.sessions.set(session.clientId, session);
    this.watchCopies(session);
    const w = this.track(session);
    w.stored = true;
    w.offlineSince = offlineSince;
    for (const [packetId, d] of session.inflight) w.inflight.set(packetId, { item: d, state: d.state, order: ++this.order });
    w.full = true; // owner, offline time and inflight order are this node's now; written once, whole
    w.dirty = ALL_DIRTY;
    this.dirty.add(session);
    this.schedule();
  }

  /**
   * A session that just came here (hand-over, adoption) can get a message twice for a while: directly, and forwarded
   * by the node it left or drained from a dead node's stream. It remembers the ids it holds and gets for MOVE_WINDOW_MS
   * (message-ids.ts), and the router skips a second copy.
   */
  private watchCopies(session: S): void {
    const window = new RecentIds(this.moves);
    for (const d of session.queue) if (d.message.id !== undefined) window.admit(d.message.id);
    for (const d of session.inflight.values()) if (d.message.id !== undefined) window.admit(d.message.id);
    session.recentIds = window;
    setTimeout(() => {
      if (session.recentIds === window) session.recentIds = undefined;
    }, MOVE_WINDOW_MS).unref();
  }

  // ---- writing ----------------------------------------------------------------------------------------------

  private track(session: S): Written<D> {
    const queue = session.queue as RedisQueue<D>;
    const w: Written<D> = { queue, inflight: new Map(), offlineSince: undefined, stored: false, full: false, dirty: 0, leaving: false };
    queue.touched = () => {
      this.dirty.add(session);
      this.schedule();
    };
    this.written.set(session, w);
    return w;
  }

  /** Stops logging queue operations: the next write of the session is a whole one, or none. */
  private quiet(w: Written<D>): void {
    w.queue.logging = false;
    w.queue.dropOps();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.flush);
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const callbacks = this.batch;
    this.batch = [];
    const tailDone = this.tailDone;
    this.tailDone = [];
    if (!this.link.ready) {
      if (callbacks.length) this.noteDegraded();
      for (const fn of callbacks) fn();
      this.withCommit = [];
      for (const fn of tailDone) fn(REDIS_AWAY);
      return; // what is dirty stays dirty; linkBack() writes every session whole
    }
    const cmds: Command[] = [];
    for (const id of this.deletes) cmds.push(['del', keys.session(id), keys.queue(id), keys.inflight(id)], ['srem', keys.sessions(this.nodeId), id]);
    this.deletes = [];
    for (const session of this.dirty) this.writeSession(session, cmds);
    this.dirty.clear();
    if (this.tail.length) {
      for (const c of this.tail) cmds.push(c);
      this.tail = [];
    }
    if (this.withCommit.length) {
      for (const c of this.withCommit) cmds.push(c);
      this.withCommit = [];
    }
    if (cmds.length === 0) {
      if (this.lastExec) this.lastExec.callbacks.push(...callbacks);
      else for (const fn of callbacks) fn();
      return;
    }
    const exec = { callbacks };
    this.lastExec = exec;
    let outcome: unknown;
    this.link.cmd
      .multi(cmds)
      .exec()
      .then(
        (replies) => {
          const failed = replies?.find(([err]) => err);
          if (failed) {
            outcome = failed[0];
            // a stream acknowledgement of a stream Redis lost (restarted empty) is expected; a session write is not
            if (!String(outcome).includes('NOGROUP')) this.log.warn({ err: String(outcome) }, 'cluster: a session write was refused by Redis');
          } else if (!replies) outcome = new Error('transaction discarded');
        },
        (err: unknown) => {
          outcome = err;
          this.log.warn({ err: String(err) }, 'cluster: session writes failed; sessions are written again when Redis answers');
          this.linkLost();
        },
      )
      .finally(() => {
        if (this.lastExec === exec) this.lastExec = undefined;
        for (const fn of tailDone) fn(outcome);
        for (const fn of exec.callbacks) fn();
      });
  };

  private writeSession(session: S, cmds: Command[]): void {
    const w = this.written.get(session)!;
    const id = session.clientId;
    if (w.leaving) this.written.delete(session);
    else if (this.sessions.get(id) !== session) return; // deleted meanwhile
    if (session.expiryInterval === 0) {
      // [MQTT-3.1.2-23] ends with its connection (and 0 never becomes more): a record written before goes
      if (w.stored) cmds.push(['del', keys.session(id), keys.queue(id), keys.inflight(id)], ['srem', keys.sessions(this.nodeId), id]);
      w.stored = false;
      w.dirty = 0;
      this.quiet(w);
      return;
    }
    if (!w.stored || w.full) this.writeWhole(session, w, cmds);
    else {
      const key = keys.session(id);
      if (w.dirty & Dirty.session) cmds.push(['hset', key, ...this.sessionFields(session, w)], ['sadd', keys.sessions(this.nodeId), id]);
      if (w.dirty & Dirty.subscriptions) cmds.push(['hset', key, F.subscriptions, encodeSubscriptions(session.subscriptions.values())]);
      if (w.dirty & Dirty.incoming) cmds.push(['hset', key, F.incoming, [...session.incomingQos2].join(',')]);
      queueCommands(w.queue, keys.queue(id), cmds);
      if (w.dirty & Dirty.inflight) inflightCommands(session, w.inflight, keys.inflight(id), cmds, this.nextOrder);
    }
    w.dirty = 0;
    if (w.leaving) {
      cmds.push(['srem', keys.sessions(this.nodeId), id]);
      this.quiet(w);
    }
  }

  private sessionFields(session: S, w: Written<D>): (string | number)[] {
    const online = session.connection !== undefined;
    w.offlineSince = online ? undefined : (w.offlineSince ?? this.now());
    return [
      F.owner, this.nodeId,
      F.expiry, session.expiryInterval,
      F.offline, w.offlineSince ?? '',
      F.pendingWill, encodeWillField(session.pendingWill),
      F.will, online ? encodeWillField(session.will) : '',
    ];
  }

  private writeWhole(session: S, w: Written<D>, cmds: Command[]): void {
    const id = session.clientId;
    const key = keys.session(id);
    cmds.push(['del', key, keys.queue(id), keys.inflight(id)]);
    cmds.push([
      'hset', key, ...this.sessionFields(session, w),
      F.subscriptions, encodeSubscriptions(session.subscriptions.values()),
      F.incoming, [...session.incomingQos2].join(','),
    ]);
    let values: Buffer[] = [];
    for (const d of session.queue) {
      values.push(encodeDelivery(d));
      if (values.length === CHUNK) {
        cmds.push(['rpush', keys.queue(id), ...values]);
        values = [];
      }
    }
    if (values.length) cmds.push(['rpush', keys.queue(id), ...values]);
    const previous = w.inflight;
    w.inflight = new Map();
    let fields: (number | Buffer)[] = [];
    for (const [packetId, d] of session.inflight) {
      const order = previous.get(packetId)?.order ?? ++this.order;
      fields.push(packetId, encodeDelivery(d, { packetId, state: d.state, order }));
      w.inflight.set(packetId, { item: d, state: d.state, order });
      if (fields.length === 2 * CHUNK) {
        cmds.push(['hset', keys.inflight(id), ...fields]);
        fields = [];
      }
    }
    if (fields.length) cmds.push(['hset', keys.inflight(id), ...fields]);
    cmds.push(['sadd', keys.sessions(this.nodeId), id]);
    w.stored = true;
    w.full = false;
    w.queue.dropOps();
    w.queue.logging = true;
  }

  private noteDegraded(): void {
    if (this.degradedLogged) return;
    this.degradedLogged = true;
    this.log.warn('cluster: Redis is away: sessions are not written and acknowledgements do not wait for Redis until it returns');
  }
}
