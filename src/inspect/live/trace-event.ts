// The shape of one live trace event: plain JSON (it crosses SSE as is), documented in docs/trace.md.
import type { DissectionJSON } from '../../protocol/index.js';

/** Everything a tap-carrying connection tells the hub about itself (structurally the transport's TransportLink). */
export interface TraceLinkInfo {
  transport: 'tcp' | 'tls' | 'ws' | 'wss' | 'unix';
  listener: string;
  remoteAddress: string;
  remotePort: number;
  localAddress: string;
  localPort: number;
  tls?: { protocol: string | null; cipher: string | null; servername: string | null };
}

export type TapDirection = 'in' | 'out';
export type TapListener = (dir: TapDirection, bytes: Buffer, time: number) => void;

export interface TapSource {
  on(listener: TapListener): () => void;
}

export interface TraceLink {
  readonly stream: { once(event: 'close', fn: () => void): unknown; readonly destroyed?: boolean };
  readonly info: TraceLinkInfo;
  readonly tap?: { wire?: TapSource; plain?: TapSource };
}

export interface TraceConnection {
  /** 1-based, in the order the hub saw connections. */
  id: number;
  clientId?: string;
  remoteAddress: string;
  remotePort: number;
  localAddress: string;
  localPort: number;
  listener: string;
  transport: TraceLinkInfo['transport'];
}

export interface TlsLayerView {
  protocol: string | null;
  cipher: string | null;
  servername: string | null;
}

export interface WsFrameView {
  fin: boolean;
  /** RSV1-3 as a 3-bit number. */
  rsv: number;
  opcode: number;
  opcodeName: string;
  masked: boolean;
  /** 4 bytes as hex, when masked. */
  maskKey?: string;
  payloadLength: number;
  /** Which length form the header used: 7 (in the second byte), 16 or 64 bits. */
  lengthBits: 7 | 16 | 64;
  /** The frame header exactly as on the wire (hex), masking key included. */
  header: string;
  /** Control frames: the unmasked payload (hex); close frames also the status code and reason. */
  payload?: string;
  closeCode?: number;
  closeReason?: string;
}

export interface HttpView {
  startLine: string;
  headers: [string, string][];
}

export interface MqttView {
  /** CONNECT ... AUTH (RESERVED for type 0). */
  type: string;
  protocolVersion: number;
  length: number;
  /** One line: `PUBLISH q1 id=7 "a/b" 5 B "hello"`. */
  summary: string;
  topic?: string;
  /** The codec's dissection: field tree with offsets, packet, error (secrets masked unless asked for). */
  dissection: DissectionJSON;
}

export interface FlowSummaryView {
  connection: TraceConnection;
  role: 'publisher' | 'subscriber' | 'both' | 'idle';
  packets: number;
  /** `-> CONNECT <- CONNACK 0 -> SUBSCRIBE a/# q0 ...` */
  flow: string;
  /** `sub-001 127.0.0.1:60450 subscriber: -> CONNECT <- CONNACK 0 ...` */
  line: string;
  open: boolean;
}

export type TraceEventKind = 'open' | 'close' | 'http' | 'ws' | 'mqtt' | 'error';

export interface TraceEvent {
  /** Increases by one per event the hub produced (gaps mean a filter or a slow watcher left events out). */
  seq: number;
  /** Milliseconds since the epoch when the bytes crossed. */
  time: number;
  kind: TraceEventKind;
  connection: TraceConnection;
  /** in: client to broker; out: broker to client. */
  direction?: TapDirection;
  tls?: TlsLayerView;
  http?: HttpView;
  /** ws: the control frame; mqtt on ws/wss: the frames whose payload carried this packet. */
  ws?: WsFrameView[];
  mqtt?: MqttView;
  error?: { layer: 'http' | 'ws' | 'mqtt'; code: string; message: string };
  /** close: the connection's flow summary. */
  summary?: FlowSummaryView;
}

/** What a watcher asks for; the dashboard's TraceQuery has this shape. */
export interface TraceFilter {
  readonly client?: string | undefined;
  /** MQTT topic filter (wildcards allowed). */
  readonly topic?: string | undefined;
  /** Packet type names, any case (publish, SUBSCRIBE...). */
  readonly types?: readonly string[] | undefined;
  /** Passwords and authentication data unmasked. */
  readonly secrets?: boolean;
}
