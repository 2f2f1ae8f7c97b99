// What happens when a subscriber's socket holds more than --max-output-buffer bytes. Publishers routing to it are
// held back (their reading paused: TCP backpressure) as long as it keeps draining at a useful rate, so a
// subscriber that keeps up loses nothing. One that drains less than 1/16 of its cap within STALL_MS is
// "stalled": the publishers go on at full speed and its QoS 0 messages are dropped until its socket has drained.
// A subscriber that stops reading thus never slows anyone for more than STALL_MS. Created only while a
// connection is over its cap.
import type { Clock, Logger, TimerHandle } from './ports.js';

export const STALL_MS = 500;
/**
 * Share of the output cap a subscriber must drain per STALL_MS to keep holding publishers (128 KB/s with the
 * default cap): slower readers are treated as stalled, so they cannot slow publishers to a crawl. The window is
 * long enough that a reader descheduled for a moment on a busy machine is not mistaken for a stalled one. The
 * session queue's rule (queue-pressure.ts) uses the same share of its high-water mark.
 */
export const MIN_DRAIN_SHARE = 1 / 16;

/** A connection whose reading can be held back. */
export interface Holdable {
  holdReading(): void;
  releaseReading(): void;
}

export class OutputPressure {
  /** Set when the buffer did not drain fast enough; the owner drops this object when the socket drains. */
  stalled = false;
  private readonly waiters: Holdable[] = [];
  private timer: TimerHandle | undefined;
  private lastPending = 0;
  private lastWritten = 0;

  constructor(
    private readonly clientId: string,
    private readonly clock: Clock,
    private readonly logger: Logger,
    /** Bytes waiting in the subscriber's socket right now. */
    private readonly pending: () => number,
    /** Bytes ever handed to the subscriber's socket. */
    private readonly written: () => number,
    private readonly cap: number,
  ) {}

  /** Holds `publisher` until the drain; false when the subscriber is stalled (the message should be dropped). */
  hold(publisher: Holdable): boolean {
    if (this.stalled) return false;
    if (this.timer === undefined) this.arm();
    if (!this.waiters.includes(publisher)) {
      this.waiters.push(publisher);
      publisher.holdReading();
    }
    return true;
  }

  /** Lets every held publisher read again (on drain, stall or close). */
  release(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    for (const w of this.waiters.splice(0)) w.releaseReading();
  }

  private arm(): void {
    this.lastPending = this.pending();
    this.lastWritten = this.written();
    this.timer = this.clock.setTimeout(() => this.check(), STALL_MS);
  }

  private check(): void {
    this.timer = undefined;
    // what actually left for the network: bytes added meanwhile, minus how much the backlog grew
    const flushed = this.written() - this.lastWritten - (this.pending() - this.lastPending);
    if (flushed >= this.cap * MIN_DRAIN_SHARE) {
      this.arm(); // draining well: keep the publishers waiting for it
      return;
    }
    this.stalled = true;
    this.logger.warn({ clientId: this.clientId }, 'output buffer full: dropping QoS 0 messages for this client until it reads again');
    this.release();
  }
}
