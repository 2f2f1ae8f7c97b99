// Keepalive [MQTT-3.1.2-22] (5.0) / [MQTT-3.1.2-24] (3.1.1): a connection silent for 1.5 x its keepalive is cut.
// Receiving a packet only stores the time; the single timer re-arms itself lazily for the remaining time, so
// the deadline is exact (lastSeen + 1.5 x keepalive) without touching a timer per packet.
import type { Clock, TimerHandle } from './ports.js';

const GRACE_FACTOR = 1.5;

export class KeepaliveMonitor {
  private lastSeen: number;
  private timer: TimerHandle | undefined;
  private readonly limitMs: number;

  constructor(
    keepaliveSeconds: number,
    private readonly clock: Clock,
    private readonly owner: { keepaliveExpired(): void },
  ) {
    this.limitMs = keepaliveSeconds * 1000 * GRACE_FACTOR;
    this.lastSeen = clock.now();
    if (this.limitMs > 0) this.arm(this.limitMs);
  }

  /** Called for every packet received: cheap on purpose. */
  touch(): void {
    this.lastSeen = this.clock.now();
  }

  /** The time (clock ms) at which the connection will be cut if nothing arrives, or undefined when off. */
  get deadline(): number | undefined {
    return this.limitMs > 0 ? this.lastSeen + this.limitMs : undefined;
  }

  stop(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(ms: number): void {
    this.timer = this.clock.setTimeout(() => this.check(), ms);
    this.timer.unref?.();
  }

  private check(): void {
    this.timer = undefined;
    const remaining = this.lastSeen + this.limitMs - this.clock.now();
    if (remaining > 0) this.arm(remaining);
    else this.owner.keepaliveExpired();
  }
}
