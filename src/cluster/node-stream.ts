// The receiving half of the node streams. Each node has a Redis STREAM (keys.stream) that the other nodes append
// its QoS 1/2 messages to, and reads it in a consumer group as its own consumer (named after the node):
// - an entry read is routed into this node's sessions, and acknowledged (XACK + XDEL: the stream does not grow)
//   only once the session store has committed what routing changed, so an entry read by a node that dies before
//   committing stays pending in Redis;
// - at start, and after the reading connection was lost, the consumer's pending entries are read again first
//   (XREADGROUP ... 0): a node restarted with the same id delivers what its previous run had read but not
//   committed; entries this run already routed are skipped;
// - a dead node's stream is drained by the survivor that adopted its sessions (drainStream), reading as the dead
//   node's consumer, then deleted;
// - cross-node backpressure, receiving side: the reader is held (holdPackets) while routing an entry puts a
//   connected, non-stalled subscriber's queue above high water (queue-pressure.ts): the rest of the batch waits
//   here (read, pending in Redis) and no XREADGROUP is issued until the release; the entries wait in the stream.
import type { ChainableCommander, Redis } from 'ioredis';
import type { HoldablePublisher, Logger } from '../broker/ports.js';
import { keys } from './keys.js';
import type { RedisLink } from './redis-link.js';

/** The one field of an entry: the encoded message (message-codec.ts). */
export const ENTRY_FIELD = 'm';
/** The consumer group every node stream has; each node reads it as the consumer named after itself. */
export const GROUP = 'glassmq';
/** Entries per read. */
const BATCH = 256;
/** How long one blocking read waits before the loop looks around (stop, acks to retry). */
const BLOCK_MS = 2000;
const RETRY_MS = 200;
/** How often the backlog ($SYS) is read. */
const BACKLOG_MS = 2000;

export interface StreamEntry {
  readonly id: string;
  /** undefined: deleted while still pending (only its acknowledgement is left to do). */
  readonly bytes: Buffer | undefined;
}

/** What the entries read go to. */
export interface EntrySink {
  /**
   * Routes one entry (an entry that cannot be read is logged by the sink and acknowledged: it never will be);
   * `source` is held while a subscriber it fed is above high water.
   */
  route(bytes: Buffer, source?: HoldablePublisher): void;
  /** Runs `fn` once what route() changed is committed by the session store. */
  afterCommit(fn: () => void): void;
  /**
   * Acknowledges entries of `node`'s stream together with what routing them changed (one transaction, or after the
   * commit where the store has none); `done` gets undefined once acknowledged, or the error.
   */
  commitAck(node: string, ids: string[], done: (err: unknown) => void): void;
}

/** Adds the creation of `node`'s stream and group (from the start: entries added before it count) to a MULTI. */
export function createGroup(tx: ChainableCommander, node: string): ChainableCommander {
  return tx.xgroup('CREATE', keys.stream(node), GROUP, '0', 'MKSTREAM'); // BUSYGROUP when it exists: fine
}

export async function ensureGroup(cmd: Redis, node: string): Promise<void> {
  try {
    await cmd.xgroup('CREATE', keys.stream(node), GROUP, '0', 'MKSTREAM');
  } catch (err) {
    if (!String(err).includes('BUSYGROUP')) throw err;
  }
}

export function isNoGroup(err: unknown): boolean {
  return String(err).includes('NOGROUP');
}

/** One XREADGROUP: `from` '>' for new entries, an id for the consumer's pending entries after it. */
export async function readEntries(r: Redis, node: string, consumer: string, from: string, blockMs?: number): Promise<StreamEntry[]> {
  const stream = keys.stream(node);
  const reply =
    blockMs === undefined
      ? await r.xreadgroupBuffer('GROUP', GROUP, consumer, 'COUNT', BATCH, 'STREAMS', stream, from)
      : await r.xreadgroupBuffer('GROUP', GROUP, consumer, 'COUNT', BATCH, 'BLOCK', blockMs, 'STREAMS', stream, from);
  if (!Array.isArray(reply) || reply.length === 0) return [];
  const items = (reply[0] as [Buffer, [Buffer, Buffer[] | null][]])[1];
  const out: StreamEntry[] = [];
  for (const [id, fields] of items) out.push({ id: id.toString(), bytes: fieldValue(fields) });
  return out;
}

function fieldValue(fields: Buffer[] | null): Buffer | undefined {
  if (!fields) return undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i]!.toString() === ENTRY_FIELD) return fields[i + 1];
  return undefined;
}

/** The commands that acknowledge and delete entries (in one MULTI: nothing acknowledged stays in the stream). */
export function ackCommands(node: string, ids: string[]): (string | number)[][] {
  const stream = keys.stream(node);
  return [
    ['xack', stream, GROUP, ...ids],
    ['xdel', stream, ...ids],
  ];
}

/** Acknowledges and deletes entries in a MULTI of their own. */
export async function ackEntries(cmd: Redis, node: string, ids: string[]): Promise<void> {
  const replies = await cmd.multi(ackCommands(node, ids)).exec();
  const err = replies?.find(([e]) => e)?.[0];
  if (err) throw err;
}

/** Routes what a drain read; returns the ids to acknowledge once committed. */
function take(entries: StreamEntry[], sink: EntrySink): string[] {
  const ids: string[] = [];
  for (const e of entries) {
    ids.push(e.id);
    if (e.bytes) sink.route(e.bytes);
  }
  return ids;
}

/** This node reading its own stream on the link's blocking connection. */
export class NodeStreamReader implements HoldablePublisher {
  /** Entries routed and not acknowledged yet: not routed again when pending entries are re-read. */
  private readonly routed = new Set<string>();
  /** Committed entries whose acknowledgement failed (Redis away): sent again when it is back. */
  private ackRetry: string[] = [];
  private rereadPending = true;
  private stopped = false;
  /** Subscribers holding this reader; entries of the batch being routed when the first hold came, still to route. */
  private holds = 0;
  private parked: StreamEntry[] | undefined;
  private parkedRedelivered = false;
  private wake: (() => void) | undefined;
  private readonly timer: NodeJS.Timeout;
  /** Entries read, acknowledged, and read again from the pending list (a previous run's, or a lost reply). */
  received = 0;
  acked = 0;
  redelivered = 0;
  /** Entries in the stream (unread or read and not acknowledged), as of the last look. */
  backlog = 0;
  /** Times a subscriber held this reader. */
  held = 0;

  constructor(
    private readonly link: RedisLink,
    private readonly node: string,
    private readonly sink: EntrySink,
    private readonly log: Logger,
  ) {
    // a reply lost with the connection leaves its entries pending for this consumer: read them again
    link.rd.on('ready', () => (this.rereadPending = true));
    this.timer = setInterval(() => void this.readBacklog(), BACKLOG_MS).unref();
  }

  start(): void {
    void this.loop();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.wakeUp();
  }

  /** A subscriber's queue passed high water while an entry was routed: route and read no more until released. */
  holdPackets(): void {
    if (this.holds++ === 0) this.held++;
  }

  /** One subscriber lets go; the last one resumes routing on a later turn (never inside the ack that released). */
  releasePackets(): void {
    if (this.holds > 0 && --this.holds === 0) setImmediate(() => this.wakeUp());
  }

  /** True while held: subscribers are over high water. */
  get holding(): boolean {
    return this.holds > 0;
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private untilReleased(): Promise<void> {
    return new Promise((resolve) => (this.wake = resolve));
  }

  /**
   * Routes entries until a subscriber holds the reader; the rest wait in `parked`. Entries already routed by this run
   * are skipped (their acknowledgement is on its way); the routed ones are acknowledged once committed.
   */
  private route(entries: StreamEntry[], redelivered: boolean): void {
    const ids: string[] = [];
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      if (this.routed.has(e.id)) continue;
      this.routed.add(e.id);
      ids.push(e.id);
      if (e.bytes) this.sink.route(e.bytes, this);
      if (this.holds > 0 && i + 1 < entries.length) {
        this.parked = entries.slice(i + 1);
        this.parkedRedelivered = redelivered;
        break;
      }
    }
    if (ids.length === 0) return;
    this.received += ids.length;
    if (redelivered) this.redelivered += ids.length;
    this.ack(ids);
  }

  private async loop(): Promise<void> {
    let from = '0';
    let pending = false;
    while (!this.stopped) {
      const rd = this.link.rd;
      if (rd.status !== 'ready') {
        await sleep(RETRY_MS);
        continue;
      }
      if (this.ackRetry.length > 0 && this.link.ready) this.ack(this.ackRetry.splice(0));
      if (this.rereadPending) {
        this.rereadPending = false;
        this.parked = undefined; // still pending in Redis, not routed yet: the re-read brings them back
        pending = true;
        from = '0';
      }
      if (this.holds > 0) {
        await this.untilReleased(); // [cross-node backpressure] the entries wait in Redis meanwhile
        continue;
      }
      const parked = this.parked;
      if (parked !== undefined) {
        this.parked = undefined;
        this.route(parked, this.parkedRedelivered);
        continue;
      }
      try {
        const entries = pending ? await readEntries(rd, this.node, this.node, from) : await readEntries(rd, this.node, this.node, '>', BLOCK_MS);
        if (this.stopped) return; // what was read stays pending: the next run of this node reads it
        if (pending) {
          if (entries.length === 0) pending = false;
          else from = entries[entries.length - 1]!.id;
        }
        this.route(entries, pending);
      } catch (err) {
        if (this.stopped) return;
        if (isNoGroup(err)) {
          // Redis restarted empty, or this node was reaped while stalled: the stream starts again
          await ensureGroup(this.link.cmd, this.node).catch(() => sleep(RETRY_MS));
        } else {
          this.log.debug({ err: String(err) }, 'cluster: reading the node stream failed; retrying');
          this.rereadPending = true;
          await sleep(RETRY_MS);
        }
      }
    }
  }

  /**
   * Acknowledged in the transaction that commits what routing the entries changed: a node killed at any point
   * either committed and acknowledged them, or did neither (they stay pending and are delivered by its next run
   * or the survivor that adopts its sessions), so a persistent session never gets one twice from that.
   */
  private ack(ids: string[]): void {
    this.sink.commitAck(this.node, ids, (err) => {
      if (err === undefined) {
        this.acked += ids.length;
        for (const id of ids) this.routed.delete(id);
      } else if (isNoGroup(err)) {
        for (const id of ids) this.routed.delete(id); // Redis restarted empty: the entries are gone anyway
      } else for (const id of ids) this.ackRetry.push(id); // routed already: acknowledged when Redis is back
    });
  }

  private async readBacklog(): Promise<void> {
    if (!this.link.ready) return;
    this.backlog = await this.link.cmd.xlen(keys.stream(this.node)).catch(() => this.backlog);
  }
}

export interface DrainResult {
  /** Entries routed to the adopted sessions. */
  routed: number;
}

/** How long a dead node's stream is still read after its first drain, and how often. */
export const DRAIN_TAIL_MS = 12_000;
const DRAIN_POLL_MS = 500;

/**
 * Drains a dead node's stream into `sink` (its sessions adopted here): the entries its consumer had read but not
 * acknowledged first, then the unread ones. `first` resolves once the stream was read to its end; reading goes
 * on for DRAIN_TAIL_MS (other nodes may still add entries before they hear of the death), then the stream is
 * deleted: from then on an XADD for the dead node fails (NOMKSTREAM) and is counted undeliverable by its sender.
 * If the node comes back meanwhile (`isBack`: restarted with the same id), the stream is its own again: left alone.
 */
export function drainStream(
  cmd: () => Redis,
  node: string,
  sink: EntrySink,
  stopped: () => boolean,
  isBack: () => Promise<boolean>,
  log: Logger,
): { first: Promise<DrainResult>; done: Promise<DrainResult> } {
  const result: DrainResult = { routed: 0 };
  let markFirst: (r: DrainResult) => void = () => {};
  const first = new Promise<DrainResult>((resolve) => (markFirst = resolve));
  const done = (async (): Promise<DrainResult> => {
    const until = Date.now() + DRAIN_TAIL_MS;
    let from = '0';
    let pending = true;
    let back = false;
    try {
      for (;;) {
        if (stopped()) break;
        let entries: StreamEntry[];
        try {
          entries = await readEntries(cmd(), node, node, pending ? from : '>');
        } catch (err) {
          if (isNoGroup(err)) break; // no stream: nothing (left) to drain
          log.debug({ node, err: String(err) }, 'cluster: draining a dead node stream failed; retrying');
          if (Date.now() >= until) break;
          await sleep(DRAIN_POLL_MS);
          continue;
        }
        if (pending) {
          if (entries.length === 0) pending = false;
          else from = entries[entries.length - 1]!.id;
        } else if (entries.length === 0) {
          markFirst(result);
          if (Date.now() >= until) break;
          if ((back = await isBack().catch(() => false))) break;
          await sleep(DRAIN_POLL_MS);
          continue;
        }
        const ids = take(entries, sink);
        result.routed += entries.filter((e) => e.bytes).length;
        if (ids.length > 0) sink.commitAck(node, ids, () => {}); // not acknowledged: read again by the next drain
      }
      // the routed entries are committed before the stream goes
      await new Promise<void>((resolve) => sink.afterCommit(resolve));
      if (!stopped() && !back) await cmd().del(keys.stream(node));
    } catch (err) {
      log.warn({ node, err: String(err) }, 'cluster: draining a dead node stream stopped');
    } finally {
      markFirst(result);
    }
    return result;
  })();
  return { first, done };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
