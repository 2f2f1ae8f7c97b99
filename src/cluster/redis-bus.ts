// ClusterBus on Redis (ioredis): several glassmq processes act as one broker.
// - filters: each node keeps its subscription filters in a Redis SET and announces changes on channels.events;
//   every node mirrors the others' filters in a RemoteFilterIndex, so a message goes only to nodes that want it;
// - messages: one pub/sub channel per node (at most once: what Redis pub/sub gives);
// - retained: a Redis HASH, with changes announced on channels.retained to every node's local cache;
// - client ids: a HASH clientId -> "NODE EPOCH" and take-over events (client-claims.ts);
// - Redis lost while running: local traffic is untouched, cross-node messages are counted as undeliverable,
//   and when Redis returns the node writes its state back (Redis may have restarted empty) and reads the others'.
import { Redis } from 'ioredis';
import type { ClusterBus, ClusterInbound, Logger, StoredMessage } from '../broker/ports.js';
import { ClientClaims } from './client-claims.js';
import { decodeEvent, encodeEvent, type ClusterEvent } from './cluster-events.js';
import { ClusterError, maskUrl } from './errors.js';
import { RemoteFilterIndex } from './filter-index.js';
import { channels, keys } from './keys.js';
import { decodeClusterMessage, encodeClusterMessage } from './message-codec.js';
import { RedisLink } from './redis-link.js';

/** How often a node says it is alive, and how long that lasts: a node silent for 3 beats gets no messages. */
const HEARTBEAT_MS = 2000;
const ALIVE_TTL_MS = 3 * HEARTBEAT_MS;
/** Full re-read of the other nodes' filters: heals any announcement lost while a connection was down. */
const RESYNC_MS = 5000;
/** $SYS topics are per node: never shared. */
const LOCAL_ONLY_PREFIX = '$SYS';
/** Deletes the registry entry only if it still names this connection (a newer one may have claimed the id). */
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
  private readonly index = new RemoteFilterIndex();
  private readonly local = new Map<string, number>();
  private readonly claims = new ClientClaims();
  private readonly matched = new Set<string>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly now: () => number;
  private readonly log: Logger;
  private retainedSnapshot: Map<string, Buffer> | undefined;
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
    for (const bytes of this.retainedSnapshot?.values() ?? []) this.applyRetained(bytes, now);
    this.retainedSnapshot = undefined;
  }

  // ---- outgoing -----------------------------------------------------------------------------------------------

  publish(message: StoredMessage): void {
    if (this.index.size === 0 || message.topic.startsWith(LOCAL_ONLY_PREFIX)) return;
    const targets = this.index.match(message.topic, this.matched);
    if (targets.size === 0) return;
    try {
      if (!this.link.ready) {
        this.undeliverable += targets.size;
        return;
      }
      const bytes = encodeClusterMessage(message, this.nodeId, this.now());
      for (const node of targets) {
        this.sent++;
        this.cmd.publish(channels.messages(node), bytes).catch(() => this.undeliverable++);
      }
    } finally {
      targets.clear();
    }
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
    if (count !== (added ? 1 : 0) || !this.link.ready) return; // only the first / last one changes the node's set
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

  releaseClientId(clientId: string): void {
    const epoch = this.claims.release(clientId);
    if (epoch === undefined || epoch === 0 || !this.link.ready) return;
    this.cmd.eval(RELEASE_SCRIPT, 1, keys.clients, clientId, `${this.nodeId} ${epoch}`).catch(() => {});
  }

  *sysValues(): Iterable<readonly [string, number | string]> {
    yield ['cluster/node', this.nodeId];
    yield ['cluster/nodes', 1 + [...this.index.nodes].length];
    yield ['cluster/remote-filters', this.index.size];
    yield ['cluster/messages/sent', this.sent];
    yield ['cluster/messages/received', this.received];
    yield ['cluster/messages/undeliverable', this.undeliverable];
    yield ['cluster/redis/connected', this.link.ready ? 1 : 0];
    yield ['cluster/redis/outages', this.link.outages];
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    if (this.link.ready) {
      await this.cmd
        .multi()
        .srem(keys.nodes, this.nodeId)
        .del(keys.filters(this.nodeId), keys.alive(this.nodeId))
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
        const { message } = decodeClusterMessage(data, now);
        this.received++;
        this.inbound?.message(message);
      }
    } catch (err) {
      this.log.warn({ channel, err: String(err) }, 'cluster: ignored a message that could not be read');
    }
  }

  private applyRetained(bytes: Buffer, now: number): void {
    const { node, message } = decodeClusterMessage(bytes, now);
    if (node === this.nodeId && this.retainedSnapshot === undefined) return; // ours: already in the local store
    this.inbound?.retained(message.topic, message.payload.length === 0 ? undefined : message);
  }

  private onEvent(e: ClusterEvent | undefined): void {
    if (!e || e.node === this.nodeId) return;
    switch (e.type) {
      case 'filter':
        if (e.added) this.index.add(e.node, e.filter);
        else this.index.remove(e.node, e.filter);
        return;
      case 'reset':
        void this.loadNode(e.node).catch(() => {});
        return;
      case 'leave':
        this.index.forget(e.node);
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
    tx.set(keys.alive(this.nodeId), '1', 'PX', ALIVE_TTL_MS);
    tx.publish(channels.events, encodeEvent({ type: 'reset', node: this.nodeId }));
    await tx.exec();
  }

  /** Reads every live node's filters; nodes that left or stopped beating are forgotten. */
  private async loadRemote(): Promise<void> {
    const members = (await this.cmd.smembers(keys.nodes)).filter((n) => n !== this.nodeId);
    const alive = members.length ? await this.cmd.mget(members.map((n) => keys.alive(n))) : [];
    const live = members.filter((_, i) => alive[i] !== null);
    const reads = this.cmd.pipeline();
    for (const n of live) reads.smembers(keys.filters(n));
    const results = live.length ? await reads.exec() : [];
    const liveSet = new Set(live);
    for (const n of [...this.index.nodes]) if (!liveSet.has(n)) this.index.forget(n);
    live.forEach((n, i) => {
      const [err, filters] = results?.[i] ?? [null, []];
      if (!err) this.index.replace(n, filters as string[]);
    });
  }

  private async loadNode(node: string): Promise<void> {
    this.index.replace(node, await this.cmd.smembers(keys.filters(node)));
  }

  private async heartbeat(): Promise<void> {
    if (!this.link.ready) return;
    await this.cmd.set(keys.alive(this.nodeId), '1', 'PX', ALIVE_TTL_MS).catch(() => {});
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

function emptyRetained(topic: string, now: number): StoredMessage {
  return { topic, payload: Buffer.alloc(0), qos: 0, retain: true, properties: undefined, receivedAt: now, expiresAt: undefined, origin: undefined };
}
