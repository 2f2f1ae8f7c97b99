// /metrics: the broker's counters in Prometheus text format. One prom-client Registry per broker (never the global
// default), so two brokers in one process keep separate numbers. Values are read from the broker's own counters at
// scrape time: nothing is counted twice and the hot path is untouched.
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { Broker } from '../broker/broker.js';

const PREFIX = 'glassmq_';

/** A counter whose value is the broker's running total (set at scrape time). */
function totalCounter(registry: Registry, name: string, help: string, read: () => number): void {
  new Counter({
    name: PREFIX + name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

function gauge(registry: Registry, name: string, help: string, read: () => number): void {
  new Gauge({
    name: PREFIX + name,
    help,
    registers: [registry],
    collect() {
      this.set(read());
    },
  });
}

export interface BrokerMetrics {
  readonly registry: Registry;
  /** The exposition text (Content-Type: registry.contentType). */
  render(): Promise<string>;
}

export function createBrokerMetrics(broker: Broker, opts: { processMetrics?: boolean } = {}): BrokerMetrics {
  const registry = new Registry();
  const s = broker.stats;
  gauge(registry, 'connections', 'Connected MQTT clients', () => s.clientsConnected);
  gauge(registry, 'connections_maximum', 'Most clients connected at once since start', () => s.clientsMaximum);
  totalCounter(registry, 'connections_total', 'Network connections accepted', () => s.connectionsTotal);
  totalCounter(registry, 'messages_received_total', 'PUBLISH packets received from clients', () => s.publishReceived);
  totalCounter(registry, 'messages_sent_total', 'PUBLISH packets sent to clients', () => s.publishSent);
  totalCounter(registry, 'packets_received_total', 'MQTT packets of any type received', () => s.messagesReceived);
  totalCounter(registry, 'packets_sent_total', 'MQTT packets of any type sent', () => s.messagesSent);
  totalCounter(registry, 'bytes_received_total', 'Bytes of MQTT received', () => s.bytesReceived);
  totalCounter(registry, 'bytes_sent_total', 'Bytes of MQTT sent', () => s.bytesSent);
  totalCounter(registry, 'sessions_expired_total', 'Sessions ended by their expiry interval', () => s.clientsExpired);
  new Counter({
    name: `${PREFIX}messages_dropped_total`,
    help: 'Messages not delivered to a subscriber, by cause',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      this.inc({ reason: 'qos0_buffer_full' }, s.droppedQos0);
      this.inc({ reason: 'queue_full' }, s.droppedQueueFull);
      this.inc({ reason: 'expired' }, s.droppedExpired);
      this.inc({ reason: 'too_large' }, s.droppedTooLarge);
    },
  });
  gauge(registry, 'retained_messages', 'Retained messages held', () => broker.retainedCount);
  gauge(registry, 'retained_bytes', 'Payload bytes of the retained messages', () => broker.retainedBytes);
  gauge(registry, 'subscriptions', 'Subscriptions of all sessions', () => broker.subscriptionCount);
  gauge(registry, 'sessions', 'Sessions, connected or not', () => broker.sessionCount);
  gauge(registry, 'queued_messages', 'QoS 1/2 messages waiting in session queues', () => broker.queuedCount);
  gauge(registry, 'uptime_seconds', 'Seconds since the broker started', () => (broker.clock.now() - s.startedAt) / 1000);
  new Gauge({
    name: `${PREFIX}listener_connections`,
    help: 'Connected MQTT clients per listener',
    labelNames: ['listener', 'transport'],
    registers: [registry],
    collect() {
      this.reset();
      for (const c of broker.clients()) this.inc({ listener: c.link.listener, transport: c.link.transport });
    },
  });
  if (opts.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: PREFIX });
  return { registry, render: () => registry.metrics() };
}
