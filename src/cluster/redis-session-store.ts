// SessionStore on Redis, shared by the nodes of a cluster. The node that holds a session keeps it live in memory
// (the truth, as with SQLite); session-writer.ts writes what changed once per event-loop turn, and PUBACK / PUBREC /
// PUBCOMP wait for that write (afterCommit). Sessions that end with their connection (Session Expiry 0, 3.1.1
// CleanSession 1) are never written: a non-persistent client costs Redis nothing.
// Keys (keys.ts): session:{id} HASH, queue:{id} LIST, inflight:{id} HASH, sessions:{node} SET.
// Redis away: nothing blocks (acknowledgements go at once, logged once); every session is written whole when it
// returns. Moving a session between nodes is session-handover.ts; this file loads, adopts and forgets sessions.
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
import { isSharedFilter } from '../protocol/topic.js';
import { encodeEvent } from './cluster-events.js';
import { channels, keys } from './keys.js';
import { RecentIds } from './message-ids.js';
import { RedisQueue } from './redis-queue.js';
import type { Command } from './session-commands.js';
import type { LeavingFilter } from './session-forwarding.js';
import { readSession, type LoadedSession } from './session-reader.js';
import { SessionWriter, type StoreLink } from './session-writer.js';
export type { LoadedSession, StoreLink };

/** How long a session that came here skips second copies: the forwarding (5 s) and a dead node's drain (12 s), with margin. */
export const MOVE_WINDOW_MS = 20_000;

/** What the bus calls on the store: adoption when it reaps a dead node, Redis outages, being reaped while alive. */
export interface BusSessions {
  readonly restoredIds: ReadonlySet<string>;
  adoptNode(node: string): Promise<ReadonlySet<string>>;
  linkLost(): void;
  linkBack(): void;
  /** Resolves once what changed so far is written (or Redis is away). */
  settled(): Promise<void>;
  /** This node was reaped while alive: its persistent sessions are adopted elsewhere; drop them here without writing. */
  abandonAll(): void;
  /** Registered again: writes go on. */
  unfence(): void;
  /** A heartbeat reached Redis: until `until` (performance.now()) this node cannot have been reaped. */
  beat(until: number): void;
  /** Called when a write is refused because this node was reaped (fenced-write.ts). */
  onFenced: (() => void) | undefined;
  commitWith(cmds: Command[], done: (err: unknown) => void): void;
}

export class RedisSessionStore<S extends StoredSession<D>, D extends StoredDelivery<M>, M extends StoredMessage> implements SessionStore<S>, BusSessions {
  private readonly sessions = new Map<string, S>();
  private readonly writer: SessionWriter<S, D, M>;
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
  ) {
    this.writer = new SessionWriter<S, D, M>(link, nodeId, log, now, (s) => this.sessions.get(s.clientId) === s);
    this.writer.onLost = () => this.linkLost();
  }

  get onFenced(): (() => void) | undefined {
    return this.writer.onFenced;
  }
  set onFenced(fn: (() => void) | undefined) {
    this.writer.onFenced = fn;
  }

  // ---- SessionStore -----------------------------------------------------------------------------------------

  get(clientId: string): S | undefined {
    return this.sessions.get(clientId);
  }

  has(clientId: string): boolean {
    return this.sessions.has(clientId);
  }

  set(session: S): void {
    this.sessions.set(session.clientId, session);
    this.writer.track(session);
  }

  delete(clientId: string): void {
    const session = this.sessions.get(clientId);
    if (!session) return;
    this.sessions.delete(clientId);
    this.writer.removed(session);
  }

  values(): IterableIterator<S> {
    return this.sessions.values();
  }

  get size(): number {
    return this.sessions.size;
  }

  changed(session: S, what: SessionChange): void {
    this.writer.changed(session, what);
  }

  create(clientId: string): S {
    const queue = new RedisQueue<D>(this.factory.queue());
    const session = this.factory.session(clientId, queue);
    this.writer.track(session);
    return session;
  }

  afterCommit(fn: () => void): void {
    this.writer.afterCommit(fn);
  }

  settled(): Promise<void> {
    return this.writer.settled();
  }

  commitWith(cmds: Command[], done: (err: unknown) => void): void {
    this.writer.commitWith(cmds, done);
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
    this.writer.leaving(session); // its last state, then SREM from this node's set
  }

  // ---- what the hand-over and the bus use ---------------------------------------------------------------------

  /** Another node took the client id: the broker closes its connection here and hands the session over or ends it. */
  releaseLocal(clientId: string, clean: boolean): void {
    this.owner?.release(clientId, clean);
  }

  /** Says `released` for the client id once this turn's writes (the session's last state) are in Redis. */
  answer(clientId: string, epoch: number): void {
    this.writer.after(['publish', channels.events, encodeEvent({ type: 'released', node: this.nodeId, clientId, epoch })]);
  }

  /** Whether a persistent session of `clientId` is held here (its changes are written to Redis). */
  holdsPersistent(clientId: string): boolean {
    return (this.sessions.get(clientId)?.expiryInterval ?? 0) > 0;
  }

  /** The plain (not shared) filters of a persistent session held here; undefined when it is not held or ends. */
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
    this.writer.deleteRecords(clientId);
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
   * Takes over every session `node` held (it is dead, or left): they become offline sessions of this node, their
   * expiry counting the time already spent offline. A session that had a connection lost it now, so its will waits
   * for its Will Delay Interval or the session's end, as for any network loss [MQTT-3.1.2-8]. Returns their ids.
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

  abandonAll(): void {
    this.writer.fence();
    // the persistent ones were adopted by a survivor: each connection closes (5.0: DISCONNECT 0x8E) and the session
    // leaves the broker unwritten, its client resumes it on any node; clients without one stay (not in Redis)
    const ids = [...this.sessions.values()].filter((s) => s.expiryInterval > 0).map((s) => s.clientId);
    for (const id of ids) this.owner?.release(id, false);
    for (const id of ids) this.sessions.delete(id);
    this.log.warn(`cluster: dropped ${ids.length} session(s) adopted by other nodes while this node was taken for dead`);
  }

  unfence(): void {
    this.writer.unfence();
  }

  beat(until: number): void {
    this.writer.beat(until);
  }

  linkLost(): void {
    this.writer.linkLost(this.sessions.values());
  }

  linkBack(): void {
    this.writer.linkBack(this.sessions.values());
  }

  /** Makes a loaded session one of this node's: written back with this node as owner at the next flush. */
  private install(loaded: LoadedSession<S>, offlineSince: number): void {
    const session = loaded.session; // its subscriptions come back through the broker's subscribe() (adopt)
    this.sessions.set(session.clientId, session);
    this.watchCopies(session);
    this.writer.installed(session, offlineSince);
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
}
