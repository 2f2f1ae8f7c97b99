// Which client publishes to which topic, how often, and the last payload per topic: counted only while a
// dashboard is open (the publish hook is off otherwise). Bounded: beyond MAX_TOPICS new topics are only counted
// in `untracked`, so a broker with millions of topics cannot grow the dashboard's memory.
import type { Broker } from '../broker/broker.js';
import type { Message } from '../broker/message.js';
import type { ClientInfo } from '../broker/hooks.js';
import { onPublished } from './hook-taps.js';

export const MAX_TOPICS = 5000;
/** Publisher key of messages the broker made itself (wills are published in the client's name). */
export const BROKER_PUBLISHER = '';
/** Weight of the newest second in the smoothed per-topic rate. */
const RATE_SMOOTHING = 0.5;
const MS_PER_S = 1000;

export interface TopicTraffic {
  count: number;
  bytes: number;
  lastAt: number;
  last: Message;
  /** Messages per second, smoothed over the last few seconds. */
  rate: number;
  /** Publisher client id -> messages (up to the last settle(); see run). */
  readonly publishers: Map<string, number>;
  counted: number;
  /**
   * Messages in a row from one publisher not yet added to `publishers` and the flow deltas: a topic usually has
   * one publisher, so the per-message path is a comparison and an increment instead of Map updates.
   */
  runPublisher: string | undefined;
  run: number;
}

export interface FlowDelta {
  readonly topic: string;
  readonly publisher: string;
  readonly count: number;
}

export class TrafficObserver {
  readonly topics = new Map<string, TopicTraffic>();
  untracked = 0;
  /** Whether (topic, publisher) deltas are kept for drainFlow(): only while a Flow view is open. */
  collectFlow = false;
  /** topic -> publisher -> messages since the last drainFlow(). */
  private flow = new Map<string, Map<string, number>>();
  private stopTap: (() => void) | undefined;
  private lastTick = 0;
  /** The previous message's topic and record: a stream of messages to one topic skips the Map lookup. */
  private lastTopic: string | undefined;
  private lastTraffic: TopicTraffic | undefined;

  constructor(private readonly broker: Broker) {}

  get active(): boolean {
    return this.stopTap !== undefined;
  }

  start(): void {
    if (this.stopTap) return;
    this.lastTick = this.broker.clock.now();
    // Rates restart from here: messages counted before the last stop belong to no measured second.
    for (const t of this.topics.values()) {
      t.counted = t.count;
      t.rate = 0;
    }
    this.stopTap = onPublished(this.broker, (message, client) => this.observe(message, client));
  }

  stop(): void {
    this.stopTap?.();
    this.stopTap = undefined;
    this.settle();
    this.flow.clear();
  }

  private observe(message: Message, client: ClientInfo | undefined): void {
    const topic = message.topic;
    const publisher = client?.clientId ?? message.origin ?? BROKER_PUBLISHER;
    let t = topic === this.lastTopic ? this.lastTraffic : this.topics.get(topic);
    if (!t) {
      if (this.topics.size >= MAX_TOPICS) {
        this.untracked++;
        return;
      }
      t = { count: 0, bytes: 0, lastAt: 0, last: message, rate: 0, publishers: new Map(), counted: 0, runPublisher: undefined, run: 0 };
      this.topics.set(topic, t);
    }
    this.lastTopic = topic;
    this.lastTraffic = t;
    t.count++;
    t.bytes += message.payload.length;
    t.lastAt = message.receivedAt;
    t.last = message;
    if (t.runPublisher === publisher) {
      t.run++;
      return;
    }
    this.flushRun(topic, t);
    t.runPublisher = publisher;
    t.run = 1;
  }

  private flushRun(topic: string, t: TopicTraffic): void {
    const publisher = t.runPublisher;
    if (publisher === undefined || t.run === 0) return;
    t.publishers.set(publisher, (t.publishers.get(publisher) ?? 0) + t.run);
    if (this.collectFlow) {
      let byPublisher = this.flow.get(topic);
      if (!byPublisher) this.flow.set(topic, (byPublisher = new Map()));
      byPublisher.set(publisher, (byPublisher.get(publisher) ?? 0) + t.run);
    }
    t.run = 0;
  }

  /** Adds the pending runs to `publishers` and the flow deltas; call before reading either. */
  settle(): void {
    for (const [topic, t] of this.topics) this.flushRun(topic, t);
  }

  /** Updates the per-topic rates; call about once a second. */
  tick(): void {
    const now = this.broker.clock.now();
    const seconds = Math.max(now - this.lastTick, 1) / MS_PER_S;
    this.lastTick = now;
    for (const t of this.topics.values()) {
      const current = (t.count - t.counted) / seconds;
      t.counted = t.count;
      t.rate = t.rate * (1 - RATE_SMOOTHING) + current * RATE_SMOOTHING;
    }
  }

  /** Messages per (topic, publisher) since the previous call: the animation input of the Flow view. */
  drainFlow(): FlowDelta[] {
    this.settle();
    const out: FlowDelta[] = [];
    for (const [topic, byPublisher] of this.flow) {
      for (const [publisher, count] of byPublisher) out.push({ topic, publisher, count });
    }
    this.flow = new Map();
    return out;
  }
}
