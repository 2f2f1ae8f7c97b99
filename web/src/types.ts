// The JSON shapes of the broker's dashboard API (docs/dashboard.md).

export interface ApiErrorBody {
  error?: { code: string; message: string };
}

export interface RateSample {
  t: number;
  msgsIn: number;
  msgsOut: number;
  bytesIn: number;
  bytesOut: number;
}

export interface Overview {
  serverTime: number;
  startedAt: number;
  uptime: number;
  connections: number;
  connectionsMaximum: number;
  sessions: number;
  subscriptions: number;
  retained: number;
  retainedBytes: number;
  queued: number;
  totals: Record<string, number>;
  rates?: RateSample;
  listeners: { name: string; transport: string; address: string; connections: number }[];
  history?: RateSample[];
}

export interface PingTick {
  at: number;
  type: 'pingreq' | 'pingresp';
}

export interface Client {
  clientId: string;
  username: string | null;
  address: string;
  transport: string;
  listener: string;
  protocolVersion: number;
  protocol: string;
  keepalive: number;
  connectedAt: number;
  subscriptions: { filter: string; qos: number }[];
  inflight: number;
  queued: number;
  bytesIn: number | null;
  bytesOut: number | null;
  packetsIn: number | null;
  packetsOut: number | null;
  lastPacketAt: number | null;
  pings: PingTick[];
}

export interface ClientsMessage {
  serverTime: number;
  clients: Client[];
}

export interface PayloadView {
  format: 'text' | 'json' | 'hex' | 'empty';
  value: string;
  hex: string;
  size: number;
  truncated: boolean;
}

export interface Topic {
  topic: string;
  count: number;
  rate: number;
  bytes: number;
  lastAt: number | null;
  payload: PayloadView | null;
  retained: { payload: PayloadView; qos: number } | null;
  subscribers: { clientId: string; filter: string; qos: number }[];
  publishers: { clientId: string; count: number }[];
}

export interface TopicsMessage {
  serverTime: number;
  topics: Topic[];
  untracked: number;
}

export interface FlowGraph {
  serverTime: number;
  clients: { id: string; publishes: boolean; subscribes: boolean }[];
  topics: { topic: string; rate: number; filter: boolean }[];
  edges: { kind: 'pub' | 'sub'; client: string; topic: string }[];
}

export interface FlowBatch {
  deltas: { topic: string; publisher: string; count: number }[];
  more: number;
}

export interface FieldNode {
  name: string;
  offset: number;
  length: number;
  hex?: string;
  value?: unknown;
  display?: string;
  bits?: string;
  error?: string;
  children?: FieldNode[];
}

/** GET /api/nodes (docs/dashboard.md): the cluster's nodes; `cluster: false` on a single node. */
export interface ClusterNode {
  id: string;
  self: boolean;
  alive: boolean;
  clients: number;
  subscriptions: number;
  messagesIn: number;
  messagesOut: number;
}

export interface NodesMessage {
  serverTime: number;
  cluster: boolean;
  node: string | null;
  nodes: ClusterNode[];
}
