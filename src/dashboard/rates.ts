// Once a second the broker's running totals become per-second rates; the last few minutes are kept so a page
// that opens later starts with a full chart.
import type { BrokerStats } from '../broker/stats.js';

export const RATE_HISTORY = 300;
const MS_PER_S = 1000;

export interface RateSample {
  /** Clock ms. */
  readonly t: number;
  readonly msgsIn: number;
  readonly msgsOut: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
}

interface Totals {
  publishReceived: number;
  publishSent: number;
  bytesReceived: number;
  bytesSent: number;
}

function totals(s: BrokerStats): Totals {
  return { publishReceived: s.publishReceived, publishSent: s.publishSent, bytesReceived: s.bytesReceived, bytesSent: s.bytesSent };
}

export class RateSampler {
  readonly history: RateSample[] = [];
  private previous: Totals;
  private previousAt: number;

  constructor(
    private readonly stats: BrokerStats,
    now: number,
  ) {
    this.previous = totals(stats);
    this.previousAt = now;
  }

  sample(now: number): RateSample {
    const current = totals(this.stats);
    const seconds = Math.max(now - this.previousAt, 1) / MS_PER_S;
    const rate = (a: number, b: number): number => Math.round((a - b) / seconds);
    const s: RateSample = {
      t: now,
      msgsIn: rate(current.publishReceived, this.previous.publishReceived),
      msgsOut: rate(current.publishSent, this.previous.publishSent),
      bytesIn: rate(current.bytesReceived, this.previous.bytesReceived),
      bytesOut: rate(current.bytesSent, this.previous.bytesSent),
    };
    this.previous = current;
    this.previousAt = now;
    this.history.push(s);
    if (this.history.length > RATE_HISTORY) this.history.shift();
    return s;
  }

  get latest(): RateSample | undefined {
    return this.history[this.history.length - 1];
  }
}
