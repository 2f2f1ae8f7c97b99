// $SYS topics with mosquitto's names, published (retained, QoS 0) every sys-interval seconds.
import type { Broker } from './broker.js';
import type { TimerHandle } from './ports.js';
import { createMessage } from './message.js';

const MINUTE_S = 60;
const LOAD_WINDOWS: readonly [string, number][] = [['1min', 1], ['5min', 5], ['15min', 15]];

/** Counters whose per-minute rate is published as an exponentially damped average, like mosquitto's load/. */
const LOAD_SOURCES: readonly [string, (b: Broker) => number][] = [
  ['messages/received', (b) => b.stats.messagesReceived],
  ['messages/sent', (b) => b.stats.messagesSent],
  ['publish/received', (b) => b.stats.publishReceived],
  ['publish/sent', (b) => b.stats.publishSent],
  ['publish/dropped', (b) => b.stats.publishDropped],
  ['bytes/received', (b) => b.stats.bytesReceived],
  ['bytes/sent', (b) => b.stats.bytesSent],
  ['connections', (b) => b.stats.connectionsTotal],
];

export class SysTopics {
  private timer: TimerHandle | undefined;
  private lastAt: number;
  private readonly last = new Map<string, number>();
  private readonly load = new Map<string, number>();

  constructor(
    private readonly broker: Broker,
    private readonly intervalSeconds: number,
    private readonly version: string,
  ) {
    this.lastAt = broker.clock.now();
  }

  start(): void {
    if (this.intervalSeconds <= 0) return;
    this.publishAll();
    this.arm();
  }

  stop(): void {
    if (this.timer !== undefined) this.broker.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Current values, topic -> payload text (also used by tests and the dashboard). */
  snapshot(): Map<string, string> {
    const b = this.broker;
    const s = b.stats;
    const now = b.clock.now();
    const sessions = b.sessionCount;
    const out = new Map<string, string>();
    const put = (topic: string, value: string | number): void => void out.set(`$SYS/broker/${topic}`, String(value));
    put('version', `glassmq version ${this.version}`);
    put('uptime', `${Math.floor((now - s.startedAt) / 1000)} seconds`);
    put('clients/connected', s.clientsConnected);
    put('clients/active', s.clientsConnected);
    put('clients/disconnected', sessions - s.clientsConnected);
    put('clients/inactive', sessions - s.clientsConnected);
    put('clients/total', sessions);
    put('clients/maximum', s.clientsMaximum);
    put('clients/expired', s.clientsExpired);
    put('messages/received', s.messagesReceived);
    put('messages/sent', s.messagesSent);
    put('messages/stored', b.retainedCount + b.queuedCount);
    put('store/messages/count', b.retainedCount + b.queuedCount);
    put('store/messages/bytes', b.retainedBytes + b.queuedBytes);
    put('publish/messages/received', s.publishReceived);
    put('publish/messages/sent', s.publishSent);
    put('publish/messages/dropped', s.publishDropped);
    put('publish/bytes/received', s.bytesReceived);
    put('bytes/received', s.bytesReceived);
    put('bytes/sent', s.bytesSent);
    put('subscriptions/count', b.subscriptionCount);
    put('retained messages/count', b.retainedCount);
    put('dropped/qos0', s.droppedQos0);
    put('dropped/queue-full', s.droppedQueueFull);
    put('dropped/expired', s.droppedExpired);
    put('dropped/too-large', s.droppedTooLarge);
    for (const [name, value] of b.cluster?.sysValues() ?? []) put(name, value); // [cluster] cluster/... of this node
    for (const [name] of LOAD_SOURCES) {
      for (const [label] of LOAD_WINDOWS) put(`load/${name}/${label}`, (this.load.get(`${name}/${label}`) ?? 0).toFixed(2));
    }
    return out;
  }

  private arm(): void {
    this.timer = this.broker.clock.setTimeout(this.tick, this.intervalSeconds * 1000);
    this.timer.unref?.();
  }

  private readonly tick = (): void => {
    this.updateLoad();
    this.publishAll();
    this.arm();
  };

  private updateLoad(): void {
    const now = this.broker.clock.now();
    const elapsedS = Math.max(1e-3, (now - this.lastAt) / 1000);
    this.lastAt = now;
    for (const [name, read] of LOAD_SOURCES) {
      const value = read(this.broker);
      const perMinute = ((value - (this.last.get(name) ?? 0)) * MINUTE_S) / elapsedS;
      this.last.set(name, value);
      for (const [label, minutes] of LOAD_WINDOWS) {
        const key = `${name}/${label}`;
        const decay = Math.exp(-elapsedS / (MINUTE_S * minutes));
        this.load.set(key, (this.load.get(key) ?? 0) * decay + perMinute * (1 - decay));
      }
    }
  }

  private publishAll(): void {
    const now = this.broker.clock.now();
    for (const [topic, value] of this.snapshot()) {
      this.broker.publish(createMessage(topic, Buffer.from(value), 0, true, undefined, now, undefined), undefined);
    }
  }
}
