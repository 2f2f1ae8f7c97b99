// The names glassmq uses in Redis, all under one prefix so a Redis can be shared with other applications.

export const KEY_PREFIX = 'glassmq:';

export const keys = {
  /** SET of node ids that joined and did not leave. */
  nodes: `${KEY_PREFIX}nodes`,
  /** SET of the subscription filters of one node. */
  filters: (node: string) => `${KEY_PREFIX}filters:${node}`,
  /** A key that exists while the node is alive (refreshed with a TTL): dead nodes get no messages. */
  alive: (node: string) => `${KEY_PREFIX}alive:${node}`,
  /** HASH topic -> encoded retained message (message-codec.ts). */
  retained: `${KEY_PREFIX}retained`,
  /** HASH client id -> "NODE EPOCH" of the connection that holds it. */
  clients: `${KEY_PREFIX}clients`,
  /** HASH of one node's counters ($SYS names), refreshed with the heartbeat: the cluster totals add them up. */
  stats: (node: string) => `${KEY_PREFIX}stats:${node}`,
  /** HASH client id -> encoded will (message-codec.ts) of one node's connections: published if the node dies. */
  wills: (node: string) => `${KEY_PREFIX}wills:${node}`,
  /** Lock (SET NX with a TTL) so one surviving node publishes a dead node's wills. */
  reaper: (node: string) => `${KEY_PREFIX}reaper:${node}`,
  /** Counter handing out connection epochs: the highest epoch owns a client id. */
  epoch: `${KEY_PREFIX}epoch`,
} as const;

export const channels = {
  /** Messages for one node's subscribers (message-codec.ts). */
  messages: (node: string) => `${KEY_PREFIX}msg:${node}`,
  /** Retained message set / cleared (message-codec.ts; an empty payload clears). */
  retained: `${KEY_PREFIX}retained`,
  /** Membership, filter and client id events (JSON, cluster-events.ts). */
  events: `${KEY_PREFIX}events`,
} as const;
