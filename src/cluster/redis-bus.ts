// ClusterBus on Redis (ioredis): several glassmq processes act as one broker.
// - filters: each node keeps its subscription filters in a Redis SET and announces changes on channels.events;
//   every node mirrors the others' filters in a RemoteFilterIndex, so a message goes only to nodes that want it;
// - messages: one pub/sub channel per node (at most once: what Redis pub/sub gives);
// - share groups: the publishing node picks, per message, the one node that serves each matching group;
// - retained: a Redis HASH, with changes announced on channels.retained to every node's local cache;
// - client ids: a HASH clientId -> "NODE EPOCH" and take-over events (client-claims.ts);
// - wills: a HASH per node of its connections' wills; a node that stops beating has them published by one survivor;
// - Redis lost while running: local traffic is untouched, cross-node messages are counted as undeliverable,
//   and when Redis returns the node writes its state back (Redis may have restarted empty) and reads the others'.
import { Redis } from 'ioredis';
import type { ClusterBus, ClusterInbound, ClusterSharedFilter, Logger, StoredMessage } from '../broker/ports.js';
import type { Will } from '../protocol/packets.js';
import { ClientClaims } from './client-claims.js';
import { decodeEvent, encodeEvent, type ClusterEvent } from './cluster-events.js';
import { ClusterError, maskUrl } from './errors.js';
import { ClusterView } from './cluster-view.js';
import { channels, keys } from './keys.js';
import { decodeClusterMessage, emptyRetained, encodeClusterMessage, willMessage } from './message-codec.js';
import { RedisLink } from './redis-link.js';
import { groupKey, type GroupPick } from './shared-groups.js';

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
  /** redis://[user:password@]host:port[/db] or rediss:// */
  url: string;
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
  /** Wills of this node's connections (client id -> encoded), written back when Redis returns empty. */
  private readonly wills = new Map<string, Buffer>();
  /** Wills a previous run of this node id left in Redis (it was killed): published once attached. */
  private orphanWills: Buffer[] = [];
  /** How many other nodes were alive at the last resync. */
  private liveOthers = 0;
  /** The other live nodes' counters, as of the last resync. */
  private readonly remoteCounters = new Map<string, Record<string, string>>();
  /** No reaping before this time: after Redis returns, the other nodes need a moment to beat again. */
  private reapNotBefore = 0;
  private closed = false;
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
  }

  /** Connects to Redis and joins the cluster; throws ClusterError (REDIS_UNREACHABLE) when Redis does not answer. */
  static async connect(options: RedisBusOptions): Promise<RedisClusterBus> {
    if (!/^[A-Za-z0-9._-]+$/.test(options.nodeId)) {
      throw new ClusterError('BAD_NODE_ID', maskUrl(options.url), `node id "${options.nodeId}": use letters, digits, . _ -`);
    }
    const where = maskUrl(options.url);
    let link: RedisLink | undefined;
    try {
      link = await RedisLink.open(options.url, options.logger);
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
    const sub = this.link.sub;
    sub.on('messageBuffer', (channel, data) => this.onChannel(channel.toString(), data));
    await sub.subscribe(channels.messages(this.nodeId), channels.retained, channels.events);
    this.orphanWills = Object.values(await this.cmd.hgetallBuffer(keys.wills(this.nodeId)));
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
    const now = this.now();
    for (const bytes of this.retainedSnapshot?.values() ?? []) this.applyRetained(bytes, now); // empty payload: cleared
    this.retainedSnapshot = undefined;
    if (this.orphanWills.length) this.log.info(`cluster: publishing ${this.orphanWills.length} will(s) left by the previous run of node ${this.nodeId}`);
    this.publishWills(this.orphanWills.splice(0));
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
        this.cmd.publish(channels.messages(node), bytes).catch(() => this.undeliverable++);
      }
      return pick && this.servedHere(pick);
    } finally {
      targets.clear();
    }
  }

  private servedHere(pick: GroupPick): ClusterSharedFilter {
    const mine = pick.byNode.get(this.nodeId);
    return mine ? (name, filter) => mine.includes(groupKey(name, filter)) : () => false;
  }

  retain(topic: string, message: StoredMessage | undefined): void {
    if (topic.startsWith(LOCAL_ONLY_PREFIX) || !this.link.ready) return; // written back when Redis returns
    const now = this.now();
    const bytes = encodeClusterMessage(message ?? emptyRetained(topic, now), this.nodeId, now);
    const tx = this.cmd.multi();
    if (message) tx.hset(keys.retained, topic, bytes);
    else tx.hdel(keys.retained, topic);
    tx.publish(channels.retained, bytes).exec().catch(() => {});
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
    yield ['cluster/messages/undeliverable', this.undeliverable];
    yield ['cluster/redis/connected', this.link.ready ? 1 : 0];
    yield ['cluster/redis/outages', this.link.outages];
    // cluster totals: this node now, the others as of their last heartbeat
    for (const [name, value] of Object.entries(this.inbound?.counters() ?? {})) {
      let total = value;
      for (const c of this.remoteCounters.values()) total += Number(c[name] ?? 0);
      yield [`cluster/total/${name}`, total];
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
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
      else {
        const { message, groups } = decodeClusterMessage(data, now);
        this.received++;
        this.inbound?.message(message, groups ? (name, filter) => groups.includes(groupKey(name, filter)) : () => false);
      }
    } catch (err) {
      this.log.warn({ channel, err: String(err) }, 'cluster: ignored a message that could not be read');
    }
  }

  private applyRetained(bytes: Buffer, now: number): void {
    const { node, message } = decodeClusterMessage(bytes, now);
    if (!this.inbound) {
      this.retainedSnapshot?.set(message.topic, bytes); // between the first read and attach(): newest wins
      return;
    }
    if (node === this.nodeId && this.retainedSnapshot === undefined) return; // ours: already in the local store
    this.inbound?.retained(message.topic, message.payload.length === 0 ? undefined : message);
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
        if (this.claims.remote(e.clientId, e.epoch)) this.inbound?.takenOver(e.clientId); // [MQTT-3.1.4-3]
        return;
    }
  }

  // ---- membership and resync ----------------------------------------------------------------------------------

  /** Writes this node's whole state (its filters, alive key) and tells the others to read it. */
  private async register(): Promise<void> {
    const filtersKey = keys.filters(this.nodeId);
    const tx = this.cmd.multi().sadd(keys.nodes, this.nodeId).del(filtersKey);
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
      for (const dead of members.filter((_, i) => alive[i] === null)) void this.reap(dead).catch(() => {});
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
  private async reap(node: string): Promise<void> {
    if ((await this.cmd.set(keys.reaper(node), this.nodeId, 'PX', REAP_LOCK_MS, 'NX')) !== 'OK') return;
    const wills = Object.values(await this.cmd.hgetallBuffer(keys.wills(node)));
    await this.cmd.multi().srem(keys.nodes, node).del(keys.filters(node), keys.wills(node)).exec();
    this.view.forget(node);
    this.log.warn(`cluster: node ${node} stopped beating: removed it, published ${wills.length} will(s) of its clients`);
    this.publishWills(wills);
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

  private lost(): void {
    this.undeliverableAtGap = this.undeliverable;
    this.log.warn('cluster: lost the connection to Redis: local traffic continues, cross-node messages are not forwarded until it returns');
  }

  /** A connection came back: Redis may have restarted empty, so write this node's state back and re-read. */
  private async back(what: 'cmd' | 'sub'): Promise<void> {
    try {
      if (what === 'cmd') {
        const gapMs = this.link.lastGapMs;
        const missed = this.undeliverable - this.undeliverableAtGap;
        this.log.warn(`cluster: Redis is back after ${gapMs} ms; ${missed} cross-node message(s) were not forwarded during the gap`);
        this.reapNotBefore = this.now() + 2 * ALIVE_TTL_MS;
        await this.register();
        await this.reseedRetained();
      }
      await this.loadRemote();
    } catch (err) {
      this.log.warn({ err: String(err) }, 'cluster: resync after reconnect failed; retrying on the next resync');
    }
  }

  /** Puts this node's retained messages back where Redis has none for their topic (fresher values win). */
  private async reseedRetained(): Promise<void> {
    const now = this.now();
    const tx = this.cmd.multi();
    let n = 0;
    for (const m of this.inbound?.localRetained() ?? []) {
      if (m.topic.startsWith(LOCAL_ONLY_PREFIX)) continue;
      tx.hsetnx(keys.retained, m.topic, encodeClusterMessage(m, this.nodeId, now));
      n++;
    }
    if (n > 0) await tx.exec();
    else tx.discard();
    const all = await this.cmd.hgetallBuffer(keys.retained);
    for (const bytes of Object.values(all)) {
      const { node, message } = decodeClusterMessage(bytes, now);
      if (node !== this.nodeId) this.inbound?.retained(message.topic, message);
    }
  }
}
