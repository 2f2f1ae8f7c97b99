// ClusterBus on Redis (ioredis): several glassmq processes act as one broker.
// - filters: each node keeps its subscription filters in a Redis SET and announces changes on channels.events;
//   every node mirrors the others' filters in a RemoteFilterIndex, so a message goes only to nodes that want it;
// - messages: QoS 1/2 through a Redis STREAM per node (at least once: node-stream.ts, stream-forward.ts), QoS 0
//   through one pub/sub channel per node (at most once, as QoS 0 promises, at a third of the cost);
// - share groups: the publishing node picks, per message, the one node that serves each matching group;
// - retained: a Redis HASH, with changes announced on channels.retained to every node's local cache;
// - client ids: a HASH clientId -> "NODE EPOCH" and take-over events (client-claims.ts);
// - wills: a HASH per node of its connections' wills; a node that stops beating has them published by one survivor;
// - Redis lost while running: local traffic is untouched, cross-node messages are counted as undeliverable,
//   and when Redis returns the node writes its state back (Redis may have restarted empty) and reads the others'.
import { Redis } from 'ioredis';
import type { ClusterBus, ClusterInbound, ClusterSharedFilter, Logger, StoredMessage } from '../broker/ports.js';
import type { ClusterNodeView } from '../broker/ports.js'; // [dashboard] nodes()
import type { Will } from '../protocol/packets.js';
import { ClientClaims } from './client-claims.js';
import { decodeEvent, encodeEvent, type ClusterEvent } from './cluster-events.js';
import { ClusterError, maskUrl } from './errors.js';
import { ClusterView } from './cluster-view.js';
import { channels, keys } from './keys.js';
import { decodeClusterMessage, emptyRetained, encodeClusterMessage, willMessage } from './message-codec.js';
import { RedisLink } from './redis-link.js';
import { nodeViews, readRemoteNodes } from './node-list.js';
import { decodeRecord, RetainedStamps, retainedWrite, TOMBSTONE_MS, type RetainedChange, type RetainedWrite, type WriteMode } from './retained-sync.js';
import { createGroup, drainStream, NodeStreamReader, type EntrySink } from './node-stream.js';
import { StreamForwarder } from './stream-forward.js';
import type { RedisTarget } from './redis-target.js';
import { groupKey, type GroupPick } from './shared-groups.js';
import type { SessionFactory, StoredDelivery, StoredSession } from '../broker/ports.js'; // [sessions]
import { RedisSessionStore, type BusSessions } from './redis-session-store.js'; // [sessions]
import { SessionHandover } from './session-handover.js'; // [sessions]

/** How often a node says it is alive, and how long that lasts: a node silent for 3 beats gets no messages. */
const HEARTBEAT_MS = 2000;
const ALIVE_TTL_MS = 3 * HEARTBEAT_MS;
/** Full re-read of the other nodes' filters: heals any announcement lost while a connection was down. */
const RESYNC_MS = 5000;
/** $SYS topics are per node: never shared. */
const LOCAL_ONLY_PREFIX = '$SYS';
/** Deletes the registry entry only if it still names this connection (a newer one may have claimed the id). */
/** How long a survivor holds the right to publish a dead node's wills (it takes far less). */
const REAP_LOCK_MS = 30_000;
const RELEASE_SCRIPT = "if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end return 0";

export interface RedisBusOptions {
  /** redis://[user:password@]host:port[/db] or rediss://; with `target`, only what log and error lines show. */
  url: string;
  /** Sentinel or Redis Cluster (redis-target.ts); absent: the standalone Redis of `url`. */
  target?: RedisTarget;
  nodeId: string;
  logger: Logger;
  now?: () => number;
}

export class RedisClusterBus implements ClusterBus {
  readonly nodeId: string;
  private inbound: ClusterInbound | undefined;
  private readonly view: ClusterView;
  private readonly local = new Map<string, number>();
  private readonly claims = new ClientClaims();
  private readonly matched = new Set<string>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly now: () => number;
  private readonly log: Logger;
  private retainedSnapshot: Map<string, Buffer> | undefined;
  /** Newest retained change per topic, and this node's changes made while Redis was away (retained-sync.ts). */
  private readonly retainedStamps = new RetainedStamps();
  private retainedWriter: RetainedWrite | undefined;
  /** Wills of this node's connections (client id -> encoded), written back when Redis returns empty. */
  private readonly wills = new Map<string, Buffer>();
  /** Wills a previous run of this node id left in Redis (it was killed): published once attached. */
  private orphanWills: [string, Buffer][] = [];
  /** [sessions] The Redis session store (--cluster) and the hand-over of sessions between nodes. */
  private sessions: BusSessions | undefined;
  private handover: SessionHandover | undefined;
  /** [sessions] Reaps under way, so a CONNECT waiting on a dead node and the resync share one. */
  private readonly reaping = new Map<string, Promise<void>>();
  /** How many other nodes were alive at the last resync. */
  private liveOthers = 0;
  /** The other live nodes' counters, as of the last resync. */
  private readonly remoteCounters = new Map<string, Record<string, string>>();
  /** No reaping before this time: after Redis returns, the other nodes need a moment to beat again. */
  private reapNotBefore = 0;
  private closed = false;
  /** QoS 1/2 messages out (one XADD per target node) and in (this node's stream). */
  private readonly forwarder: StreamForwarder;
  private reader: NodeStreamReader | undefined;
  /** Entries of dead nodes' streams routed here to the sessions adopted from them. */
  private drained = 0;
  // counters for $SYS/broker/cluster/...
  private sent = 0;
  private received = 0;
  private undeliverable = 0;
  private undeliverableAtGap = 0;

  private constructor(
    private readonly link: RedisLink,
    options: RedisBusOptions,
  ) {
    this.nodeId = options.nodeId;
    this.view = new ClusterView(options.nodeId);
    this.log = options.logger;
    this.now = options.now ?? Date.now;
    this.forwarder = new StreamForwarder(() => this.link.cmd);
  }

  /** Connects to Redis and joins the cluster; throws ClusterError (REDIS_UNREACHABLE) when Redis does not answer. */
  static async connect(options: RedisBusOptions): Promise<RedisClusterBus> {
    if (!/^[A-Za-z0-9._-]+$/.test(options.nodeId)) {
      throw new ClusterError('BAD_NODE_ID', maskUrl(options.url), `node id "${options.nodeId}": use letters, digits, . _ -`);
    }
    const where = maskUrl(options.url);
    let link: RedisLink | undefined;
    try {
      link = await RedisLink.open(options.target ?? options.url, options.logger);
      const bus = new RedisClusterBus(link, options);
      await bus.join();
      return bus;
    } catch (err) {
      link?.disconnect();
      const detail = err instanceof Error ? err.message : String(err);
      throw new ClusterError('REDIS_UNREACHABLE', where, `cannot reach Redis at ${where}: ${detail}`);
    }
  }

  private get cmd(): Redis {
    return this.link.cmd;
  }

  /** First contact: subscribe, register, read the others' filters and the retained messages. */
  private async join(): Promise<void> {
    // a script command must exist before the first auto-pipeline is built: one defined later is missing from the
    // pipeline of its tick, and ioredis then throws out of its callback (the process dies, ioredis issue #1931)
    this.retainedWriter ??= retainedWrite(this.cmd);
    const sub = this.link.sub;
    sub.on('messageBuffer', (channel, data) => this.onChannel(channel.toString(), data));
    await sub.subscribe(channels.messages(this.nodeId), channels.retained, channels.events);
    this.orphanWills = Object.entries(await this.cmd.hgetallBuffer(keys.wills(this.nodeId)));
    await this.register();
    await this.loadRemote();
    const all = await this.cmd.hgetallBuffer(keys.retained);
    this.retainedSnapshot = new Map(Object.entries(all));
    this.link.onLost = () => this.lost();
    this.link.onBack = (what) => void this.back(what);
    this.timers.push(setInterval(() => void this.heartbeat(), HEARTBEAT_MS).unref());
    this.timers.push(setInterval(() => void this.loadRemote().catch(() => {}), RESYNC_MS).unref());
  }

  attach(inbound: ClusterInbound): void {
    this.inbound = inbound;
    // only now: an entry read before there is a broker to route it to would be acknowledged and lost
    this.reader = new NodeStreamReader(this.link, this.nodeId, this.streamSink(), this.log);
    this.reader.start();
    const now = this.now();
    for (const bytes of this.retainedSnapshot?.values() ?? []) this.applyRetained(bytes, now); // empty payload: cleared
    this.retainedSnapshot = undefined;
    // [sessions] a restored persistent session keeps its will as a pending will (Will Delay Interval honoured)
    const orphans = this.orphanWills.splice(0).filter(([id]) => !this.sessions?.restoredIds.has(id)).map(([, bytes]) => bytes);
    if (orphans.length) this.log.info(`cluster: publishing ${orphans.length} will(s) left by the previous run of node ${this.nodeId}`);
    this.publishWills(orphans);
  }

  /**
   * [sessions] The SessionStore for --cluster: persistent sessions live in Redis and move between nodes. Loads the
   * sessions a previous run of this node id left (restored() hands them to the broker). Call before the broker exists.
   */
  async openSessionStore<S extends StoredSession<D>, D extends StoredDelivery<M>, M extends StoredMessage>(
    factory: SessionFactory<S, D, M>,
  ): Promise<RedisSessionStore<S, D, M>> {
    const store = new RedisSessionStore<S, D, M>(this.link, this.nodeId, factory, this.log, this.now);
    await store.loadOwn();
    const handover = new SessionHandover({ nodeId: this.nodeId, link: this.link, reapNode: (n) => this.reapNode(n) }, store, this.log);
    store.acquirer = (clientId, clean) => handover.acquire(clientId, clean);
    this.sessions = store;
    this.handover = handover;
    return store;
  }

  // ---- outgoing -----------------------------------------------------------------------------------------------

  publish(message: StoredMessage): ClusterSharedFilter | undefined {
    const topic = message.topic;
    const { plain, groups } = this.view;
    if ((plain.size === 0 && groups.size === 0) || topic.startsWith(LOCAL_ONLY_PREFIX)) return undefined;
    const targets = plain.size === 0 ? this.matched : plain.match(topic, this.matched);
    const pick = groups.pick(topic);
    if (pick) for (const node of pick.byNode.keys()) if (node !== this.nodeId) targets.add(node);
    try {
      if (targets.size === 0) return pick && this.servedHere(pick);
      if (!this.link.ready) {
        this.undeliverable += targets.size;
        return undefined; // nothing can leave: this node serves its own share groups
      }
      const now = this.now();
      const common = pick ? undefined : encodeClusterMessage(message, this.nodeId, now);
      for (const node of targets) {
        this.sent++;
        const bytes = common ?? encodeClusterMessage(message, this.nodeId, now, pick!.byNode.get(node));
        // QoS 1/2: appended to the target's stream, in publish order on the one command connection; the
        // publisher's ack waits for Redis to answer (afterForward). QoS 0 needs no such promise: pub/sub (order
        // is owed per topic and QoS only [MQTT-4.6.0-5], so the two paths need not keep order between them)
        if (message.qos > 0) this.forwarder.send(node, bytes);
        else this.cmd.publish(channels.messages(node), bytes).catch(() => this.undeliverable++);
      }
      return pick && this.servedHere(pick);
    } finally {
      targets.clear();
    }
  }

  afterForward(fn: () => void): void {
    this.forwarder.afterForward(fn);
  }

  private servedHere(pick: GroupPick): ClusterSharedFilter {
    const mine = pick.byNode.get(this.nodeId);
    return mine ? (name, filter) => mine.includes(groupKey(name, filter)) : () => false;
  }

  retain(topic: string, message: StoredMessage | undefined): void {
    if (topic.startsWith(LOCAL_ONLY_PREFIX)) return;
    const now = this.now();
    const change = { topic, stamp: this.retainedStamps.stampFor(topic, now), message };
    this.retainedStamps.advance(topic, change.stamp, message === undefined, now);
    if (!this.link.ready) return this.retainedStamps.hold(change); // replayed when Redis returns (reseedRetained)
    this.writeRetained(change, 'live').catch(() => this.retainedStamps.hold(change));
  }

  /** One retained change into Redis (a clear stays as a tombstone) and out to every node (retained-sync.ts). */
  private writeRetained(change: RetainedChange, mode: WriteMode): Promise<number> {
    const now = this.now();
    const bytes = encodeClusterMessage(change.message ?? emptyRetained(change.topic, now), this.nodeId, now);
    const clear = change.message ? '0' : '1';
    this.retainedWriter ??= retainedWrite(this.cmd);
    return this.retainedWriter(keys.retained, keys.retainedCleared, change.topic, change.stamp, bytes, clear, channels.retained, mode, now - TOMBSTONE_MS);
  }

  subscription(filter: string, added: boolean): void {
    if (filter.startsWith(LOCAL_ONLY_PREFIX)) return;
    const count = (this.local.get(filter) ?? 0) + (added ? 1 : -1);
    if (count > 0) this.local.set(filter, count);
    else this.local.delete(filter);
    if (count !== (added ? 1 : 0)) return; // only the first / last one changes the node's set
    this.view.apply(this.nodeId, filter, added);
    if (!this.link.ready) return; // register() writes the whole set when Redis returns
    const tx = this.cmd.multi();
    if (added) tx.sadd(keys.filters(this.nodeId), filter);
    else tx.srem(keys.filters(this.nodeId), filter);
    tx.publish(channels.events, encodeEvent({ type: 'filter', node: this.nodeId, filter, added })).exec().catch(() => {});
  }

  claimClientId(clientId: string): void {
    if (this.handover) return this.handover.claimed(clientId); // [sessions] claimed before CONNACK (acquire)
    const token = this.claims.begin(clientId);
    if (!this.link.ready) {
      this.claims.resolve(clientId, token, 0); // any claim made through Redis wins over this one
      return;
    }
    this.cmd
      .incr(keys.epoch)
      .then(async (epoch) => {
        if (this.claims.resolve(clientId, token, epoch)) this.inbound?.takenOver(clientId);
        const event = encodeEvent({ type: 'takeover', node: this.nodeId, clientId, epoch });
        await this.cmd.multi().hset(keys.clients, clientId, `${this.nodeId} ${epoch}`).publish(channels.events, event).exec();
      })
      .catch(() => {});
  }

  holdWill(clientId: string, will: Will | undefined): void {
    if (!will) {
      if (this.wills.delete(clientId) && this.link.ready) this.cmd.hdel(keys.wills(this.nodeId), clientId).catch(() => {});
      return;
    }
    const bytes = encodeClusterMessage(willMessage(clientId, will, this.now()), this.nodeId, this.now());
    this.wills.set(clientId, bytes);
    if (this.link.ready) this.cmd.hset(keys.wills(this.nodeId), clientId, bytes).catch(() => {});
  }

  releaseClientId(clientId: string): void {
    this.holdWill(clientId, undefined);
    if (this.handover) return this.handover.release(clientId); // [sessions]
    const epoch = this.claims.release(clientId);
    if (epoch === undefined || epoch === 0 || !this.link.ready) return;
    this.cmd.eval(RELEASE_SCRIPT, 1, keys.clients, clientId, `${this.nodeId} ${epoch}`).catch(() => {});
  }

  *sysValues(): Iterable<readonly [string, number | string]> {
    yield ['cluster/node', this.nodeId];
    yield ['cluster/nodes', 1 + this.liveOthers];
    yield ['cluster/remote-filters', this.view.plain.size];
    yield ['cluster/share-groups', this.view.groups.size];
    yield ['cluster/messages/sent', this.sent];
    yield ['cluster/messages/received', this.received];
    yield ['cluster/messages/undeliverable', this.undeliverableTotal];
    yield ['cluster/messages/unconfirmed', this.forwarder.unconfirmed];
    yield ['cluster/stream/backlog', this.reader?.backlog ?? 0];
    yield ['cluster/stream/acked', this.reader?.acked ?? 0];
    yield ['cluster/stream/redelivered', this.reader?.redelivered ?? 0];
    yield ['cluster/stream/drained', this.drained];
    yield ['cluster/redis/connected', this.link.ready ? 1 : 0];
    yield ['cluster/redis/outages', this.link.outages];
    // cluster totals: this node now, the others as of their last heartbeat
    for (const [name, value] of Object.entries(this.inbound?.counters() ?? {})) {
      let total = value;
      for (const c of this.remoteCounters.values()) total += Number(c[name] ?? 0);
      yield [`cluster/total/${name}`, total];
    }
  }

  /** [dashboard] The nodes with their figures, read from Redis; while Redis is away, the others as of the last resync. */
  async nodes(): Promise<ClusterNodeView[]> {
    const own = this.inbound?.counters() ?? {};
    const read = this.link.ready ? await readRemoteNodes(this.cmd, this.nodeId).catch(() => undefined) : undefined;
    const others = read ?? [...this.remoteCounters].map(([id, counters]) => ({ id, alive: true, counters }));
    return nodeViews(this.nodeId, own, others);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    this.reader?.stop(); // what it read and did not commit stays pending: a restart with this id reads it again
    this.forwarder.close();
    if (this.link.ready) {
      await this.cmd
        .multi()
        .srem(keys.nodes, this.nodeId)
        .del(keys.filters(this.nodeId), keys.alive(this.nodeId), keys.stats(this.nodeId))
        .publish(channels.events, encodeEvent({ type: 'leave', node: this.nodeId }))
        .exec()
        .catch(() => {});
    }
    await this.link.close();
  }

  // ---- incoming -----------------------------------------------------------------------------------------------

  private onChannel(channel: string, data: Buffer): void {
    if (this.closed) return;
    const now = this.now();
    try {
      if (channel === channels.events) this.onEvent(decodeEvent(data.toString('utf8')));
      else if (channel === channels.retained) this.applyRetained(data, now);
      else this.routeRemote(data, now, undefined);
    } catch (err) {
      this.log.warn({ channel, err: String(err) }, 'cluster: ignored a message that could not be read');
    }
  }

  /** A message another node sent: to this node's subscribers, or only to `adopted` (a dead node's sessions). */
  private routeRemote(data: Buffer, now: number, adopted: ReadonlySet<string> | undefined): void {
    const { message, groups } = decodeClusterMessage(data, now);
    this.received++;
    const served: ClusterSharedFilter = groups ? (name, filter) => groups.includes(groupKey(name, filter)) : () => false;
    if (adopted) this.inbound?.messageFor(message, served, adopted);
    else this.inbound?.message(message, served);
  }

  /** Where stream entries go: routed like pub/sub messages, acknowledged once the session store committed. */
  private streamSink(adopted?: ReadonlySet<string>): EntrySink {
    return {
      route: (bytes) => {
        if (this.closed) return;
        try {
          this.routeRemote(bytes, this.now(), adopted);
        } catch (err) {
          this.log.warn({ err: String(err) }, 'cluster: ignored a stream entry that could not be read');
        }
      },
      afterCommit: (fn) => {
        if (this.inbound) this.inbound.afterCommit(fn);
        else fn();
      },
    };
  }

  /** A retained record (Redis HASH value or channel message): applied here only if newer than what this node knows. */
  private applyRetained(bytes: Buffer, now: number): void {
    let stamp: number, node: string, message: StoredMessage;
    try {
      const record = decodeRecord(bytes);
      stamp = record.stamp;
      ({ node, message } = decodeClusterMessage(record.codecBytes, now));
    } catch (err) {
      this.log.warn({ err: String(err) }, 'cluster: ignored a retained record that could not be read');
      return;
    }
    if (!this.inbound) {
      const kept = this.retainedSnapshot?.get(message.topic);
      if (!kept || decodeRecord(kept).stamp < stamp) this.retainedSnapshot?.set(message.topic, bytes); // before attach(): newest wins
      return;
    }
    const cleared = message.payload.length === 0;
    if (!this.retainedStamps.advance(message.topic, stamp, cleared, now)) return; // this node knows a newer change
    if (node === this.nodeId && this.retainedSnapshot === undefined) return; // ours: already in the local store
    this.inbound.retained(message.topic, cleared ? undefined : message);
  }

  private onEvent(e: ClusterEvent | undefined): void {
    if (!e || e.node === this.nodeId) return;
    switch (e.type) {
      case 'filter':
        this.view.apply(e.node, e.filter, e.added);
        return;
      case 'reset':
        void this.loadNode(e.node).catch(() => {});
        return;
      case 'leave':
        this.view.forget(e.node);
        return;
      case 'takeover':
        if (this.handover) this.handover.onTakeover(e); // [sessions] close here, hand the session over, answer
        else if (this.claims.remote(e.clientId, e.epoch)) this.inbound?.takenOver(e.clientId); // [MQTT-3.1.4-3]
        return;
      case 'released':
        this.handover?.onReleased(e); // [sessions]
        return;
    }
  }

  // ---- membership and resync ----------------------------------------------------------------------------------

  /** Writes this node's whole state (its filters, alive key) and tells the others to read it. */
  private async register(): Promise<void> {
    const filtersKey = keys.filters(this.nodeId);
    // the stream first: a node that sees this one registered may XADD to it at once (NOMKSTREAM)
    const tx = createGroup(this.cmd.multi(), this.nodeId).sadd(keys.nodes, this.nodeId).del(filtersKey);
    if (this.local.size > 0) tx.sadd(filtersKey, ...this.local.keys());
    tx.del(keys.wills(this.nodeId));
    if (this.wills.size > 0) tx.hset(keys.wills(this.nodeId), Object.fromEntries(this.wills));
    tx.set(keys.alive(this.nodeId), '1', 'PX', ALIVE_TTL_MS);
    tx.publish(channels.events, encodeEvent({ type: 'reset', node: this.nodeId }));
    await tx.exec();
  }

  /** Reads every live node's filters; nodes that left or stopped beating are forgotten. */
  private async loadRemote(): Promise<void> {
    const members = (await this.cmd.smembers(keys.nodes)).filter((n) => n !== this.nodeId);
    const alive = members.length ? await this.cmd.mget(members.map((n) => keys.alive(n))) : [];
    const live = members.filter((_, i) => alive[i] !== null);
    if (this.now() >= this.reapNotBefore) {
      for (const dead of members.filter((_, i) => alive[i] === null)) void this.reapNode(dead);
    }
    const reads = this.cmd.pipeline();
    for (const n of live) reads.smembers(keys.filters(n)).hgetall(keys.stats(n));
    const results = live.length ? await reads.exec() : [];
    const liveSet = new Set(live);
    this.liveOthers = live.length;
    for (const n of this.view.nodes()) if (!liveSet.has(n)) this.view.forget(n);
    this.remoteCounters.clear();
    live.forEach((n, i) => {
      const [err, filters] = results?.[2 * i] ?? [null, []];
      if (!err) this.view.replaceNode(n, filters as string[]);
      const [statsErr, counters] = results?.[2 * i + 1] ?? [null, {}];
      if (!statsErr) this.remoteCounters.set(n, counters as Record<string, string>);
    });
  }

  private async loadNode(node: string): Promise<void> {
    this.view.replaceNode(node, await this.cmd.smembers(keys.filters(node)));
  }

  /**
   * A node stopped beating (killed, or cut off from Redis for longer than ALIVE_TTL_MS): one survivor, chosen by
   * a lock, publishes the wills of its connections [MQTT-3.1.2-8] and removes it from the cluster.
   */
  /** [sessions] Reaps `node` once at a time (the resync and CONNECTs waiting on it share the same reap). */
  reapNode(node: string): Promise<void> {
    if (this.now() < this.reapNotBefore) return Promise.resolve(); // Redis just came back: nobody has beaten yet
    let running = this.reaping.get(node);
    if (!running) {
      running = this.reap(node)
        .catch((err: unknown) => this.log.warn({ node, err: String(err) }, 'cluster: reaping a dead node failed; retrying at the next resync'))
        .finally(() => this.reaping.delete(node));
      this.reaping.set(node, running);
    }
    return running;
  }

  private async reap(node: string): Promise<void> {
    if ((await this.cmd.set(keys.reaper(node), this.nodeId, 'PX', REAP_LOCK_MS, 'NX')) !== 'OK') return;
    // [sessions] first the dead node's sessions become offline sessions here (filters announced, expiry armed)
    const adopted = (await this.sessions?.adoptNode(node)) ?? new Set<string>();
    await this.drainNode(node, adopted); // what it had received and not committed goes to the adopted sessions
    // [sessions] an adopted session's will is now its pending will (after its Will Delay Interval) [MQTT-3.1.3-9]
    const wills = Object.entries(await this.cmd.hgetallBuffer(keys.wills(node))).filter(([id]) => !adopted.has(id)).map(([, bytes]) => bytes);
    await this.cmd.multi().srem(keys.nodes, node).del(keys.filters(node), keys.wills(node)).exec();
    this.view.forget(node);
    this.log.warn(`cluster: node ${node} stopped beating: removed it, published ${wills.length} will(s) of its clients, adopted ${adopted.size} session(s)`);
    this.publishWills(wills);
  }

  /**
   * Routes the entries of a dead node's stream (read by it and not committed, or never read) to the sessions adopted
   * from it, and resolves once the stream was read to its end; reading goes on in the background for a while
   * (DRAIN_TAIL_MS) for entries the other nodes add before they hear of the death, then the stream is deleted.
   */
  private async drainNode(node: string, adopted: ReadonlySet<string>): Promise<void> {
    // the others stop sending to the dead node now, not at their next resync: after the adopted sessions' filters
    // (published before this on the same connection), so no message falls between the two
    await this.cmd.publish(channels.events, encodeEvent({ type: 'leave', node }));
    const isBack = async (): Promise<boolean> => (await this.cmd.exists(keys.alive(node))) > 0; // restarted with its id
    const { first, done } = drainStream(() => this.cmd, node, this.streamSink(adopted), () => this.closed, isBack, this.log);
    void done.then((r) => (this.drained += r.routed)); // the tail goes on after the reap; close() stops it
    const { routed } = await first;
    this.log.info(`cluster: drained ${routed} message(s) of node ${node} into ${adopted.size} session(s) adopted here`);
  }

  private publishWills(wills: Buffer[]): void {
    const now = this.now();
    for (const bytes of wills) {
      try {
        this.inbound?.publish(decodeClusterMessage(bytes, now).message);
      } catch (err) {
        this.log.warn({ err: String(err) }, 'cluster: ignored a stored will that could not be read');
      }
    }
  }

  private async heartbeat(): Promise<void> {
    if (!this.link.ready) return;
    const tx = this.cmd.multi().set(keys.alive(this.nodeId), '1', 'PX', ALIVE_TTL_MS).sismember(keys.nodes, this.nodeId);
    const counters = this.inbound?.counters();
    if (counters) tx.hset(keys.stats(this.nodeId), counters).pexpire(keys.stats(this.nodeId), ALIVE_TTL_MS);
    const replies = await tx.exec().catch(() => null);
    if (replies?.[1]?.[1] !== 0) return;
    // reaped while alive (this process stalled longer than ALIVE_TTL_MS): join again with everything
    this.log.warn('cluster: the other nodes took this node for dead: registering again');
    await this.register().catch(() => {});
  }

  private get undeliverableTotal(): number {
    return this.undeliverable + this.forwarder.failed;
  }

  private lost(): void {
    this.sessions?.linkLost(); // [sessions]
    this.undeliverableAtGap = this.undeliverableTotal;
    this.log.warn('cluster: lost the connection to Redis: local traffic continues, cross-node messages are not forwarded until it returns');
  }

  /** A connection came back: Redis may have restarted empty, so write this node's state back and re-read. */
  private async back(what: 'cmd' | 'sub'): Promise<void> {
    try {
      if (what === 'cmd') {
        const gapMs = this.link.lastGapMs;
        const missed = this.undeliverableTotal - this.undeliverableAtGap;
        this.log.warn(`cluster: Redis is back after ${gapMs} ms; ${missed} cross-node message(s) were not forwarded during the gap`);
        this.reapNotBefore = this.now() + 2 * ALIVE_TTL_MS;
        await this.register();
        this.sessions?.linkBack(); // [sessions] every persistent session held here is written again
        await this.reseedRetained();
      } else await this.rereadRetained(); // [retained] changes announced while the pub/sub connection was away
      await this.loadRemote();
    } catch (err) {
      this.log.warn({ err: String(err) }, 'cluster: resync after reconnect failed; retrying on the next resync');
    }
  }

  /**
   * After an outage: replays this node's changes Redis missed (sets and clears), then puts back what this node
   * holds where Redis has nothing as new (it may have restarted empty), each only over an older record; then
   * re-reads every topic and keeps the newest change, so a clear made anywhere during the outage stays a clear.
   */
  private async reseedRetained(): Promise<void> {
    const replays = this.retainedStamps.takePending();
    const replayed = new Set(replays.map((c) => c.topic));
    const changes: RetainedChange[] = [...replays];
    for (const m of this.inbound?.localRetained() ?? []) {
      if (m.topic.startsWith(LOCAL_ONLY_PREFIX) || replayed.has(m.topic)) continue;
      changes.push({ topic: m.topic, stamp: Math.max(0, this.retainedStamps.known(m.topic)), message: m });
    }
    const results = await Promise.allSettled(changes.map((c) => this.writeRetained(c, 'newer')));
    results.forEach((r, i) => {
      if (r.status === 'rejected' && i < replays.length) this.retainedStamps.hold(replays[i]!); // next time Redis returns
    });
    await this.link.sub.ping().catch(() => {}); // if it is not back yet, its own return re-reads (rereadRetained)
    const now = this.now();
    const all = await this.cmd.hgetallBuffer(keys.retained);
    for (const bytes of Object.values(all)) this.applyRetained(bytes, now);
  }

  /** The pub/sub connection is back: what was announced while it was away is read from the HASH, newest wins. */
  private async rereadRetained(): Promise<void> {
    await this.link.sub.ping(); // answered after the SUBSCRIBEs ioredis sent again on this connection
    const now = this.now();
    for (const bytes of Object.values(await this.cmd.hgetallBuffer(keys.retained))) this.applyRetained(bytes, now);
  }
}
