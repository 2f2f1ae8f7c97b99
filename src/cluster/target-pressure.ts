// Cross-node backpressure, publishing side: a node stream that its node does not read fast enough must not grow
// without bound in Redis. This node learns each target stream's backlog (an XLEN behind every SAMPLE_EVERY-th XADD
// on the same connection, plus the XADDs sent since) and, while a target's backlog is at or above `high`, holds
// the clients publishing to it (their packets wait unread, as for a slow subscriber on one node: queue-pressure.ts)
// until the backlog is down to `low`. While any target is over, its stream is polled (XINFO STREAM: length, and
// entries-added - length = entries its node acknowledged so far) every POLL_MS. A target that acknowledges nothing
// for `stallMs` (dead, hung, or cut off from Redis) holds nobody: its messages go on being added up to `hardCap`
// entries, then are dropped (counted); a dead node's stream is drained by the survivor that reaps it.
import type { Redis } from 'ioredis';
import type { HoldablePublisher, Logger } from '../broker/ports.js';
import { keys } from './keys.js';

export interface TargetLimits {
  /** Backlog (entries in the target's stream) at which publishers to it are held. */
  readonly high: number;
  /** Backlog at or below which they go free. */
  readonly low: number;
  /** Backlog at which a target that holds nobody (stalled) gets no more entries: they are dropped, counted. */
  readonly hardCap: number;
  /** A target that acknowledges no entry for this long is stalled. */
  readonly stallMs: number;
}

export const DEFAULT_TARGET_LIMITS: TargetLimits = { high: 10_000, low: 5_000, hardCap: 100_000, stallMs: 2000 };
/** XADDs to one target between two XLENs while it is under its limit. */
const SAMPLE_EVERY = 64;
/** How often a target over its limit is looked at. */
const POLL_MS = 100;

class Target {
  /** XADDs this node sent to the target. */
  added = 0;
  /** The stream's length at the last look, and `added` when that look was sent (later XADDs are not in it). */
  length = 0;
  lengthAt = 0;
  sampling = false;
  /** Over its high mark: publishers to it are held (unless stalled) and it is polled. */
  over = false;
  stalled = false;
  /** entries-added - length at the last poll: entries its node acknowledged (deleted), and when that last grew. */
  acked = -1;
  progressAt = 0;
  readonly holders: HoldablePublisher[] = [];

  constructor(readonly node: string) {}

  /** Entries in its stream now, at most: the last length seen plus every XADD sent since. */
  get backlog(): number {
    return this.length + (this.added - this.lengthAt);
  }

  release(): void {
    for (const p of this.holders.splice(0)) p.releasePackets();
  }
}

export class TargetPressure {
  private readonly targets = new Map<string, Target>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  /** Copies not added because their target was at its hard cap; times a publisher was held. */
  dropped = 0;
  holds = 0;

  constructor(
    private readonly cmd: () => Redis,
    private readonly log: Logger,
    private readonly limits: TargetLimits = DEFAULT_TARGET_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  /** False when the copy for `node` must be dropped (its backlog is at the hard cap); call before its XADD. */
  admit(node: string): boolean {
    const t = this.targets.get(node);
    if (t === undefined || t.backlog < this.limits.hardCap) return true;
    this.dropped++;
    return false;
  }

  /** One XADD to `node` was sent; `publisher` (undefined: the broker's own message) is held if `node` is over. */
  added(node: string, publisher: HoldablePublisher | undefined): void {
    let t = this.targets.get(node);
    if (t === undefined) this.targets.set(node, (t = new Target(node)));
    t.added++;
    if (!t.over) {
      if (t.backlog >= this.limits.high) this.markOver(t);
      else if (!t.sampling && t.added - t.lengthAt >= SAMPLE_EVERY) this.sample(t);
      if (!t.over) return;
    }
    if (publisher !== undefined && !t.stalled && !t.holders.includes(publisher)) {
      t.holders.push(publisher);
      this.holds++;
      publisher.holdPackets();
    }
  }

  /** Publishers held right now (a publisher held by two targets counts twice). */
  get holding(): number {
    let n = 0;
    for (const t of this.targets.values()) n += t.holders.length;
    return n;
  }

  /** Targets over their limit now. */
  get over(): number {
    let n = 0;
    for (const t of this.targets.values()) if (t.over) n++;
    return n;
  }

  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    for (const t of this.targets.values()) t.release();
    this.targets.clear();
  }

  /** XLEN after the XADDs sent so far, on the same connection: its answer counts every one of them. */
  private sample(t: Target): void {
    t.sampling = true;
    const at = t.added;
    this.cmd()
      .xlen(keys.stream(t.node))
      .then(
        (length) => {
          t.length = length;
          t.lengthAt = at;
          if (!t.over && t.backlog >= this.limits.high) this.markOver(t);
        },
        () => {},
      )
      .finally(() => (t.sampling = false));
  }

  private markOver(t: Target): void {
    t.over = true;
    t.stalled = false;
    t.acked = -1;
    t.progressAt = this.now();
    this.log.info({ node: t.node, backlog: t.backlog }, 'cluster: node stream backlog over its limit: holding its publishers');
    this.timer ??= setInterval(() => void this.poll(), POLL_MS).unref();
  }

  private async poll(): Promise<void> {
    if (this.polling) {
      // the last look is still unanswered (Redis holds the connection and says nothing): time alone decides
      for (const t of this.targets.values()) if (t.over) this.checkStall(t);
      return;
    }
    this.polling = true;
    try {
      const over = [...this.targets.values()].filter((t) => t.over);
      if (over.length === 0) {
        clearInterval(this.timer);
        this.timer = undefined;
        return;
      }
      const tx = this.cmd().pipeline();
      const at: number[] = [];
      for (const t of over) {
        tx.xinfo('STREAM', keys.stream(t.node));
        at.push(t.added);
      }
      const replies = (await tx.exec()) ?? [];
      over.forEach((t, i) => this.update(t, replies[i], at[i]!));
    } catch {
      // Redis away: the next poll tries again; a target that stays silent is found stalled meanwhile
      for (const t of this.targets.values()) if (t.over) this.checkStall(t);
    } finally {
      this.polling = false;
    }
  }

  private update(t: Target, reply: [Error | null, unknown] | undefined, at: number): void {
    const [err, info] = reply ?? [new Error('no reply'), undefined];
    if (err) {
      // no stream: the node was reaped (its stream deleted) or Redis restarted empty; nothing waits there
      if (String(err).includes('no such key')) return this.forget(t);
      return this.checkStall(t);
    }
    const fields = info as unknown[];
    const length = numberField(fields, 'length');
    const addedEver = numberField(fields, 'entries-added');
    t.length = length;
    t.lengthAt = at;
    const acked = addedEver - length;
    // a stream created again starts counting from 0: that is a new start, not a stall
    if (t.acked < 0 || acked !== t.acked) {
      t.acked = acked;
      t.progressAt = this.now();
      if (t.stalled) {
        t.stalled = false;
        this.log.info({ node: t.node }, 'cluster: node stream moving again: holding its publishers again');
      }
    }
    if (t.length <= this.limits.low) {
      t.over = false;
      t.stalled = false;
      t.release();
      return;
    }
    this.checkStall(t);
  }

  private checkStall(t: Target): void {
    if (t.stalled || this.now() - t.progressAt < this.limits.stallMs) return;
    t.stalled = true;
    this.log.warn({ node: t.node, backlog: t.backlog }, 'cluster: node stream not read: publishers no longer held for it');
    t.release();
  }

  private forget(t: Target): void {
    t.release();
    this.targets.delete(t.node);
  }
}

function numberField(fields: unknown[], name: string): number {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return Number(fields[i + 1]);
  return 0;
}
