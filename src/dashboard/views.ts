// The JSON the dashboard API answers with, built from the broker's public read-only views. Field names are part
// of the documented interface (docs/dashboard.md).
import { parseSharedSubscription } from '../protocol/index.js';
import { VERSION_LABEL } from '../protocol/constants.js';
import type { Broker } from '../broker/broker.js';
import type { Connection } from '../broker/connection.js';
import { topicLevels, topicMatches } from '../broker/topic-levels.js';
import type { ClientActivity } from './client-activity.js';
import { viewPayload, type PayloadView } from './payload-view.js';
import type { RateSampler } from './rates.js';
import { BROKER_PUBLISHER, type TrafficObserver } from './traffic.js';

const MS_PER_S = 1000;
/** Topics listed at most by /api/topics and /api/flow (busiest first). */
export const MAX_LISTED_TOPICS = 2000;

export interface ListenerView {
  readonly name: string;
  readonly transport: string;
  readonly address: string;
}

export interface OverviewView {
  readonly serverTime: number;
  readonly startedAt: number;
  readonly uptime: number;
  readonly connections: number;
  readonly connectionsMaximum: number;
  readonly sessions: number;
  readonly subscriptions: number;
  readonly retained: number;
  readonly retainedBytes: number;
  readonly queued: number;
  readonly totals: Readonly<Record<string, number>>;
  readonly rates: ReturnType<RateSampler['sample']> | undefined;
  readonly listeners: readonly (ListenerView & { connections: number })[];
}

export function overviewView(broker: Broker, rates: RateSampler, listeners: readonly ListenerView[]): OverviewView {
  const s = broker.stats;
  const now = broker.clock.now();
  const perListener = new Map<string, number>();
  for (const c of broker.clients()) perListener.set(c.link.listener, (perListener.get(c.link.listener) ?? 0) + 1);
  return {
    serverTime: now,
    startedAt: s.startedAt,
    uptime: Math.floor((now - s.startedAt) / MS_PER_S),
    connections: s.clientsConnected,
    connectionsMaximum: s.clientsMaximum,
    sessions: broker.sessionCount,
    subscriptions: broker.subscriptionCount,
    retained: broker.retainedCount,
    retainedBytes: broker.retainedBytes,
    queued: broker.queuedCount,
    totals: {
      messagesIn: s.publishReceived,
      messagesOut: s.publishSent,
      bytesIn: s.bytesReceived,
      bytesOut: s.bytesSent,
      packetsIn: s.messagesReceived,
      packetsOut: s.messagesSent,
      connections: s.connectionsTotal,
      dropped: s.droppedQos0 + s.droppedQueueFull + s.droppedExpired + s.droppedTooLarge,
    },
    rates: rates.latest,
    listeners: listeners.map((l) => ({ ...l, connections: perListener.get(l.name) ?? 0 })),
  };
}

/** Live connections of connected clients. */
export function connectedClients(broker: Broker): Connection[] {
  const out: Connection[] = [];
  for (const info of broker.clients()) {
    const conn = broker.sessions.get(info.clientId)?.connection;
    if (conn && conn.state === 'connected') out.push(conn);
  }
  return out;
}

export function findConnection(broker: Broker, clientId: string): Connection | undefined {
  const conn = broker.sessions.get(clientId)?.connection;
  return conn && conn.state === 'connected' ? conn : undefined;
}

export function clientView(conn: Connection, activity: ClientActivity) {
  const info = conn.link.info;
  const session = conn.session;
  const act = activity.get(conn);
  return {
    clientId: conn.clientId,
    username: conn.username ?? null,
    address: info.remoteAddress.includes(':') ? `[${info.remoteAddress}]:${info.remotePort}` : `${info.remoteAddress}:${info.remotePort}`,
    transport: info.transport,
    listener: info.listener,
    protocolVersion: conn.version,
    protocol: VERSION_LABEL[conn.version] ?? String(conn.version),
    keepalive: conn.keepalive,
    connectedAt: conn.connectedAt,
    subscriptions: session ? [...session.subscriptions.values()].map((e) => ({ filter: e.filter, qos: e.options.qos })) : [],
    inflight: session?.inflight.size ?? 0,
    queued: session?.queue.length ?? 0,
    bytesIn: act.bytesIn,
    bytesOut: act.bytesOut,
    packetsIn: act.packetsIn,
    packetsOut: act.packetsOut,
    lastPacketAt: act.lastPacketAt ?? null,
    pings: act.pings,
    tls: info.tls ?? null,
  };
}

export type ClientView = ReturnType<typeof clientView>;

interface CompiledFilter {
  readonly clientId: string;
  readonly filter: string;
  readonly qos: number;
  readonly levels: readonly string[];
}

function compiledSubscriptions(broker: Broker): CompiledFilter[] {
  return broker.subscriptions().map((s) => {
    const inner = parseSharedSubscription(s.topicFilter)?.filter ?? s.topicFilter;
    return { clientId: s.clientId, filter: s.topicFilter, qos: s.qos, levels: topicLevels(inner) };
  });
}

export interface TopicView {
  readonly topic: string;
  readonly count: number;
  readonly rate: number;
  readonly bytes: number;
  readonly lastAt: number | null;
  readonly payload: PayloadView | null;
  readonly retained: { readonly payload: PayloadView; readonly qos: number } | null;
  readonly subscribers: readonly { clientId: string; filter: string; qos: number }[];
  readonly publishers: readonly { clientId: string; count: number }[];
}

/** Every topic seen since the dashboard opened plus every retained topic, busiest first (bounded). */
export function topicsView(broker: Broker, traffic: TrafficObserver): { serverTime: number; topics: TopicView[]; untracked: number } {
  traffic.settle();
  const names = new Set<string>(traffic.topics.keys());
  for (const r of broker.retained.match('#')) names.add(r.topic);
  for (const r of broker.retained.match('$SYS/#')) names.add(r.topic);
  const ranked = [...names]
    .map((topic) => ({ topic, t: traffic.topics.get(topic) }))
    .sort((a, b) => (b.t?.rate ?? 0) - (a.t?.rate ?? 0) || a.topic.localeCompare(b.topic))
    .slice(0, MAX_LISTED_TOPICS);
  const subs = compiledSubscriptions(broker);
  const topics = ranked.map(({ topic, t }): TopicView => {
    const levels = topicLevels(topic);
    const retained = broker.retained.get(topic);
    return {
      topic,
      count: t?.count ?? 0,
      rate: t ? Math.round(t.rate * 10) / 10 : 0,
      bytes: t?.bytes ?? 0,
      lastAt: t?.lastAt ?? null,
      payload: t ? viewPayload(t.last.payload) : null,
      retained: retained ? { payload: viewPayload(retained.payload), qos: retained.qos } : null,
      subscribers: subs.filter((s) => topicMatches(s.levels, levels)).map(({ clientId, filter, qos }) => ({ clientId, filter, qos })),
      publishers: t ? [...t.publishers].map(([clientId, count]) => ({ clientId, count })) : [],
    };
  });
  return { serverTime: broker.clock.now(), topics, untracked: traffic.untracked };
}

export function retainedView(broker: Broker) {
  const out = [];
  for (const filter of ['#', '$SYS/#']) {
    for (const { topic, message } of broker.retained.match(filter)) {
      out.push({ topic, qos: message.qos, receivedAt: message.receivedAt, payload: viewPayload(message.payload) });
    }
  }
  out.sort((a, b) => a.topic.localeCompare(b.topic));
  return { serverTime: broker.clock.now(), retained: out };
}

export interface FlowGraphView {
  readonly serverTime: number;
  readonly clients: readonly { id: string; publishes: boolean; subscribes: boolean; connected: boolean }[];
  readonly topics: readonly { topic: string; rate: number; filter: boolean }[];
  /** pub: client -> topic; sub: topic (or filter node) -> client. */
  readonly edges: readonly { kind: 'pub' | 'sub'; client: string; topic: string }[];
}

/**
 * Clients and topics as a graph: publishers point at the topics they published to (since the dashboard opened),
 * topics point at the subscribers whose filters match them, and a filter that matches no seen topic is a node of
 * its own so every subscriber shows. $SYS topics are left out: they would tie every monitoring client to the broker.
 */
export function flowGraphView(broker: Broker, traffic: TrafficObserver): FlowGraphView {
  traffic.settle();
  const connected = new Set(broker.clients().map((c) => c.clientId));
  const topics = [...traffic.topics]
    .filter(([topic]) => !topic.startsWith('$'))
    .sort((a, b) => b[1].rate - a[1].rate)
    .slice(0, MAX_LISTED_TOPICS);
  const edges: { kind: 'pub' | 'sub'; client: string; topic: string }[] = [];
  const publishers = new Set<string>();
  const subscribers = new Set<string>();
  for (const [topic, t] of topics) {
    for (const client of t.publishers.keys()) {
      if (client === BROKER_PUBLISHER || !connected.has(client)) continue;
      edges.push({ kind: 'pub', client, topic });
      publishers.add(client);
    }
  }
  const filterNodes = new Set<string>();
  for (const s of compiledSubscriptions(broker)) {
    if (!connected.has(s.clientId) || s.filter.startsWith('$SYS')) continue;
    let matched = false;
    for (const [topic] of topics) {
      if (!topicMatches(s.levels, topicLevels(topic))) continue;
      edges.push({ kind: 'sub', client: s.clientId, topic });
      matched = true;
    }
    if (!matched) {
      filterNodes.add(s.filter);
      edges.push({ kind: 'sub', client: s.clientId, topic: s.filter });
    }
    subscribers.add(s.clientId);
  }
  return {
    serverTime: broker.clock.now(),
    clients: [...connected].map((id) => ({ id, publishes: publishers.has(id), subscribes: subscribers.has(id), connected: true })),
    topics: [
      ...topics.map(([topic, t]) => ({ topic, rate: Math.round(t.rate * 10) / 10, filter: false })),
      ...[...filterNodes].map((topic) => ({ topic, rate: 0, filter: true })),
    ],
    edges,
  };
}
