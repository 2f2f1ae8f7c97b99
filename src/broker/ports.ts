// The interfaces the broker core needs from the outside world. Transports, stores, auth and the cluster
// implement them; only src/server/ chooses the implementations.
import type { Duplex } from 'node:stream';
import type { QoS, Will } from '../protocol/packets.js'; // [persistence] stored record types
import type { Properties } from '../protocol/properties.js';

export type TransportKind = 'tcp' | 'tls' | 'ws' | 'wss' | 'unix';

export interface TlsFacts {
  protocol: string | null;
  cipher: string | null;
  servername: string | null;
  /** Whether the client presented a certificate that verified against the configured CA. */
  authorized: boolean;
  /** Client certificate subject CN and full subject (RFC 2253 style), when one was presented. */
  peerCommonName?: string;
  peerSubject?: string;
}

export interface LinkInfo {
  transport: TransportKind;
  /** Listener name, e.g. 'tcp:127.0.0.1:1883'. */
  listener: string;
  remoteAddress: string;
  remotePort: number;
  localAddress: string;
  localPort: number;
  tls?: TlsFacts;
}

/**
 * One client connection as the broker sees it: a byte duplex (TCP socket, TLS socket, WebSocket stream,
 * unix socket) plus facts about it. The broker reads MQTT bytes from `stream` and writes MQTT bytes to it.
 */
export interface Link {
  readonly stream: Duplex;
  readonly info: LinkInfo;
}

/** A clock the broker reads time from, so keepalive and expiry tests need no sleeping. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export interface TimerHandle {
  /** Lets the process exit while the timer is pending. */
  unref?(): unknown;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

// ---------------------------------------------------------------------------------------------------------------
// Stores. Both are synchronous: the memory implementations answer immediately, and an SQLite implementation
// (better-sqlite3 is synchronous too) can sit behind the same interface by keeping the live objects in memory and
// writing through on `changed` (batched per tick / in one transaction). A Redis store would keep the in-memory
// objects as the source of truth and replicate asynchronously behind the same calls.
// ---------------------------------------------------------------------------------------------------------------

/** What about a session changed, so a persistent store can write only that part. */
export type SessionChange = 'created' | 'subscriptions' | 'inflight' | 'queue' | 'incoming' | 'will' | 'expiry';

/**
 * Holds every session the broker knows (connected or not). The broker mutates the session objects it gets back
 * and then calls `changed`, so a durable store can persist the part that changed.
 */
export interface SessionStore<S extends { readonly clientId: string }> {
  get(clientId: string): S | undefined;
  set(session: S): void;
  delete(clientId: string): void;
  values(): IterableIterator<S>;
  readonly size: number;
  changed(session: S, what: SessionChange): void;
  // ---- [persistence] optional durable-store hooks (docs/persistence.md); the memory store has none ----
  /** Makes the object for a new session (a durable store gives it a disk-backed queue). Absent: `new Session`. */
  create?(clientId: string): S;
  /**
   * Runs `fn` once everything changed so far is durable: PUBACK / PUBREC / PUBCOMP wait on it, so nothing is
   * acknowledged before it is committed. Absent: acknowledge at once.
   */
  afterCommit?(fn: () => void): void;
  /** Sessions brought back from disk at start; the broker re-adds their subscriptions and re-arms their timers. */
  restored?(): Iterable<RestoredSession<S>>;
  // ---- [cluster] optional hooks of a store shared by several nodes (docs/cluster.md, "Sessions") ----
  /**
   * Awaited before CONNACK: makes this node the session's holder (claims the client id; waits, bounded, until the
   * node that had the session closed that connection and let the session go; loads it here unless `clean`).
   * 'superseded': a newer CONNECT for the id won on another node, so this one is refused. undefined: no wait.
   */
  acquire?(clientId: string, clean: boolean): Promise<AcquireVerdict> | undefined;
  /** How the store reaches the broker for sessions that arrive (adopted) or leave (handed over) at run time. */
  attach?(owner: SessionOwner<S>): void;
  /** The session moved to another node: forget it here once its last state is written; its record stays. */
  handedOver?(clientId: string): void;
}

/** [cluster] The outcome of SessionStore.acquire. */
export type AcquireVerdict = 'ok' | 'superseded';

/** [cluster] What a shared session store asks of the broker. */
export interface SessionOwner<S> {
  /** A session now held here (loaded for a reconnecting client, or adopted from a dead node): as if restored. */
  adopt(restored: RestoredSession<S>): void;
  /** Another node took the client id: close its connection here (0x8E), then hand the session over or end it. */
  release(clientId: string, clean: boolean): void;
}

// ---- [persistence] what a durable store reads from and rebuilds into the broker's live objects ----------------

/** A session's outgoing QoS 1/2 queue (FIFO) as the broker uses it; a durable store may keep most of it on disk. */
export interface SessionQueue<D> {
  readonly length: number;
  push(item: D): void;
  unshift(item: D): void;
  peek(): D | undefined;
  shift(): D | undefined;
  /** Removes and returns the items `take` selects, keeping the others in order. */
  extract(take: (item: D) => boolean): D[];
  clear(): void;
  [Symbol.iterator](): IterableIterator<D>;
}

/** The fields of an application message a store writes (broker/message.ts `Message` has them all). */
export interface StoredMessage {
  readonly topic: string;
  readonly payload: Buffer;
  readonly qos: QoS;
  readonly retain: boolean;
  readonly properties: Properties | undefined;
  readonly receivedAt: number;
  readonly expiresAt: number | undefined;
  readonly origin: string | undefined;
  /** [cluster] Cluster-wide id (broker/message.ts `Message.id`); set by the cluster when it first needs one. */
  id?: string | undefined;
}

/** One message on its way to one session (broker/session.ts `Delivery`). */
export interface StoredDelivery<M extends StoredMessage> {
  readonly message: M;
  readonly qos: QoS;
  readonly retain: boolean;
  readonly subscriptionIds: number[] | undefined;
  packetId: number;
  state: number;
}

export interface StoredSubscriptionOptions {
  readonly qos: QoS;
  readonly noLocal: boolean;
  readonly retainAsPublished: boolean;
  readonly retainHandling: 0 | 1 | 2;
  readonly subscriptionId: number | undefined;
}

/**
 * [cluster] Ids of the messages a session got lately, kept while a second copy of one may come by another path (the
 * session moving between nodes): the router delivers a message whose id it has seen no more.
 */
export interface MessageIdWindow {
  /** False when `id` was seen already (a second copy); otherwise remembers it. */
  admit(id: string): boolean;
}

/** What a durable store reads from a session (broker/session.ts `Session` has it all). */
export interface StoredSession<D> {
  readonly clientId: string;
  expiryInterval: number;
  readonly subscriptions: ReadonlyMap<string, { readonly filter: string; readonly options: StoredSubscriptionOptions }>;
  readonly inflight: Map<number, D>;
  readonly queue: SessionQueue<D>;
  readonly incomingQos2: Set<number>;
  pendingWill: Will | undefined;
  /** [persistence] The will of the current connection: stored while connected, published after a crash. */
  readonly will: Will | undefined;
  queuedBytes: number;
  readonly connection: unknown;
  /** [cluster] Set while copies of a message may reach the session twice (it is moving between nodes). */
  recentIds: MessageIdWindow | undefined;
}

/** Builds the broker's live objects from stored records (broker/session.ts exports the broker's). */
export interface SessionFactory<S, D, M> {
  /** The broker's in-memory queue, for a store that wraps it (e.g. to log what changed). */
  queue(): SessionQueue<D>;
  session(clientId: string, queue: SessionQueue<D>): S;
  delivery(message: M, qos: QoS, retain: boolean, subscriptionIds: number[] | undefined): D;
  message(fields: StoredMessage): M;
}

/** A session a durable store brought back at start. */
export interface RestoredSession<S> {
  readonly session: S;
  readonly subscriptions: readonly { readonly filter: string; readonly options: StoredSubscriptionOptions }[];
  /** How long the session has been without a connection, time the broker was down included (ms). */
  readonly offlineMs: number;
}

/** A retained message as stored: topic, payload, QoS and (5.0) its publish properties. */
export interface RetainedRecord<M> {
  readonly topic: string;
  readonly message: M;
}

export interface RetainedStore<M> {
  get(topic: string): M | undefined;
  /** Stores `message` as the topic's retained message, or removes it when `message` is undefined. */
  set(topic: string, message: M | undefined): void;
  /** Every retained message whose topic matches the (already validated) topic filter. */
  match(filter: string): IterableIterator<RetainedRecord<M>>;
  readonly size: number;
  /** Total payload bytes held. */
  readonly bytes: number;
}

/** The logging calls the broker makes; a pino logger fits (`pino()` satisfies it). */
export interface Logger {
  info(obj: object, msg?: string): void;
  info(msg: string): void;
  warn(obj: object, msg?: string): void;
  warn(msg: string): void;
  debug(obj: object, msg?: string): void;
  debug(msg: string): void;
  error(obj: object, msg?: string): void;
  error(msg: string): void;
}

export const silentLogger: Logger = { info: () => {}, warn: () => {}, debug: () => {}, error: () => {} };

// ---- [cluster] the cross-node bus (docs/cluster.md); src/cluster/redis-bus.ts implements it on Redis ----------

/**
 * Something whose packet handling can be held while a subscriber it feeds cannot keep up (queue-pressure.ts): a
 * client connection (reading pauses, packets already read wait), or [cluster] a node's stream reader (stops reading).
 */
export interface HoldablePublisher {
  holdPackets(): void;
  releasePackets(): void;
}

/** Which share groups ($share/{group}/{filter}) this node serves for one message: one node per group per message. */
export type ClusterSharedFilter = (group: string, filter: string) => boolean;

/** What the bus hands to the broker of this node. */
export interface ClusterInbound {
  /**
   * A message published on another node, to route to this node's subscribers only (never back out). `source` (the
   * node stream reader) is held, like a publishing client, while a connected subscriber's queue is above high water.
   */
  message(message: StoredMessage, sharedGroups: ClusterSharedFilter, source?: HoldablePublisher): void;
  /** Like message(), but only to the sessions of `clientIds`: a dead node's message for the sessions adopted here. */
  messageFor(message: StoredMessage, sharedGroups: ClusterSharedFilter, clientIds: ReadonlySet<string>): void;
  /** Runs `fn` once what message() / messageFor() changed is committed (the session store's afterCommit; at once without one). */
  afterCommit(fn: () => void): void;
  /** Another node stored (message) or cleared (undefined) the retained message of `topic`. */
  retained(topic: string, message: StoredMessage | undefined): void;
  /** A connection for `clientId` was accepted on another node: close the one here [MQTT-3.1.4-3], end its session. */
  takenOver(clientId: string): void;
  /** This node's retained messages, to seed Redis again after it came back empty. */
  localRetained(): Iterable<StoredMessage>;
  /** Publishes as if from this node (wills of a dead node's clients): local subscribers and the other nodes. */
  publish(message: StoredMessage): void;
  /** This node's counters ($SYS names relative to $SYS/broker/), summed over the nodes into cluster totals. */
  counters(): Readonly<Record<string, number>>;
}

/** What the broker tells the other nodes. Every call returns at once; Redis work happens behind it. */
export interface ClusterBus {
  readonly nodeId: string;
  attach(inbound: ClusterInbound): void;
  /**
   * Sends the message to the nodes that have a matching subscription (never to this node). Returns which of
   * this node's share groups serve it (the others are served elsewhere); undefined: all of them. `publisher` (the
   * client publishing it) may be held while a target node's stream backlog is over its limit (docs/cluster.md).
   */
  publish(message: StoredMessage, publisher?: HoldablePublisher): ClusterSharedFilter | undefined;
  /**
   * Runs `fn` once every message publish() sent so far is stored where the other nodes will read it (or could not
   * be: Redis unreachable, counted). PUBACK / PUBREC wait on it; calls run in order. Absent: at once.
   */
  afterForward?(fn: () => void): void;
  /** This node stored (message) or cleared (undefined) the retained message of `topic`. */
  retain(topic: string, message: StoredMessage | undefined): void;
  /** A subscription on this filter ($share/... included) was added / removed here (the bus counts them per filter). */
  subscription(filter: string, added: boolean): void;
  /** A connection for `clientId` was accepted here: the node that had it closes it. */
  claimClientId(clientId: string): void;
  /** The connection for `clientId` here closed (its will, if any, was handled here). */
  releaseClientId(clientId: string): void;
  /** The will of the connection for `clientId` here (undefined: none), published by another node if this one dies. */
  holdWill(clientId: string, will: Will | undefined): void;
  /** Values published under $SYS/broker/ (name relative to it -> value). */
  sysValues(): Iterable<readonly [string, number | string]>;
  /** [cluster: dashboard] The cluster's nodes, this one first (read-only; asks Redis, so call it rarely). */
  nodes?(): Promise<ClusterNodeView[]>;
  close(): Promise<void>;
}

/** [cluster: dashboard] One node as the cluster knows it: its own figures now, the others' as of their last heartbeat. */
export interface ClusterNodeView {
  readonly id: string;
  /** The node answering. */
  readonly self: boolean;
  /** Its alive key exists (it beat within the last 6 s); false until a survivor removes it. */
  readonly alive: boolean;
  readonly clients: number;
  readonly subscriptions: number;
  /** PUBLISH packets received from / sent to its clients since it started. */
  readonly messagesIn: number;
  readonly messagesOut: number;
}
