// How the sessions a node holds reach Redis (redis-session-store.ts decides which sessions those are). What changed
// in one event-loop turn is written at its end in one atomic step (fenced-write.ts: refused once this node was
// reaped), with the commands that must apply with it (stream acknowledgements); PUBACK / PUBREC / PUBCOMP wait for
// it (afterCommit). Sessions that end with their connection are never written.
import type { Redis } from 'ioredis';
import type { Logger, SessionChange, StoredDelivery, StoredMessage, StoredSession } from '../broker/ports.js';
import { FENCED, fencedWrite, scriptArgs } from './fenced-write.js';
import { keys } from './keys.js';
import type { RedisQueue } from './redis-queue.js';
import { encodeDelivery, encodeSubscriptions, encodeWillField, SessionField as F } from './session-codec.js';
import { inflightCommands, queueCommands, type Command, type WrittenInflight } from './session-commands.js';

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

export class SessionWriter<S extends StoredSession<D>, D extends StoredDelivery<M>, M extends StoredMessage> {
  private readonly written = new WeakMap<S, Written<D>>();
  private readonly dirty = new Set<S>();
  /** Client ids whose records go at the next flush. */
  private deletes: string[] = [];
  /** Commands sent after the next flush's write, on the same connection (released answers). */
  private tail: Command[] = [];
  /** commitWith() commands and callbacks of the next flush (told whether its write applied). */
  private withCommit: Command[] = [];
  private tailDone: ((err: unknown) => void)[] = [];
  /** afterCommit callbacks waiting for the next flush's write, and those of the write on its way. */
  private batch: (() => void)[] = [];
  private lastExec: { callbacks: (() => void)[] } | undefined;
  private scheduled = false;
  private degradedLogged = false;
  /** Send order of inflight records (ms-based so it keeps growing across nodes and restarts). */
  private order = Date.now() * 1000;
  private readonly nextOrder = (): number => ++this.order;
  /** Set once this node was found reaped, until it has dropped its sessions: nothing is written. */
  private fenced = false;
  /** Until then (performance.now()) this node's alive key lives for sure: nobody can have reaped it (beat()). */
  private safeUntil = 0;
  private readonly write: ReturnType<typeof fencedWrite>;
  /** Called when a write is refused because this node was reaped. */
  onFenced: (() => void) | undefined;
  /** Called when a write failed with the connection: every session is written whole when Redis answers. */
  onLost: (() => void) | undefined;

  constructor(
    private readonly link: StoreLink,
    private readonly nodeId: string,
    private readonly log: Logger,
    private readonly now: () => number,
    /** Whether the node still holds this session (a session deleted meanwhile is not written). */
    private readonly held: (session: S) => boolean,
  ) {
    this.write = fencedWrite(link.cmd);
  }

  /** Starts following a session's changes (its queue logs its own operations). */
  track(session: S): void {
    if (this.written.has(session)) return;
    const queue = session.queue as RedisQueue<D>;
    const w: Written<D> = { queue, inflight: new Map(), offlineSince: undefined, stored: false, full: false, dirty: 0, leaving: false };
    queue.touched = () => {
      this.dirty.add(session);
      this.schedule();
    };
    this.written.set(session, w);
  }

  changed(session: S, what: SessionChange): void {
    const w = this.written.get(session);
    if (!w || w.leaving || !this.held(session)) return;
    if (session.expiryInterval === 0 && !w.stored) return; // [MQTT-3.1.2-23] cannot be resumed: never written
    const bits = DIRTY_BY_CHANGE[what];
    if (bits === 0) return;
    w.dirty |= bits;
    this.dirty.add(session);
    this.schedule();
  }

  /** The session ended here: its records go. */
  removed(session: S): void {
    this.dirty.delete(session);
    const w = this.written.get(session);
    if (!w) return;
    this.quiet(w);
    if (w.stored) {
      this.deletes.push(session.clientId);
      this.schedule();
    }
    w.stored = false;
  }

  /** Handed over to another node: its last state (offline since now, no pending will) is written, then it is let go. */
  leaving(session: S): void {
    const w = this.written.get(session);
    if (!w) return;
    w.leaving = true;
    this.dirty.add(session);
    this.schedule();
  }

  /** A session loaded from Redis is this node's now: written back whole (owner, offline time, inflight order). */
  installed(session: S, offlineSince: number): void {
    this.track(session);
    const w = this.written.get(session)!;
    w.stored = true;
    w.offlineSince = offlineSince;
    for (const [packetId, d] of session.inflight) w.inflight.set(packetId, { item: d, state: d.state, order: this.nextOrder() });
    w.full = true;
    w.dirty = ALL_DIRTY;
    this.dirty.add(session);
    this.schedule();
  }

  /** The records of a session not held here go at the next flush (Clean Start elsewhere). */
  deleteRecords(clientId: string): void {
    this.deletes.push(clientId);
    this.schedule();
  }

  /** Sends `cmd` right after the next flush's write, on the same connection. */
  after(cmd: Command): void {
    this.tail.push(cmd);
    this.schedule();
  }

  /**
   * Adds `cmds` to the next flush's write, after that turn's session commands, so they apply together or not at all:
   * a node stream entry is acknowledged in the write that stores what routing it changed (an entry can no longer be
   * committed and still pending when the node dies). `done` runs after that write: with undefined when it applied,
   * with the error when it did not or Redis was away (the caller retries).
   */
  commitWith(cmds: Command[], done: (err: unknown) => void): void {
    for (const c of cmds) this.withCommit.push(c);
    this.tailDone.push(done);
    this.schedule();
  }

  afterCommit(fn: () => void): void {
    if (!this.link.ready) {
      this.noteDegraded();
      fn(); // Redis away: acknowledge rather than hold every publisher (docs/cluster.md)
    } else if (this.scheduled) this.batch.push(fn);
    else if (this.lastExec) this.lastExec.callbacks.push(fn); // acknowledgements keep their order [MQTT-4.6.0-2]
    else fn(); // nothing of this turn needs Redis
  }

  settled(): Promise<void> {
    return new Promise((resolve) => this.afterCommit(resolve));
  }

  /** Redis went away: what is written now may be lost, so these sessions are written whole when it returns. */
  linkLost(sessions: Iterable<S>): void {
    for (const session of sessions) {
      const w = this.written.get(session)!;
      w.full = true;
      this.quiet(w);
    }
  }

  /** Redis is back (maybe restarted empty): every persistent session held here is written again. */
  linkBack(sessions: Iterable<S>): void {
    this.degradedLogged = false;
    let n = 0;
    for (const session of sessions) {
      if (session.expiryInterval === 0) continue;
      const w = this.written.get(session)!;
      w.full = true;
      this.dirty.add(session);
      n++;
    }
    if (n > 0) this.log.info(`cluster: writing ${n} session(s) back to Redis`);
    this.schedule();
  }

  /**
   * A heartbeat reached Redis: its alive key lives until `until` (performance.now(), with a margin), so until then no
   * survivor can have reaped this node and writes skip the reaped check (a plain MULTI: the script costs Redis about
   * 40 % more CPU per session write).
   */
  beat(until: number): void {
    this.safeUntil = until;
  }

  /** This node was reaped: nothing is written until unfence() (what the sessions changed meanwhile is dropped). */
  fence(): void {
    this.fenced = true;
  }

  unfence(): void {
    this.fenced = false;
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
    if (!this.link.ready || this.fenced) {
      if (callbacks.length && !this.fenced) this.noteDegraded();
      for (const fn of callbacks) fn();
      this.withCommit = [];
      for (const fn of tailDone) fn(REDIS_AWAY);
      if (this.fenced) this.dropWrites();
      return; // what is dirty stays dirty; linkBack() writes every session whole
    }
    const cmds: Command[] = [];
    for (const id of this.deletes) this.deleteCommands(id, cmds);
    this.deletes = [];
    for (const session of this.dirty) this.writeSession(session, cmds);
    this.dirty.clear();
    if (this.withCommit.length) {
      for (const c of this.withCommit) cmds.push(c);
      this.withCommit = [];
    }
    // after the writes, on the same connection (so in order), outside the script: PUBLISH is not a key command
    const tail = this.tail;
    this.tail = [];
    if (cmds.length === 0) {
      for (const c of tail) this.send(c);
      if (this.lastExec) this.lastExec.callbacks.push(...callbacks);
      else for (const fn of callbacks) fn();
      return;
    }
    const exec = { callbacks };
    this.lastExec = exec;
    let outcome: unknown;
    this.run(cmds)
      .then(
        (reply) => {
          if (reply === FENCED) {
            outcome = new Error('this node was reaped: its sessions are adopted by another node');
            this.fenced = true;
            this.onFenced?.();
            return;
          }
          if (Array.isArray(reply) && reply.length > 0) {
            outcome = new Error(reply[0]);
            // a stream acknowledgement of a stream Redis lost (restarted empty) is expected; a session write is not
            if (!reply[0]!.includes('NOGROUP')) this.log.warn({ err: reply[0] }, 'cluster: a session write was refused by Redis');
          }
        },
        (err: unknown) => {
          outcome = err;
          this.log.warn({ err: String(err) }, 'cluster: session writes failed; sessions are written again when Redis answers');
          this.onLost?.(); // every session is written whole when Redis answers
        },
      )
      .finally(() => {
        if (this.lastExec === exec) this.lastExec = undefined;
        for (const fn of tailDone) fn(outcome);
        for (const fn of exec.callbacks) fn();
      });
    for (const c of tail) this.send(c);
  };

  /**
   * The turn's commands, atomically: a MULTI while this node's last heartbeat guarantees it cannot have been reaped
   * (its alive key still lives), else the script that checks the reaped mark first (fenced-write.ts). Returns the
   * errors of refused commands, or FENCED.
   */
  private async run(cmds: Command[]): Promise<string | string[]> {
    if (!this.fenced && performance.now() < this.safeUntil) {
      const replies = await this.link.cmd.multi(cmds).exec();
      if (!replies) throw new Error('transaction discarded');
      return replies.filter(([err]) => err).map(([err]) => String(err));
    }
    return this.write(keys.reaped(this.nodeId), ...scriptArgs(cmds));
  }

  private send(c: Command): void {
    this.link.cmd.call(String(c[0]), ...c.slice(1)).catch(() => {});
  }

  /** Fenced: what the sessions changed is not written (they belong to another node now). */
  private dropWrites(): void {
    for (const session of this.dirty) this.quiet(this.written.get(session)!);
    this.dirty.clear();
    this.deletes = [];
    this.tail = [];
  }

  private writeSession(session: S, cmds: Command[]): void {
    const w = this.written.get(session)!;
    const id = session.clientId;
    if (w.leaving) this.written.delete(session);
    else if (!this.held(session)) return; // deleted meanwhile
    if (session.expiryInterval === 0) {
      // [MQTT-3.1.2-23] ends with its connection (and 0 never becomes more): a record written before goes
      if (w.stored) this.deleteCommands(id, cmds);
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

  /** A session's records go, and it leaves this node's set. */
  private deleteCommands(id: string, cmds: Command[]): void {
    cmds.push(['del', keys.session(id), keys.queue(id), keys.inflight(id)], ['srem', keys.sessions(this.nodeId), id]);
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
      const order = previous.get(packetId)?.order ?? this.nextOrder();
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
