// Capture records in, MQTT packets out: link layer, IP, TCP connections and their protocol stacks. Pure: the
// caller feeds records (from readCapture) and receives packets, notes and finished connections.
import type { ProtocolVersion } from '../protocol/packets.js';
import type { CaptureEvent } from './capture-reader.js';
import { decodeFrame, TCP_FLAG, type TcpSegment } from './packet-layers.js';
import { Ipv4Reassembler } from './ip-fragments.js';
import { LINKTYPE } from './capture-format.js';
import { Connection, type ConnectionInfo } from './connection.js';
import { KeyLog } from './tls-keylog.js';
import type { LayerNote } from './duplex.js';
import type { MqttBytes, Transport } from './mqtt-layer.js';
import type { WsFrameEvent } from './websocket.js';
import type { ReassemblyLimits } from './tcp-reassembly.js';

/** One whole MQTT control packet found in the capture. */
export interface MqttPacketEvent {
  /** Capture record that completed the packet (1-based). */
  frame: number;
  /** Seconds since the epoch, with fraction. */
  time: number;
  connection: ConnectionInfo;
  fromClient: boolean;
  src: string;
  dst: string;
  transport: Transport;
  bytes: Buffer;
  protocolVersion: ProtocolVersion;
}

export interface DissectNoteEvent {
  frame: number;
  time: number;
  connection?: ConnectionInfo;
  note: LayerNote;
}

export interface DissectorSink {
  packet(p: MqttPacketEvent): void;
  note(n: DissectNoteEvent): void;
  /** A recognised connection is over (FIN both ways, RST, or end of capture). */
  connectionClosed?(c: ConnectionInfo): void;
  wsFrame?(frame: number, connection: ConnectionInfo, f: WsFrameEvent, transport: Transport): void;
}

export interface DissectorOptions {
  /** Ports whose connections are MQTT even without a CONNECT (--port). */
  forcedPorts?: Iterable<number>;
  keylog?: KeyLog;
  limits?: ReassemblyLimits;
}

export interface DissectStats {
  frames: number;
  tcpSegments: number;
  skipped: Record<string, number>;
  connections: number;
  mqttConnections: number;
  packets: number;
}

export class CaptureDissector {
  readonly keylog: KeyLog;
  readonly stats: DissectStats = { frames: 0, tcpSegments: 0, skipped: {}, connections: 0, mqttConnections: 0, packets: 0 };
  private readonly forcedPorts: ReadonlySet<number>;
  private readonly table = new Map<string, Connection>();
  private readonly mqttSeen = new Set<number>();
  private nextId = 1;
  private frame = 0;
  private time = 0;
  private current: Connection | undefined;
  private fragmentNoted = false;
  private readonly fragments = new Ipv4Reassembler();

  constructor(
    private readonly sink: DissectorSink,
    private readonly options: DissectorOptions = {},
  ) {
    this.keylog = options.keylog ?? new KeyLog();
    this.forcedPorts = new Set(options.forcedPorts ?? []);
  }

  handle(ev: CaptureEvent): void {
    if (ev.kind === 'secrets') {
      this.keylog.add(ev.keylog);
      return;
    }
    if (ev.kind === 'problem') {
      this.sink.note({ frame: ev.frame, time: this.time, note: { level: 'error', layer: 'capture', code: ev.code, message: ev.message } });
      return;
    }
    this.frame = ev.frame;
    this.time = ev.time;
    this.stats.frames++;
    let seg = decodeFrame(ev.linkType, ev.data);
    if (seg.kind === 'skip' && seg.ipv4Fragment) {
      const whole = this.fragments.add(seg.ipv4Fragment);
      if (whole) seg = decodeFrame(LINKTYPE.ipv4, whole);
      else {
        this.stats.skipped.fragment = (this.stats.skipped.fragment ?? 0) + 1;
        return;
      }
    }
    if (seg.kind === 'skip') {
      this.stats.skipped[seg.reason] = (this.stats.skipped[seg.reason] ?? 0) + 1;
      if (seg.reason === 'fragment' && !this.fragmentNoted) {
        this.fragmentNoted = true;
        this.sink.note({ frame: ev.frame, time: ev.time, note: { level: 'warning', layer: 'capture', code: 'IP_FRAGMENT', message: `${seg.detail}: IPv6 fragments are not reassembled` } });
      }
      return;
    }
    this.stats.tcpSegments++;
    this.segment(seg);
  }

  /** End of capture: every open connection is flushed (held segments delivered with gaps) and closed. */
  finish(): void {
    for (const [key, conn] of this.table) {
      this.current = conn;
      conn.close();
      this.closed(key, conn);
    }
    this.current = undefined;
  }

  private segment(seg: TcpSegment): void {
    const key = seg.src < seg.dst || (seg.src === seg.dst && seg.srcPort < seg.dstPort)
      ? `${seg.src}|${seg.srcPort}|${seg.dst}|${seg.dstPort}`
      : `${seg.dst}|${seg.dstPort}|${seg.src}|${seg.srcPort}`;
    let conn = this.table.get(key);
    const newSyn = (seg.flags & (TCP_FLAG.syn | TCP_FLAG.ack)) === TCP_FLAG.syn;
    if (conn && newSyn && conn.synSeqA !== seg.seq) {
      // Same ports, new SYN: the old connection is over (its close may not have been captured).
      this.current = conn;
      conn.close();
      this.closed(key, conn);
      conn = undefined;
    }
    if (!conn) {
      if (seg.payload.length === 0 && !(seg.flags & TCP_FLAG.syn)) return; // stray ACK/FIN/RST of an unknown connection
      conn = new Connection(this.nextId++, seg, this.frame, this.time, {
        keylog: this.keylog,
        forcedPorts: this.forcedPorts,
        limits: this.options.limits,
        events: {
          mqtt: (p) => this.mqtt(p),
          note: (n) => this.sink.note({ frame: this.frame, time: this.time, connection: this.current?.info, note: n }),
          wsFrame: (f, transport) => this.current && this.sink.wsFrame?.(this.frame, this.current.info, f, transport),
        },
      });
      this.stats.connections++;
      this.table.set(key, conn);
    }
    this.current = conn;
    conn.segment(seg, this.frame);
    if (conn.ended) this.closed(key, conn);
    this.current = undefined;
  }

  private closed(key: string, conn: Connection): void {
    this.table.delete(key);
    conn.refreshInfo();
    // Report every connection that was recognised (MQTT, WebSocket or TLS), even if no packet came out of it.
    if (this.mqttSeen.delete(conn.info.id) || conn.info.transport !== undefined) this.sink.connectionClosed?.(conn.info);
  }

  private mqtt(p: MqttBytes): void {
    const conn = this.current!;
    if (!this.mqttSeen.has(conn.info.id)) {
      this.mqttSeen.add(conn.info.id);
      this.stats.mqttConnections++;
    }
    conn.refreshInfo();
    const info = conn.info;
    this.stats.packets++;
    this.sink.packet({
      frame: this.frame,
      time: this.time,
      connection: info,
      fromClient: p.fromClient,
      src: p.fromClient ? info.client : info.server,
      dst: p.fromClient ? info.server : info.client,
      transport: p.transport,
      bytes: p.bytes,
      protocolVersion: p.protocolVersion,
    });
  }
}
