// The broker core: sessions, subscriptions, retained messages, wills and the connections that use them. It sees
// the network only as Links (ports.ts); listeners live elsewhere and hand links to handleLink().
import { randomBytes } from 'node:crypto';
import { ReasonCode } from '../protocol/constants.js';
import { takeAsReceived } from '../protocol/decode/publish.js'; // QoS 0 forwarded as received
import { parseSharedSubscription } from '../protocol/index.js'; // [persistence] restored $share subscriptions
import type { PublishPacket, QoS } from '../protocol/packets.js';
import type { Clock, Link, Logger, RestoredSession, RetainedStore, SessionStore } from './ports.js';
import type { ClusterBus, ClusterInbound, StoredMessage } from './ports.js'; // [cluster]
import { silentLogger, systemClock } from './ports.js';
import { safeHooks, type BrokerHooks, type ClientInfo } from './hooks.js';
import { Connection } from './connection.js';
import { DEFAULT_LIMITS, type BrokerLimits } from './limits.js';
import { createMessage, forwardableProperties, keepPayload, type Message } from './message.js';
import { MemoryRetainedStore, MemorySessionStore } from './memory-stores.js';
import { Router } from './router.js';
import { DeliveryEngine } from './delivery.js';
import { forwardAsReceived } from './encode-publish.js';
import { Session, SESSION_NEVER_EXPIRES, type SubscriptionEntry, type SubscriptionOptions } from './session.js';
import { Stats, type BrokerStats } from './stats.js';
import { SysTopics } from './sys-topics.js';
import { TopicTree } from './topic-tree.js';
import { LongTimer } from './timers.js';
import { Wills } from './wills.js';

export interface BrokerOptions extends Partial<BrokerLimits> {
  /** Seconds between $SYS updates; 0 turns $SYS off. Default 10. */
  sysInterval?: number;
  /** Whether retained messages are supported (5.0 Retain Available). Default true. */
  retainAvailable?: boolean;
  hooks?: BrokerHooks;
  clock?: Clock;
  logger?: Logger;
  /** Log one line per packet (like mosquitto -v). */
  verbose?: boolean;
  /** Version string for $SYS/broker/version. */
  version?: string;
  sessionStore?: SessionStore<Session>;
  retainedStore?: RetainedStore<Message>;
  /** [cluster] The bus to the other nodes (--cluster); absent: a single node, and no cluster cost anywhere. */
  cluster?: ClusterBus;
}

export const DEFAULT_SYS_INTERVAL = 10;
const SHUTDOWN_WAIT_MS = 3000;

/** A subscription as embedders see it. */
export interface SubscriptionInfo {
  readonly clientId: string;
  readonly topicFilter: string;
  readonly qos: QoS;
}

export class Broker {
  readonly limits: Readonly<BrokerLimits>;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly verbose: boolean;
  readonly hooks: BrokerHooks;
  readonly retainAvailable: boolean;
  readonly stats: Stats;
  readonly sessions: SessionStore<Session>;
  readonly retained: RetainedStore<Message>;
  readonly delivery: DeliveryEngine;
  private readonly tree = new TopicTree<SubscriptionEntry>();
  private readonly router: Router;
  private readonly wills: Wills;
  private readonly sys: SysTopics;
  private readonly connections = new Set<Connection>();
  private readonly expiryTimers = new Map<Session, LongTimer>();
  private closing = false;
  /** [cluster] undefined on a single node: every cluster call below is one null check. */
  readonly cluster: ClusterBus | undefined;

  constructor(options: BrokerOptions = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...definedOnly(options) };
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.verbose = options.verbose ?? false;
    this.hooks = safeHooks(options.hooks ?? {}, this.logger);
    this.retainAvailable = options.retainAvailable ?? true;
    this.stats = new Stats(this.clock.now());
    this.sessions = options.sessionStore ?? new MemorySessionStore<Session>();
    this.retained = options.retainedStore ?? new MemoryRetainedStore<Message>();
    this.delivery = new DeliveryEngine(this);
    this.router = new Router(this.tree, this.delivery);
    this.wills = new Wills(this);
    this.cluster = options.cluster; // [cluster] before restoreSessions, so restored filters are announced
    this.cluster?.attach(this.clusterInbound());
    // [cluster] a store shared by the nodes brings sessions here (adopted) and takes them away (handed over)
    this.sessions.attach?.({ adopt: (r) => this.addRestored(r), release: (id, clean) => this.sessionMovedAway(id, clean) });
    this.restoreSessions();
    this.sys = new SysTopics(this, options.sysInterval ?? DEFAULT_SYS_INTERVAL, options.version ?? '0.0.0');
    this.sys.start();
  }

  /**
   * [persistence] Sessions a durable store brought back from disk: their subscriptions go back into the topic
   * tree, and their expiry and delayed wills are re-armed with the time spent offline (downtime included).
   */
  private restoreSessions(): void {
    for (const restored of this.sessions.restored?.() ?? []) this.addRestored(restored);
  }

  /** [persistence] [cluster] A session brought back from disk, or from Redis (moved here, adopted from a dead node). */
  private addRestored({ session, subscriptions, offlineMs }: RestoredSession<Session>): void {
    for (const { filter, options } of subscriptions) {
      this.subscribe(session, filter, options, parseSharedSubscription(filter) ?? undefined);
    }
    if (session.pendingWill) this.wills.restore(session, offlineMs);
    if (session.expiryInterval !== SESSION_NEVER_EXPIRES) {
      this.scheduleExpiry(session, Math.max(0, session.expiryInterval * 1000 - offlineMs)); // [MQTT-4.1.0-2]
    }
  }

  // ---- read-only views ------------------------------------------------------------------------------------

  get statistics(): BrokerStats {
    return this.stats;
  }
  get connectionCount(): number {
    return this.connections.size;
  }
  get sessionCount(): number {
    return this.sessions.size;
  }
  get subscriptionCount(): number {
    return this.tree.count;
  }
  get retainedCount(): number {
    return this.retained.size;
  }
  get retainedBytes(): number {
    return this.retained.bytes;
  }
  get queuedCount(): number {
    let n = 0;
    for (const s of this.sessions.values()) n += s.queue.length;
    return n;
  }
  get queuedBytes(): number {
    let n = 0;
    for (const s of this.sessions.values()) n += s.queuedBytes;
    return n;
  }
  /** Connected clients. */
  clients(): ClientInfo[] {
    return [...this.connections].filter((c) => c.state === 'connected').map((c) => c.info);
  }
  subscriptions(): SubscriptionInfo[] {
    const out: SubscriptionInfo[] = [];
    for (const s of this.sessions.values()) {
      for (const e of s.subscriptions.values()) out.push({ clientId: s.clientId, topicFilter: e.filter, qos: e.options.qos });
    }
    return out;
  }
  /** Current $SYS values (topic -> text). */
  sysSnapshot(): Map<string, string> {
    return this.sys.snapshot();
  }

  // ---- connections ----------------------------------------------------------------------------------------

  /** Takes a new client connection from any transport. */
  handleLink(link: Link): void {
    if (this.closing) {
      link.stream.destroy();
      return;
    }
    this.stats.connectionsTotal++;
    this.connections.add(new Connection(link, this));
  }

  /** A unique client id for a client that sent an empty one. */
  assignClientId(): string {
    let id: string;
    do id = `glassmq-${randomBytes(8).toString('hex')}`;
    while (this.sessions.get(id));
    return id;
  }

  /** Closes the live connection of `clientId`, if any (5.0: DISCONNECT 0x8E first). */
  takeOver(clientId: string): void {
    this.closeTakenOver(clientId); // first: the old connection's release must not clear the new claim
    this.cluster?.claimClientId(clientId); // [cluster] a connection with this id on another node closes too
  }

  /** [cluster] The local half of a take-over (also run when another node accepted the client id). */
  private closeTakenOver(clientId: string): void {
    const old = this.sessions.get(clientId)?.connection;
    if (old && old.isOpen) {
      this.logger.info({ clientId }, 'client id taken over by a new connection');
      old.disconnect(ReasonCode.SessionTakenOver, 'session-taken-over', 'another connection took over this client id');
    }
  }

  /**
   * [cluster] The client id connected on another node. The connection here closes (5.0: DISCONNECT 0x8E, will
   * as the spec says). With a store shared by the nodes, a resumed session is handed over: it goes on there.
   * Otherwise (Clean Start, or a store of this node only) it ends here: a session left behind would queue for a
   * client that is gone, maybe forever.
   */
  private sessionMovedAway(clientId: string, clean = true): void {
    const session = this.sessions.get(clientId);
    if (!session) return;
    const handOver = !clean && this.sessions.handedOver !== undefined;
    if (session.connection?.isOpen) {
      if (!handOver) session.expiryInterval = 0; // ends once the connection has closed (connectionClosed)
      this.closeTakenOver(clientId);
      if (!handOver || this.sessions.get(clientId) !== session) return;
    }
    this.wills.cancel(session); // [MQTT-3.1.3-9] the client is back (on another node): a delayed will is not sent
    if (!handOver) return this.endSession(session);
    this.expiryTimers.get(session)?.cancel(); // the new node runs the session's clock now
    this.expiryTimers.delete(session);
    // its filters leave this node's routing; the session keeps them for the node that loads it
    if (session.subscriptionCount > 0) for (const entry of session.subscriptions.values()) this.untree(session, entry);
    this.sessions.handedOver!(clientId);
  }

  /** Clean start or resume [MQTT-3.1.2-4] [MQTT-3.1.2-5] [MQTT-3.1.2-6]; returns the session and Session Present. */
  openSession(conn: Connection, clean: boolean, expiryInterval: number): { session: Session; present: boolean } {
    let session = this.sessions.get(conn.clientId);
    if (session && clean) {
      this.endSession(session);
      session = undefined;
    }
    const present = session !== undefined;
    if (session) {
      this.expiryTimers.get(session)?.cancel();
      this.expiryTimers.delete(session);
      this.wills.cancel(session); // [MQTT-3.1.3-9]
    } else {
      session = this.sessions.create?.(conn.clientId) ?? new Session(conn.clientId); // [persistence] disk-backed queue
      this.sessions.set(session);
      this.sessions.changed(session, 'created');
    }
    session.expiryInterval = expiryInterval;
    session.connection = conn;
    this.sessions.changed(session, 'expiry'); // [persistence] online again, maybe a new expiry interval
    conn.session = session;
    return { session, present };
  }

  clientConnected(conn: Connection, session: Session): void {
    this.stats.clientConnected();
    this.logger.info(
      { clientId: conn.clientId, version: conn.version, remote: `${conn.link.info.remoteAddress}:${conn.link.info.remotePort}` },
      'client connected',
    );
    this.hooks.connected?.(conn.info);
    this.cluster?.holdWill(conn.clientId, conn.will); // [cluster] published by another node if this one dies
    session.will = conn.will; // [persistence] stored with the session: published after a restart if the broker dies
    this.sessions.changed(session, 'will');
    this.delivery.resume(session);
  }

  /** Called once per connection when it closes, whatever the cause. */
  connectionClosed(conn: Connection, wasConnected: boolean): void {
    this.connections.delete(conn);
    if (!wasConnected) return;
    this.stats.clientsConnected--;
    const cause = conn.disconnectCause ?? 'network-error';
    this.logger.info({ clientId: conn.clientId, cause }, 'client disconnected');
    const session = conn.session;
    if (session && session.connection === conn) {
      session.connection = undefined;
      this.cluster?.releaseClientId(session.clientId); // [cluster] only if no newer connection claimed it since
      this.sessions.changed(session, 'expiry'); // [persistence] a durable store records when it went offline
      if (conn.will && cause !== 'server-shutdown') this.wills.connectionLost(session, conn.will);
      conn.will = undefined;
      session.will = undefined; // [persistence]
      this.delivery.handOffShared(session, session.expiryInterval === 0);
      if (session.expiryInterval === 0) this.endSession(session);
      else if (session.expiryInterval !== SESSION_NEVER_EXPIRES) this.scheduleExpiry(session);
    }
    if (wasConnected) this.hooks.disconnected?.(conn.info, cause);
  }

  private scheduleExpiry(session: Session, ms = session.expiryInterval * 1000): void {
    const timer = new LongTimer(this.clock, ms, () => {
      this.expiryTimers.delete(session);
      this.stats.clientsExpired++;
      this.endSession(session); // [MQTT-4.1.0-2]
    });
    this.expiryTimers.set(session, timer);
  }

  /** Ends a session: its pending will goes out, its subscriptions go away, its shared messages move on. */
  private endSession(session: Session): void {
    this.expiryTimers.get(session)?.cancel();
    this.expiryTimers.delete(session);
    this.wills.firePending(session);
    if (session.subscriptionCount > 0) for (const entry of [...session.subscriptions.values()]) this.removeEntry(session, entry);
    this.delivery.handOffShared(session, true);
    if (this.sessions.get(session.clientId) === session) this.sessions.delete(session.clientId);
  }

  // ---- subscriptions --------------------------------------------------------------------------------------

  /** Adds or replaces a subscription; returns whether it existed before. */
  subscribe(
    session: Session,
    filter: string,
    options: SubscriptionOptions,
    share: { group: string; filter: string } | undefined,
  ): boolean {
    const existed = session.subscriptions.has(filter);
    const entry: SubscriptionEntry = { session, filter, options, share: share?.group };
    if (share) this.tree.addShared(share.group, share.filter, session.clientId, entry);
    else this.tree.add(filter, session.clientId, entry);
    session.subscriptions.set(filter, entry);
    if (!existed) this.cluster?.subscription(filter, true); // [cluster] other nodes route it here ($share/... whole)
    this.sessions.changed(session, 'subscriptions');
    return existed;
  }

  unsubscribe(session: Session, filter: string): boolean {
    const entry = session.subscriptions.get(filter);
    if (!entry) return false;
    this.removeEntry(session, entry);
    return true;
  }

  private removeEntry(session: Session, entry: SubscriptionEntry): void {
    this.untree(session, entry);
    session.subscriptions.delete(entry.filter);
    this.sessions.changed(session, 'subscriptions');
  }

  /** Takes a subscription out of the routing (the topic tree and, [cluster], this node's filters). */
  private untree(session: Session, entry: SubscriptionEntry): void {
    if (entry.share !== undefined) {
      const inner = entry.filter.slice(entry.filter.indexOf('/', '$share/'.length) + 1);
      this.tree.removeShared(entry.share, inner, session.clientId);
    } else {
      this.tree.remove(entry.filter, session.clientId);
    }
    this.cluster?.subscription(entry.filter, false); // [cluster]
  }

  /** Sends the retained messages matching a new subscription, with RETAIN set [MQTT-3.3.1-8] (3.1.1). */
  sendRetained(session: Session, filter: string, options: SubscriptionOptions): void {
    const now = this.clock.now();
    const expired: string[] = [];
    const ids = options.subscriptionId === undefined ? undefined : [options.subscriptionId];
    for (const { topic, message } of this.retained.match(filter)) {
      if (message.expiresAt !== undefined && now >= message.expiresAt) {
        expired.push(topic);
        continue;
      }
      const qos = (message.qos < options.qos ? message.qos : options.qos) as QoS;
      this.delivery.deliver(session, message, qos, true, ids, undefined);
    }
    for (const topic of expired) this.retained.set(topic, undefined);
  }

  // ---- publishing -----------------------------------------------------------------------------------------

  publishFromClient(conn: Connection, packet: PublishPacket, topic: string): void {
    this.stats.publishReceived++;
    const properties = conn.version === 5 ? forwardableProperties(packet.properties) : undefined;
    const message = createMessage(topic, packet.payload, packet.qos, packet.retain, properties, this.clock.now(), conn.clientId);
    // a QoS 0 PUBLISH whose bytes are what encoding would give is forwarded as received (encode-publish.ts)
    const asReceived = topic === packet.topic ? takeAsReceived(packet) : undefined;
    if (asReceived !== undefined) forwardAsReceived(message, asReceived, conn.version === 5);
    this.delivery.publisher = conn;
    try {
      this.publish(message, conn.info);
    } finally {
      this.delivery.publisher = undefined;
      if (asReceived !== undefined) forwardAsReceived(undefined, undefined, false);
    }
  }

  /** Stores (if RETAIN) and routes a message; the entry point for clients, wills, $SYS and embedders. */
  publish(message: Message, client: ClientInfo | undefined): void {
    if (message.retain && this.retainAvailable) {
      // [MQTT-3.3.1-5] replace; [MQTT-3.3.1-6] [MQTT-3.3.1-7] (5.0) an empty payload clears and is never stored
      if (message.payload.length > 0) keepPayload(message);
      this.retained.set(message.topic, message.payload.length === 0 ? undefined : message);
      this.cluster?.retain(message.topic, message.payload.length === 0 ? undefined : message); // [cluster]
    }
    // [cluster] first to the other nodes with a matching subscription (never back here); it says which of this
    // node's share groups serve the message, so each group gets it once across the cluster
    const sharedHere = this.cluster?.publish(message, this.delivery.publisher);
    this.router.route(message, sharedHere);
    this.hooks.published?.(message, client);
  }

  /** [cluster] How the bus reaches this broker: remote messages are routed here only, never sent on again. */
  private clusterInbound(): ClusterInbound {
    const toMessage = (m: StoredMessage): Message => ({ ...m, id: m.id, encoded: undefined });
    return {
      message: (m, sharedHere, source) => {
        this.delivery.remote = source; // [cluster] held by subscribers that cannot keep up, as a client would be
        try {
          this.router.route(toMessage(m), sharedHere);
        } finally {
          this.delivery.remote = undefined;
        }
      },
      messageFor: (m, sharedHere, clientIds) => {
        const sessions = new Set<Session>();
        for (const id of clientIds) {
          const s = this.sessions.get(id);
          if (s) sessions.add(s);
        }
        if (sessions.size > 0) this.router.route(toMessage(m), sharedHere, sessions);
      },
      afterCommit: (fn) => {
        // remote messages are acknowledged to Redis only once the sessions holding them are durable
        if (this.sessions.afterCommit) this.sessions.afterCommit(fn);
        else fn();
      },
      retained: (topic, m) => {
        if (this.retainAvailable) this.retained.set(topic, m && toMessage(m));
      },
      takenOver: (clientId) => this.sessionMovedAway(clientId, true),
      localRetained: () => [...this.retained.match('#')].map((r) => r.message),
      publish: (m) => {
        // Message Expiry counts from now, as for a will published here [MQTT-3.1.2-8]
        this.publish(createMessage(m.topic, m.payload, m.qos, m.retain, m.properties, this.clock.now(), m.origin), undefined);
      },
      counters: () => ({
        'clients/connected': this.stats.clientsConnected,
        'subscriptions/count': this.subscriptionCount,
        'publish/messages/received': this.stats.publishReceived,
        'publish/messages/sent': this.stats.publishSent,
      }),
    };
  }

  /** Publishes a message as the broker itself (no client). */
  publishMessage(topic: string, payload: Buffer | string, opts: { qos?: QoS; retain?: boolean } = {}): void {
    const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
    this.publish(createMessage(topic, body, opts.qos ?? 0, opts.retain ?? false, undefined, this.clock.now(), undefined), undefined);
  }

  // ---- shutdown -------------------------------------------------------------------------------------------

  /** DISCONNECT 0x8B to 5.0 clients, close every connection, stop all timers; resolves when sockets are closed. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.sys.stop();
    const streams = [...this.connections].map((c) => c.link.stream);
    for (const conn of [...this.connections]) conn.disconnect(ReasonCode.ServerShuttingDown, 'server-shutdown', 'server shutting down');
    await Promise.race([
      Promise.all(streams.map((s) => (s.destroyed ? undefined : new Promise((resolve) => s.once('close', resolve))))),
      new Promise((resolve) => setTimeout(resolve, SHUTDOWN_WAIT_MS).unref()),
    ]);
    for (const s of streams) s.destroy();
    for (const timer of this.expiryTimers.values()) timer.cancel();
    this.expiryTimers.clear();
    this.wills.cancelAll();
  }
}

function definedOnly(options: BrokerOptions): Partial<BrokerLimits> {
  const out: Partial<BrokerLimits> = {};
  for (const key of Object.keys(DEFAULT_LIMITS) as (keyof BrokerLimits)[]) {
    const value = options[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}
