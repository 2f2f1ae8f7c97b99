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
// This class is the thin ClusterBus facade; the work is in membership.ts (join, heartbeat, resync, reaping),
// message-out.ts (the publish path), retained-share.ts (retained messages), node-stream.ts (this node's stream).
import { Redis } from 'ioredis';
import type { ClusterBus, ClusterInbound, ClusterSharedFilter, HoldablePublisher, Logger, StoredMessage } from '../broker/ports.js';
import type { ClusterNodeView } from '../broker/ports.js'; // [dashboard] nodes()
import type { Will } from '../protocol/packets.js';
import { ClientClaims } from './client-claims.js';
import { decodeEvent, encodeEvent, type ClusterEvent } from './cluster-events.js';
import { ClusterError, maskUrl } from './errors.js';
import { ClusterView } from './cluster-view.js';
import { channels, keys } from './keys.js';
import { decodeClusterMessage, encodeClusterMessage, willMessage } from './message-codec.js';
import { Membership, HEARTBEAT_MS, RESYNC_MS, ALIVE_TTL_MS } from './membership.js';
import { LOCAL_ONLY_PREFIX, MessageSender } from './message-out.js';
import { RedisLink } from './redis-link.js';
import { nodeViews, readRemoteNodes } from './node-list.js';
import { RetainedShare } from './retained-share.js';
import { ackCommands, ackEntries, NodeStreamReader, type EntrySink } from './node-stream.js';
import type { RedisTarget } from './redis-target.js';
import { groupKey } from './shared-groups.js';
import type { SessionFactory, StoredDelivery, StoredSession } from '../broker/ports.js'; // [sessions]
import { RedisSessionStore, type BusSessions } from './redis-session-store.js'; // [sessions]
import { SessionHandover } from './session-handover.js'; // [sessions]
import { SessionForwarding } from './session-forwarding.js'; // [sessions]
import { fencedWrite } from './fenced-write.js'; // [sessions]

/** Deletes the registry entry only if it still names this connection (a newer one may have claimed the id). */
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
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly now: () => number;
  private readonly log: Logger;
  /** Retained messages through Redis (retained-share.ts). */
  private readonly retained: RetainedShare;
  /** Wills of this node's connections (client id -> encoded), written back when Redis returns empty. */
  private readonly wills = new Map<string, Buffer>();
  /** Wills a previous run of this node id left in Redis (it was killed): published once attached. */
  private orphanWills: [string, Buffer][] = [];
  /** [sessions] The Redis session store (--cluster) and the hand-over of sessions between nodes. */
  private sessions: BusSessions | undefined;
  private handover: SessionHandover | undefined;
  private closed = false;
  /** Nodes joining, beating, resyncing and dying (membership.ts). */
  private readonly members: Membership;
  /** Messages out to the other nodes (message-out.ts) and in from this node's stream (node-stream.ts). */
  private readonly out: MessageSender;
  private reader: NodeStreamReader | undefined;
  /** [sessions] Messages that still come here for a session that just moved to another node (session-forwarding.ts). */
  private readonly forwarding = new SessionForwarding({
    send: (node, clientId, m) => this.out.sendFor(node, clientId, m),
    letGo: (filter) => !this.closed && this.subscription(filter, false),
  });
  /** [sessions] Second copies of a message not delivered to a moving session (message-ids.ts). */
  readonly moves = { duplicates: 0, lostForwards: 0 };
  // counters for $SYS/broker/cluster/...
  private received = 0;
  private undeliverableAtGap = 0;

  private constructor(
    private readonly link: RedisLink,
    options: RedisBusOptions,
  ) {
    this.nodeId = options.nodeId;
    this.view = new ClusterView(options.nodeId);
    this.log = options.logger;
    this.now = options.now ?? Date.now;
    this.retained = new RetainedShare(this.nodeId, link, this.log, this.now, () => this.inbound);
    this.out = new MessageSender(this.nodeId, link, this.view, this.now, this.log);
    this.members = new Membership({
      nodeId: this.nodeId,
      link,
      view: this.view,
      log: this.log,
      now: this.now,
      localFilters: this.local,
      wills: this.wills,
      closed: () => this.closed,
      sessions: () => this.sessions,
      counters: () => this.inbound?.counters(),
      streamSink: (adopted) => this.streamSink(adopted),
      publishWills: (wills) => this.publishWills(wills),
    });
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
    this.retained.prepare();
    fencedWrite(this.cmd); // [sessions] the session store's script, for the same reason
    const sub = this.link.sub;
    sub.on('messageBuffer', (channel, data) => this.onChannel(channel.toString(), data));
    await sub.subscribe(channels.messages(this.nodeId), channels.retained, channels.events);
    this.orphanWills = Object.entries(await this.cmd.hgetallBuffer(keys.wills(this.nodeId)));
    await this.members.register();
    await this.members.loadRemote();
    await this.retained.load();
    this.link.onLost = () => this.lost();
    this.link.onBack = (what) => void this.back(what);
    this.timers.push(setInterval(() => void this.members.heartbeat(), HEARTBEAT_MS).unref());
    this.timers.push(setInterval(() => void this.members.loadRemote().catch(() => {}), RESYNC_MS).unref());
  }

  attach(inbound: ClusterInbound): void {
    this.inbound = inbound;
    // only now: an entry read before there is a broker to route it to would be acknowledged and lost
    this.reader = new NodeStreamReader(this.link, this.nodeId, this.streamSink(), this.log);
    this.reader.start();
    this.retained.attached();
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
    const store = new RedisSessionStore<S, D, M>(this.link, this.nodeId, factory, this.log, this.now, this.moves);
    await store.loadOwn();
    const handover = new SessionHandover(
      {
        nodeId: this.nodeId,
        link: this.link,
        reapNode: (n) => this.members.reapNode(n),
        leaving: (clientId, toNode, filters, release) => this.forwarding.leaving(clientId, toNode, filters, release),
        stopForwarding: (clientId) => this.forwarding.stop(clientId),
        deliverTo: (clientId, message) => this.deliverTo(clientId, message),
      },
      store,
      this.log,
    );
    store.acquirer = (clientId, clean) => handover.acquire(clientId, clean);
    this.sessions = store;
    this.handover = handover;
    store.onFenced = () => void this.members.rejoinAfterReap();
    this.out.sessionWrite = { holds: (id) => store.holdsPersistent(id), commitWith: (cmds, done) => store.commitWith(cmds, done) };
    return store;
  }

  // ---- outgoing -----------------------------------------------------------------------------------------------

  publish(message: StoredMessage, publisher?: HoldablePublisher): ClusterSharedFilter | undefined {
    this.forwarding.forward(message); // [sessions] a session that just moved away
    return this.out.publish(message, publisher);
  }

  /** [sessions] The session of `clientId` only (a message forwarded for it, or parked while it was loading). */
  private deliverTo(clientId: string, message: StoredMessage): void {
    this.inbound?.messageFor(message, () => false, new Set([clientId]));
  }

  afterForward(fn: () => void): void {
    this.out.forwarder.afterForward(fn);
  }

  retain(topic: string, message: StoredMessage | undefined): void {
    this.retained.retain(topic, message);
  }

  subscription(filter: string, added: boolean): void {
    if (filter.startsWith(LOCAL_ONLY_PREFIX)) return;
    if (!added && this.forwarding.defers(filter)) return; // [sessions] a moving session's: let go once forwarding ends
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
    yield ['cluster/nodes', 1 + this.members.liveOthers];
    yield ['cluster/remote-filters', this.view.plain.size];
    yield ['cluster/share-groups', this.view.groups.size];
    yield ['cluster/messages/sent', this.out.sent];
    yield ['cluster/messages/received', this.received];
    yield ['cluster/messages/undeliverable', this.undeliverableTotal];
    yield ['cluster/messages/unconfirmed', this.out.forwarder.unconfirmed];
    yield ['cluster/stream/backlog', this.reader?.backlog ?? 0];
    yield ['cluster/stream/acked', this.reader?.acked ?? 0];
    yield ['cluster/stream/redelivered', this.reader?.redelivered ?? 0];
    yield ['cluster/stream/drained', this.members.drained];
    // [sessions] moving sessions: messages forwarded by the node a session left, second copies not delivered again
    yield ['cluster/sessions/forwarded', this.forwarding.forwarded];
    yield ['cluster/sessions/forward-lost', this.moves.lostForwards];
    yield ['cluster/messages/duplicates', this.moves.duplicates];
    // cross-node backpressure: this node's reader held by its subscribers; publishers held for other nodes' streams
    yield ['cluster/stream/reader-held', this.reader?.holding ? 1 : 0];
    yield ['cluster/stream/reader-holds', this.reader?.held ?? 0];
    yield ['cluster/stream/targets-over', this.out.pressure.over];
    yield ['cluster/publishers/held', this.out.pressure.holding];
    yield ['cluster/publishers/holds', this.out.pressure.holds];
    yield ['cluster/messages/dropped', this.out.pressure.dropped];
    yield ['cluster/redis/connected', this.link.ready ? 1 : 0];
    yield ['cluster/redis/outages', this.link.outages];
    // cluster totals: this node now, the others as of their last heartbeat
    for (const [name, value] of Object.entries(this.inbound?.counters() ?? {})) {
      let total = value;
      for (const c of this.members.remoteCounters.values()) total += Number(c[name] ?? 0);
      yield [`cluster/total/${name}`, total];
    }
  }

  /** [dashboard] The nodes with their figures, read from Redis; while Redis is away, the others as of the last resync. */
  async nodes(): Promise<ClusterNodeView[]> {
    const own = this.inbound?.counters() ?? {};
    const read = this.link.ready ? await readRemoteNodes(this.cmd, this.nodeId).catch(() => undefined) : undefined;
    const others = read ?? [...this.members.remoteCounters].map(([id, counters]) => ({ id, alive: true, counters }));
    return nodeViews(this.nodeId, own, others);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    this.reader?.stop(); // what it read and did not commit stays pending: a restart with this id reads it again
    this.out.close();
    this.forwarding.close();
    if (this.link.ready) {
      // [sessions] the sessions' last state (they went offline with the broker) is in Redis before a survivor reads it
      await this.sessions?.settled();
      const handoff = this.sessions !== undefined && (await this.cmd.scard(keys.sessions(this.nodeId)).catch(() => 0)) > 0;
      await this.cmd
        .multi()
        .srem(keys.nodes, this.nodeId)
        .del(keys.filters(this.nodeId), keys.alive(this.nodeId), keys.stats(this.nodeId))
        .publish(channels.events, encodeEvent({ type: 'leave', node: this.nodeId, handoff }))
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
      else if (channel === channels.retained) this.retained.apply(data, now);
      else this.routeRemote(data, now, undefined);
    } catch (err) {
      this.log.warn({ channel, err: String(err) }, 'cluster: ignored a message that could not be read');
    }
  }

  /** A message another node sent: to this node's subscribers, or only to `adopted` (a dead node's sessions). */
  private routeRemote(data: Buffer, now: number, adopted: ReadonlySet<string> | undefined, source?: HoldablePublisher): void {
    const { message, groups, forClient } = decodeClusterMessage(data, now);
    this.received++;
    if (forClient !== undefined) {
      // [sessions] forwarded by the node the session left: to it alone, once it is here
      if (!this.handover?.forwarded(forClient, message)) this.moves.lostForwards++;
      return;
    }
    if (!adopted) this.forwarding.forward(message); // [sessions] a session that just moved away
    const served: ClusterSharedFilter = groups ? (name, filter) => groups.includes(groupKey(name, filter)) : () => false;
    if (adopted) this.inbound?.messageFor(message, served, adopted);
    else this.inbound?.message(message, served, source);
  }

  /** Where stream entries go: routed like pub/sub messages, acknowledged once the session store committed. */
  private streamSink(adopted?: ReadonlySet<string>): EntrySink {
    return {
      route: (bytes, source) => {
        if (this.closed) return;
        try {
          this.routeRemote(bytes, this.now(), adopted, source);
        } catch (err) {
          this.log.warn({ err: String(err) }, 'cluster: ignored a stream entry that could not be read');
        }
      },
      afterCommit: (fn) => {
        if (this.inbound) this.inbound.afterCommit(fn);
        else fn();
      },
      commitAck: (node, ids, done) => {
        // [sessions] in the session store's transaction: acknowledged exactly when what the entries changed is stored
        if (this.sessions) return this.sessions.commitWith(ackCommands(node, ids), done);
        const ack = (): void => void ackEntries(this.cmd, node, ids).then(() => done(undefined), done);
        if (this.inbound) this.inbound.afterCommit(ack);
        else ack();
      },
    };
  }

  private onEvent(e: ClusterEvent | undefined): void {
    if (!e || e.node === this.nodeId) return;
    switch (e.type) {
      case 'filter':
        this.view.apply(e.node, e.filter, e.added);
        return;
      case 'reset':
        void this.members.loadNode(e.node).catch(() => {});
        return;
      case 'leave':
        this.view.forget(e.node);
        // [sessions] its persistent sessions and stream go to a survivor (one, by the reap lock): expiry timers run,
        // queued messages wait there, and what was still added to its stream is drained into them
        if (e.handoff && this.sessions) void this.members.reapNode(e.node, true);
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

  // ---- wills and resync ------------------------------------------------------------------------------------

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

  private get undeliverableTotal(): number {
    return this.out.undeliverableTotal;
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
        this.members.reapNotBefore = this.now() + 2 * ALIVE_TTL_MS;
        // [sessions] cut off long enough to be reaped: the sessions went to a survivor and are not written back
        if ((await this.cmd.exists(keys.reaped(this.nodeId))) === 1) await this.members.rejoinAfterReap();
        else {
          await this.members.register();
          this.sessions?.linkBack(); // [sessions] every persistent session held here is written again
        }
        await this.retained.reseed();
      } else await this.retained.reread(); // [retained] changes announced while the pub/sub connection was away
      await this.members.loadRemote();
    } catch (err) {
      this.log.warn({ err: String(err) }, 'cluster: resync after reconnect failed; retrying on the next resync');
    }
  }
}
