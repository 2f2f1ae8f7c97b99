// Retained messages shared through Redis: this node's changes written (a clear stays as a tombstone) and announced,
// the others' changes applied to the local store when newer than what this node knows, and after an outage this
// node's missed changes replayed and the whole HASH re-read (retained-sync.ts holds the stamps and the script).
import type { Redis } from 'ioredis';
import type { ClusterInbound, Logger, StoredMessage } from '../broker/ports.js';
import { channels, keys } from './keys.js';
import { decodeClusterMessage, emptyRetained, encodeClusterMessage } from './message-codec.js';
import { LOCAL_ONLY_PREFIX } from './message-out.js';
import type { RedisLink } from './redis-link.js';
import { decodeRecord, RetainedStamps, retainedWrite, TOMBSTONE_MS, type RetainedChange, type RetainedWrite, type WriteMode } from './retained-sync.js';

export class RetainedShare {
  /** Redis's records read at join, kept until the broker is attached. */
  private snapshot: Map<string, Buffer> | undefined;
  /** Newest retained change per topic, and this node's changes made while Redis was away (retained-sync.ts). */
  private readonly stamps = new RetainedStamps();
  private writer: RetainedWrite | undefined;

  constructor(
    private readonly nodeId: string,
    private readonly link: RedisLink,
    private readonly log: Logger,
    private readonly now: () => number,
    private readonly inbound: () => ClusterInbound | undefined,
  ) {}

  private get cmd(): Redis {
    return this.link.cmd;
  }

  /** Defines the write script: before the first auto-pipeline is built (see RedisClusterBus.join). */
  prepare(): void {
    this.writer ??= retainedWrite(this.cmd);
  }

  /** Reads every record; they are applied once the broker is attached (attached()). */
  async load(): Promise<void> {
    this.snapshot = new Map(Object.entries(await this.cmd.hgetallBuffer(keys.retained)));
  }

  attached(): void {
    const now = this.now();
    for (const bytes of this.snapshot?.values() ?? []) this.apply(bytes, now); // empty payload: cleared
    this.snapshot = undefined;
  }

  /** This node stored (message) or cleared (undefined) the retained message of `topic`. */
  retain(topic: string, message: StoredMessage | undefined): void {
    if (topic.startsWith(LOCAL_ONLY_PREFIX)) return;
    const now = this.now();
    const change = { topic, stamp: this.stamps.stampFor(topic, now), message };
    this.stamps.advance(topic, change.stamp, message === undefined, now);
    if (!this.link.ready) return this.stamps.hold(change); // replayed when Redis returns (reseed)
    this.write(change, 'live').catch(() => this.stamps.hold(change));
  }

  /** One retained change into Redis (a clear stays as a tombstone) and out to every node (retained-sync.ts). */
  private write(change: RetainedChange, mode: WriteMode): Promise<number> {
    const now = this.now();
    const bytes = encodeClusterMessage(change.message ?? emptyRetained(change.topic, now), this.nodeId, now);
    const clear = change.message ? '0' : '1';
    this.writer ??= retainedWrite(this.cmd);
    return this.writer(keys.retained, keys.retainedCleared, change.topic, change.stamp, bytes, clear, channels.retained, mode, now - TOMBSTONE_MS);
  }

  /** A retained record (Redis HASH value or channel message): applied here only if newer than what this node knows. */
  apply(bytes: Buffer, now: number): void {
    let stamp: number, node: string, message: StoredMessage;
    try {
      const record = decodeRecord(bytes);
      stamp = record.stamp;
      ({ node, message } = decodeClusterMessage(record.codecBytes, now));
    } catch (err) {
      this.log.warn({ err: String(err) }, 'cluster: ignored a retained record that could not be read');
      return;
    }
    const inbound = this.inbound();
    if (!inbound) {
      const kept = this.snapshot?.get(message.topic);
      if (!kept || decodeRecord(kept).stamp < stamp) this.snapshot?.set(message.topic, bytes); // before attach(): newest wins
      return;
    }
    const cleared = message.payload.length === 0;
    if (!this.stamps.advance(message.topic, stamp, cleared, now)) return; // this node knows a newer change
    if (node === this.nodeId && this.snapshot === undefined) return; // ours: already in the local store
    inbound.retained(message.topic, cleared ? undefined : message);
  }

  /**
   * After an outage: replays this node's changes Redis missed (sets and clears), then puts back what this node
   * holds where Redis has nothing as new (it may have restarted empty), each only over an older record; then
   * re-reads every topic and keeps the newest change, so a clear made anywhere during the outage stays a clear.
   */
  async reseed(): Promise<void> {
    const replays = this.stamps.takePending();
    const replayed = new Set(replays.map((c) => c.topic));
    const changes: RetainedChange[] = [...replays];
    for (const m of this.inbound()?.localRetained() ?? []) {
      if (m.topic.startsWith(LOCAL_ONLY_PREFIX) || replayed.has(m.topic)) continue;
      changes.push({ topic: m.topic, stamp: Math.max(0, this.stamps.known(m.topic)), message: m });
    }
    const results = await Promise.allSettled(changes.map((c) => this.write(c, 'newer')));
    results.forEach((r, i) => {
      if (r.status === 'rejected' && i < replays.length) this.stamps.hold(replays[i]!); // next time Redis returns
    });
    await this.link.sub.ping().catch(() => {}); // if it is not back yet, its own return re-reads (reread)
    const now = this.now();
    const all = await this.cmd.hgetallBuffer(keys.retained);
    for (const bytes of Object.values(all)) this.apply(bytes, now);
  }

  /** The pub/sub connection is back: what was announced while it was away is read from the HASH, newest wins. */
  async reread(): Promise<void> {
    await this.link.sub.ping(); // answered after the SUBSCRIBEs ioredis sent again on this connection
    const now = this.now();
    for (const bytes of Object.values(await this.cmd.hgetallBuffer(keys.retained))) this.apply(bytes, now);
  }
}
