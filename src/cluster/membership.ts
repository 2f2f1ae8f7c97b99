// Which nodes are in the cluster, and what to do when one stops beating:
// - register(): this node's whole state (filters, wills, alive key, stream group) written at once, announced;
// - heartbeat: the alive key (TTL 3 beats) and the counters the others sum into cluster totals;
// - resync (loadRemote): every live node's filters and counters read again, heals announcements lost in a gap;
// - reaping: a node whose alive key expired is removed by one survivor (a lock), which adopts its persistent
//   sessions, drains its stream into them and publishes the wills of its other clients.
import type { Logger } from '../broker/ports.js';
import { encodeEvent } from './cluster-events.js';
import type { ClusterView } from './cluster-view.js';
import { channels, keys } from './keys.js';
import { createGroup, drainStream, type EntrySink } from './node-stream.js';
import type { RedisLink } from './redis-link.js';
import type { BusSessions } from './redis-session-store.js';

/** How often a node says it is alive, and how long that lasts: a node silent for 3 beats gets no messages. */
export const HEARTBEAT_MS = 2000;
export const ALIVE_TTL_MS = 3 * HEARTBEAT_MS;
/** Full re-read of the other nodes' filters: heals any announcement lost while a connection was down. */
export const RESYNC_MS = 5000;
/** How long a survivor holds the right to publish a dead node's wills (it takes far less). */
const REAP_LOCK_MS = 30_000;
/**
 * A node's session writes skip the reaped check for this long after it sent a heartbeat that Redis answered: its
 * alive key lives ALIVE_TTL_MS from then, and the margin covers a write's way to Redis (session-writer.ts).
 */
const SAFE_AFTER_BEAT_MS = ALIVE_TTL_MS - 2000;
/** How long a reaped node's writes stay refused if it never comes back to drop its sessions (a stalled process). */
const REAPED_MARK_MS = 24 * 3600_000;

/** What membership needs of the bus it serves. */
export interface MembershipHost {
  readonly nodeId: string;
  readonly link: RedisLink;
  readonly view: ClusterView;
  readonly log: Logger;
  readonly now: () => number;
  /** This node's filters (filter -> local subscriptions) and its connections' wills: register() writes them whole. */
  readonly localFilters: ReadonlyMap<string, number>;
  readonly wills: ReadonlyMap<string, Buffer>;
  closed(): boolean;
  sessions(): BusSessions | undefined;
  counters(): Readonly<Record<string, number>> | undefined;
  /** Where a dead node's stream entries go: only to the sessions adopted from it. */
  streamSink(adopted: ReadonlySet<string>): EntrySink;
  publishWills(wills: Buffer[]): void;
}

export class Membership {
  /** How many other nodes were alive at the last resync. */
  liveOthers = 0;
  /** The other live nodes' counters, as of the last resync. */
  readonly remoteCounters = new Map<string, Record<string, string>>();
  /** No reaping before this time: after Redis returns, the other nodes need a moment to beat again. */
  reapNotBefore = 0;
  /** Entries of dead nodes' streams routed here to the sessions adopted from them. */
  drained = 0;
  /** [sessions] Set while this node drops what was adopted from it and registers again (rejoinAfterReap). */
  private rejoining: Promise<void> | undefined;
  /** [sessions] Reaps under way, so a CONNECT waiting on a dead node and the resync share one. */
  private readonly reaping = new Map<string, Promise<void>>();

  constructor(private readonly host: MembershipHost) {}

  private get cmd(): RedisLink['cmd'] {
    return this.host.link.cmd;
  }

  /** Writes this node's whole state (its filters, alive key) and tells the others to read it. */
  async register(): Promise<void> {
    const { nodeId, localFilters, wills } = this.host;
    const filtersKey = keys.filters(nodeId);
    // the stream first: a node that sees this one registered may XADD to it at once (NOMKSTREAM)
    // the reaped mark goes with the (re)registration: whatever it held before is dropped by then (bus reapedAlive)
    const tx = createGroup(this.cmd.multi(), nodeId).sadd(keys.nodes, nodeId).del(filtersKey, keys.reaped(nodeId));
    if (localFilters.size > 0) tx.sadd(filtersKey, ...localFilters.keys());
    tx.del(keys.wills(nodeId));
    if (wills.size > 0) tx.hset(keys.wills(nodeId), Object.fromEntries(wills));
    tx.set(keys.alive(nodeId), '1', 'PX', ALIVE_TTL_MS);
    tx.publish(channels.events, encodeEvent({ type: 'reset', node: nodeId }));
    const sentAt = performance.now();
    await tx.exec();
    this.host.sessions()?.beat(sentAt + SAFE_AFTER_BEAT_MS); // [sessions] its alive key is fresh
  }

  /** Reads every live node's filters; nodes that left or stopped beating are forgotten. */
  async loadRemote(): Promise<void> {
    const { nodeId, view } = this.host;
    const members = (await this.cmd.smembers(keys.nodes)).filter((n) => n !== nodeId);
    const alive = members.length ? await this.cmd.mget(members.map((n) => keys.alive(n))) : [];
    const live = members.filter((_, i) => alive[i] !== null);
    if (this.host.now() >= this.reapNotBefore) {
      for (const dead of members.filter((_, i) => alive[i] === null)) void this.reapNode(dead);
    }
    const reads = this.cmd.pipeline();
    for (const n of live) reads.smembers(keys.filters(n)).hgetall(keys.stats(n));
    const results = live.length ? await reads.exec() : [];
    const liveSet = new Set(live);
    this.liveOthers = live.length;
    for (const n of view.nodes()) if (!liveSet.has(n)) view.forget(n);
    this.remoteCounters.clear();
    live.forEach((n, i) => {
      const [err, filters] = results?.[2 * i] ?? [null, []];
      if (!err) view.replaceNode(n, filters as string[]);
      const [statsErr, counters] = results?.[2 * i + 1] ?? [null, {}];
      if (!statsErr) this.remoteCounters.set(n, counters as Record<string, string>);
    });
  }

  async loadNode(node: string): Promise<void> {
    this.host.view.replaceNode(node, await this.cmd.smembers(keys.filters(node)));
  }

  /**
   * A node stopped beating (killed, or cut off from Redis for longer than ALIVE_TTL_MS): one survivor, chosen by
   * a lock, publishes the wills of its connections [MQTT-3.1.2-8] and removes it from the cluster. Reaps `node`
   * once at a time ([sessions] the resync and CONNECTs waiting on it share the same reap).
   */
  reapNode(node: string, left = false): Promise<void> {
    if (!left && this.host.now() < this.reapNotBefore) return Promise.resolve(); // Redis just came back: nobody has beaten yet
    let running = this.reaping.get(node);
    if (!running) {
      running = this.reap(node, left)
        .catch((err: unknown) => this.host.log.warn({ node, err: String(err) }, 'cluster: reaping a dead node failed; retrying at the next resync'))
        .finally(() => this.reaping.delete(node));
      this.reaping.set(node, running);
    }
    return running;
  }

  /** `left`: the node stopped cleanly and asked for its sessions to be adopted (no wills: it handled its clients). */
  private async reap(node: string, left: boolean): Promise<void> {
    const host = this.host;
    if ((await this.cmd.set(keys.reaper(node), host.nodeId, 'PX', REAP_LOCK_MS, 'NX')) !== 'OK') return;
    // [sessions] before adopting: a node only stalled, not dead, can write its sessions no more (fenced-write.ts)
    await this.cmd.set(keys.reaped(node), host.nodeId, 'PX', REAPED_MARK_MS);
    // [sessions] first the dead node's sessions become offline sessions here (filters announced, expiry armed)
    const adopted = (await host.sessions()?.adoptNode(node)) ?? new Set<string>();
    await this.drainNode(node, adopted); // what it had received and not committed goes to the adopted sessions
    // [sessions] an adopted session's will is now its pending will (after its Will Delay Interval) [MQTT-3.1.3-9]
    const wills = Object.entries(await this.cmd.hgetallBuffer(keys.wills(node))).filter(([id]) => !adopted.has(id)).map(([, bytes]) => bytes);
    await this.cmd.multi().srem(keys.nodes, node).del(keys.filters(node), keys.wills(node)).exec();
    host.view.forget(node);
    if (left) host.log.info(`cluster: node ${node} left: adopted ${adopted.size} of its session(s), published ${wills.length} will(s)`);
    else host.log.warn(`cluster: node ${node} stopped beating: removed it, published ${wills.length} will(s) of its clients, adopted ${adopted.size} session(s)`);
    host.publishWills(wills);
  }

  /**
   * Routes the entries of a dead node's stream (read by it and not committed, or never read) to the sessions adopted
   * from it, and resolves once the stream was read to its end; reading goes on in the background for a while
   * (DRAIN_TAIL_MS) for entries the other nodes add before they hear of the death, then the stream is deleted.
   */
  private async drainNode(node: string, adopted: ReadonlySet<string>): Promise<void> {
    const host = this.host;
    // the others stop sending to the dead node now, not at their next resync: after the adopted sessions' filters
    // (published before this on the same connection), so no message falls between the two
    await this.cmd.publish(channels.events, encodeEvent({ type: 'leave', node }));
    const isBack = async (): Promise<boolean> => (await this.cmd.exists(keys.alive(node))) > 0; // restarted with its id
    const { first, done } = drainStream(() => this.cmd, node, host.streamSink(adopted), () => host.closed(), isBack, host.log);
    void done.then((r) => (this.drained += r.routed)); // the tail goes on after the reap; close() stops it
    const { routed } = await first;
    host.log.info(`cluster: drained ${routed} message(s) of node ${node} into ${adopted.size} session(s) adopted here`);
  }

  /**
   * [sessions] The other nodes took this node for dead (it stalled, or was cut off from Redis, for longer than its
   * alive key lives) and a survivor adopted its persistent sessions; their writes have been refused since
   * (fenced-write.ts). Their connections here close (5.0: DISCONNECT 0x8E) and they are dropped without a write, so
   * the survivor's copy stands and each client resumes its session on any node; then the node registers again.
   */
  rejoinAfterReap(): Promise<void> {
    this.rejoining ??= (async () => {
      const { log, sessions } = this.host;
      log.warn('cluster: the other nodes took this node for dead and adopted its sessions: closing their connections here and joining again');
      sessions()?.abandonAll();
      await sessions()?.settled();
      await this.register();
      sessions()?.unfence();
    })()
      .catch((err: unknown) => this.host.log.warn({ err: String(err) }, 'cluster: joining again after being taken for dead failed; retrying at the next heartbeat'))
      .finally(() => (this.rejoining = undefined));
    return this.rejoining;
  }

  async heartbeat(): Promise<void> {
    const { link, nodeId } = this.host;
    if (!link.ready) return;
    const tx = this.cmd.multi().set(keys.alive(nodeId), '1', 'PX', ALIVE_TTL_MS).sismember(keys.nodes, nodeId).exists(keys.reaped(nodeId));
    const counters = this.host.counters();
    if (counters) tx.hset(keys.stats(nodeId), counters).pexpire(keys.stats(nodeId), ALIVE_TTL_MS);
    const sentAt = performance.now();
    const replies = await tx.exec().catch(() => null);
    if (replies?.[0]?.[0] === null && replies[2]?.[1] === 0) this.host.sessions()?.beat(sentAt + SAFE_AFTER_BEAT_MS);
    // reaped while alive (this process stalled longer than ALIVE_TTL_MS): its sessions are a survivor's now
    if (replies?.[2]?.[1] === 1) return this.rejoinAfterReap();
    if (replies?.[1]?.[1] !== 0) return;
    // not a member, not reaped: Redis restarted empty: join again with everything
    this.host.log.warn('cluster: this node is not registered in Redis (restarted empty?): registering again');
    await this.register().catch(() => {});
  }
}
