// The names glassmq uses in Redis, all under one prefix so a Redis can be shared with other applications.

/**
 * The braces are a Redis Cluster hash tag: every key hashes to the slot of "glassmq", so a MULTI or a multi-key
 * command (MGET, DEL of several keys) stays on one slot. On a standalone Redis or behind Sentinel they are just
 * characters of the name.
 */
export const KEY_PREFIX = '{glassmq}:';

export const keys = {
  /** SET of node ids that joined and did not leave. */
  nodes: `${KEY_PREFIX}nodes`,
  /** SET of the subscription filters of one node. */
  filters: (node: string) => `${KEY_PREFIX}filters:${node}`,
  /** A key that exists while the node is alive (refreshed with a TTL): dead nodes get no messages. */
  alive: (node: string) => `${KEY_PREFIX}alive:${node}`,
  /** HASH topic -> `STAMP\n` + encoded retained message (retained-sync.ts); an empty payload is a clear (tombstone). */
  retained: `${KEY_PREFIX}retained`,
  /** ZSET topic -> stamp of the clears still remembered in `retained` as tombstones (retained-sync.ts). */
  retainedCleared: `${KEY_PREFIX}retained:cleared`,
  /** HASH client id -> "NODE EPOCH" of the connection that holds it. */
  clients: `${KEY_PREFIX}clients`,
  /** HASH of one node's counters ($SYS names), refreshed with the heartbeat: the cluster totals add them up. */
  stats: (node: string) => `${KEY_PREFIX}stats:${node}`,
  /** HASH client id -> encoded will (message-codec.ts) of one node's connections: published if the node dies. */
  wills: (node: string) => `${KEY_PREFIX}wills:${node}`,
  /**
   * [sessions] Set by the survivor that reaps a node, before it adopts the node's sessions: the node's own session
   * writes are refused from then on (fenced-write.ts) until it has dropped them and registered again.
   */
  reaped: (node: string) => `${KEY_PREFIX}reaped:${node}`,
  /** Lock (SET NX with a TTL) so one surviving node publishes a dead node's wills. */
  reaper: (node: string) => `${KEY_PREFIX}reaper:${node}`,
  /** Counter handing out connection epochs: the highest epoch owns a client id. */
  epoch: `${KEY_PREFIX}epoch`,
  /** [sessions] HASH of one persistent session (session-codec.ts SessionField): owner node, expiry, subscriptions, wills. */
  session: (clientId: string) => `${KEY_PREFIX}session:${clientId}`,
  /** [sessions] LIST of a session's queued deliveries, oldest first (session-codec.ts encodeDelivery). */
  queue: (clientId: string) => `${KEY_PREFIX}queue:${clientId}`,
  /** [sessions] HASH packet id -> a session's delivery in flight (sent, not yet acknowledged). */
  inflight: (clientId: string) => `${KEY_PREFIX}inflight:${clientId}`,
  /** [sessions] SET of the client ids whose persistent session a node holds (adopted by a survivor if it dies). */
  sessions: (node: string) => `${KEY_PREFIX}sessions:${node}`,
  /** STREAM of the QoS 1/2 messages for one node's subscribers (node-stream.ts), read by its consumer group. */
  stream: (node: string) => `${KEY_PREFIX}stream:${node}`,
} as const;

export const channels = {
  /** Messages for one node's subscribers (message-codec.ts). */
  messages: (node: string) => `${KEY_PREFIX}msg:${node}`,
  /** Retained message set / cleared (message-codec.ts; an empty payload clears). */
  retained: `${KEY_PREFIX}retained`,
  /** Membership, filter and client id events (JSON, cluster-events.ts). */
  events: `${KEY_PREFIX}events`,
} as const;
