// Per-address login throttle: after `maxFailures` failed logins from one address within `windowMs`, every
// login from that address is refused for `lockoutMs` without even checking the password, so guessing costs
// the attacker time and costs the broker no hashing. A successful login clears the address's record.
// Memory is bounded: at most `maxTracked` addresses are remembered; the oldest record is dropped first.
import type { Clock } from '../broker/ports.js';

export interface ThrottleOptions {
  maxFailures: number;
  windowMs: number;
  lockoutMs: number;
  maxTracked: number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = {
  maxFailures: 5,
  windowMs: 60_000,
  lockoutMs: 30_000,
  maxTracked: 10_000,
};

interface AddressRecord {
  /** Times of the failures still inside the window, oldest first. */
  failures: number[];
  lockedUntil: number;
}

export class FailureThrottle {
  private readonly records = new Map<string, AddressRecord>();

  constructor(
    private readonly options: ThrottleOptions = DEFAULT_THROTTLE,
    private readonly clock: Pick<Clock, 'now'> = { now: () => Date.now() },
  ) {}

  /** Milliseconds this address must still wait, 0 when it may try now. */
  lockedFor(address: string): number {
    const record = this.records.get(address);
    if (!record) return 0;
    return Math.max(0, record.lockedUntil - this.clock.now());
  }

  recordFailure(address: string): void {
    const now = this.clock.now();
    const record = this.records.get(address) ?? { failures: [], lockedUntil: 0 };
    this.records.delete(address); // re-insert so Map order is least-recently-failed first
    record.failures = record.failures.filter((t) => now - t < this.options.windowMs);
    record.failures.push(now);
    if (record.failures.length >= this.options.maxFailures) {
      record.lockedUntil = now + this.options.lockoutMs;
      record.failures = [];
    }
    this.records.set(address, record);
    if (this.records.size > this.options.maxTracked) {
      const oldest = this.records.keys().next().value;
      if (oldest !== undefined) this.records.delete(oldest);
    }
  }

  recordSuccess(address: string): void {
    this.records.delete(address);
  }

  get trackedAddresses(): number {
    return this.records.size;
  }
}
