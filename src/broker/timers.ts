// Timers longer than setTimeout allows (~24.8 days): session expiry and will delay reach 136 years.
import type { Clock, TimerHandle } from './ports.js';

const MAX_TIMER_MS = 2_147_483_647;

/** A cancellable timer for any duration; re-arms in steps when longer than the platform maximum. */
export class LongTimer {
  private handle: TimerHandle | undefined;
  private readonly deadline: number;

  constructor(
    private readonly clock: Clock,
    ms: number,
    private readonly fire: () => void,
  ) {
    this.deadline = clock.now() + ms;
    this.arm();
  }

  cancel(): void {
    if (this.handle !== undefined) this.clock.clearTimeout(this.handle);
    this.handle = undefined;
  }

  private arm(): void {
    const remaining = this.deadline - this.clock.now();
    this.handle = this.clock.setTimeout(this.tick, Math.max(0, Math.min(remaining, MAX_TIMER_MS)));
    this.handle.unref?.();
  }

  private readonly tick = (): void => {
    this.handle = undefined;
    if (this.clock.now() >= this.deadline) this.fire();
    else this.arm();
  };
}
