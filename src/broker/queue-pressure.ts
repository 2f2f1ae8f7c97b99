// What happens when a connected subscriber's session queue (QoS 1/2 messages waiting behind its full inflight
// window) passes its high-water mark: the clients publishing to it are held back (their packets wait unread: TCP
// backpressure, their own in-flight windows fill) until the queue is back at its low-water mark, so a subscriber
// that keeps making progress loses nothing. One that takes fewer than 1/16 of its high-water mark off its queue
// within STALL_MS is "stalled": its publishers go on at full speed and its queue fills to the limit, then drops
// (counted), as if nobody had been held. A stalled subscriber that picks up again holds publishers again. Created
// only while a queue is above high water; the broker's own messages (wills, $SYS) are never held; messages from
// other nodes hold this node's stream reader instead (docs/cluster.md, "Cross-node backpressure").
import type { Clock, HoldablePublisher, Logger, TimerHandle } from './ports.js';
import { MIN_DRAIN_SHARE, STALL_MS } from './output-pressure.js';

/** Share of --max-queued / --max-queued-bytes at which publishers are held. */
export const HIGH_WATER_SHARE = 1 / 2;
/** Share at or below which they are released (the gap keeps holds from flapping message by message). */
export const LOW_WATER_SHARE = 1 / 4;

/** The thresholds of one broker, computed once from its limits. */
export interface QueueMarks {
  /** A queue holding at least this many messages (or bytes) holds its publishers. */
  readonly highCount: number;
  readonly highBytes: number;
  /** Publishers go free once the queue is down to this many messages and bytes. */
  readonly lowCount: number;
  readonly lowBytes: number;
  /** Progress a subscriber must make per STALL_MS to keep holding: this many messages or bytes off its queue. */
  readonly minMoved: number;
  readonly minMovedBytes: number;
}

export function queueMarks(maxQueued: number, maxQueuedBytes: number): QueueMarks {
  // never below 1: an empty queue (--max-queued 0) must not hold anyone
  const highCount = Math.max(1, Math.ceil(maxQueued * HIGH_WATER_SHARE));
  const highBytes = Math.max(1, Math.ceil(maxQueuedBytes * HIGH_WATER_SHARE));
  return {
    highCount,
    highBytes,
    lowCount: Math.floor(maxQueued * LOW_WATER_SHARE),
    lowBytes: Math.floor(maxQueuedBytes * LOW_WATER_SHARE),
    minMoved: Math.max(1, Math.ceil(highCount * MIN_DRAIN_SHARE)),
    minMovedBytes: Math.max(1, Math.ceil(highBytes * MIN_DRAIN_SHARE)),
  };
}

export type { HoldablePublisher }; // a client connection, or [cluster] a node stream reader (ports.ts)

export class QueuePressure {
  /** Set while the subscriber makes too little progress: nobody is held for it. */
  stalled = false;
  private readonly holders: HoldablePublisher[] = [];
  private timer: TimerHandle | undefined;
  /** Messages and payload bytes taken off the queue (sent to the client, or expired) since this began. */
  private moved = 0;
  private movedBytes = 0;
  private lastMoved = 0;
  private lastMovedBytes = 0;
  private armedAt = 0;
  /** The last check came too late to judge (see check()). */
  private skippedLate = false;

  constructor(
    private readonly clientId: string,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly marks: QueueMarks,
  ) {}

  /** Number of publishers held for this subscriber right now. */
  get holding(): number {
    return this.holders.length;
  }

  /** Holds `publisher` until the queue is down to low water; does nothing while the subscriber is stalled. */
  hold(publisher: HoldablePublisher): void {
    if (this.stalled) return;
    if (this.timer === undefined) this.arm();
    if (!this.holders.includes(publisher)) {
      this.holders.push(publisher);
      publisher.holdPackets();
    }
  }

  /** The subscriber's queue moved (after an ack or a drain). */
  progressed(count: number, bytes: number): void {
    if (this.timer === undefined) this.arm(); // stalled and reading again: see whether it keeps up
    this.moved += count;
    this.movedBytes += bytes;
  }

  /** Lets every held publisher go (queue at low water, subscriber gone); the owner drops this object. */
  release(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.releaseHolders();
  }

  private releaseHolders(): void {
    for (const p of this.holders.splice(0)) p.releasePackets();
  }

  private arm(): void {
    this.lastMoved = this.moved;
    this.lastMovedBytes = this.movedBytes;
    this.armedAt = this.clock.now();
    this.timer = this.clock.setTimeout(() => this.check(), STALL_MS);
  }

  private check(): void {
    this.timer = undefined;
    // A check a whole period late means this process was blocked (GC, a burst, a busy machine), the client's acks
    // unread in its socket: no verdict then, once in a row, so a real stall is still caught within 3 x STALL_MS.
    if (this.clock.now() - this.armedAt >= 2 * STALL_MS && !this.skippedLate) {
      this.skippedLate = true;
      this.arm();
      return;
    }
    this.skippedLate = false;
    const marks = this.marks;
    if (this.moved - this.lastMoved >= marks.minMoved || this.movedBytes - this.lastMovedBytes >= marks.minMovedBytes) {
      if (this.stalled) {
        this.stalled = false;
        this.logger.info({ clientId: this.clientId }, 'session queue moving again: holding its publishers back again');
      }
      this.arm();
      return;
    }
    if (this.stalled) return; // no timer until it makes progress again
    this.stalled = true;
    this.logger.warn({ clientId: this.clientId }, 'session queue not moving: publishers no longer held for this client');
    this.releaseHolders();
  }
}
