// One TCP connection: both directions reassembled, who is the client, and the protocol stack above.
import { TcpDirection, type ReassemblyLimits, type StreamConsumer } from './tcp-reassembly.js';
import { TCP_FLAG, endpoint, type TcpSegment } from './packet-layers.js';
import { Detector, classifyClientStart, type StackEvents } from './app-detect.js';
import type { KeyLog } from './tls-keylog.js';
import type { Transport } from './mqtt-layer.js';
import type { TlsFacts } from './tls-layer.js';

/** Server ports MQTT and its usual carriers listen on, used to tell client from server when no SYN was captured. */
export const WELL_KNOWN_SERVER_PORTS: ReadonlySet<number> = new Set([1883, 8883, 80, 443, 8080, 8083, 8084, 8443, 9001]);
const MAX_UNORIENTED_BYTES = 64 * 1024;

export interface ConnectionInfo {
  /** 1-based, in order of first appearance. */
  id: number;
  client: string;
  server: string;
  firstFrame: number;
  firstTime: number;
  lastFrame: number;
  transport?: Transport;
  tls?: TlsFacts;
  wsPath?: string;
  /** How the client side was identified. */
  identifiedBy: 'syn' | 'port' | 'content';
  gapBytes: number;
}

interface Side {
  ip: string;
  port: number;
}

export interface ConnectionContext {
  events: StackEvents;
  keylog: KeyLog;
  forcedPorts: ReadonlySet<number>;
  limits?: ReassemblyLimits;
}

export class Connection {
  readonly info: ConnectionInfo;
  /** Sides A (sender of the first segment seen) and B. */
  private readonly a: Side;
  private readonly b: Side;
  private clientIsA: boolean | undefined;
  private readonly fromA: TcpDirection;
  private readonly fromB: TcpDirection;
  private readonly detector: Detector;
  private unoriented: { fromA: boolean; chunk: Buffer }[] = [];
  private unorientedBytes = 0;
  private readonly startBytes = [Buffer.alloc(0), Buffer.alloc(0)];
  private ignored = false;
  /** Initial sequence number of A's SYN, to tell a retransmitted SYN from a new connection on the same ports. */
  synSeqA: number | undefined;
  rst = false;

  constructor(id: number, seg: TcpSegment, frame: number, time: number, private readonly ctx: ConnectionContext) {
    this.a = { ip: seg.src, port: seg.srcPort };
    this.b = { ip: seg.dst, port: seg.dstPort };
    const syn = (seg.flags & TCP_FLAG.syn) !== 0;
    const ack = (seg.flags & TCP_FLAG.ack) !== 0;
    let identifiedBy: ConnectionInfo['identifiedBy'] = 'content';
    if (syn) {
      this.clientIsA = !ack; // the SYN sender is the client; a SYN-ACK comes from the server
      identifiedBy = 'syn';
    } else {
      const byPort = this.orientByPort(ctx.forcedPorts) ?? this.orientByPort(WELL_KNOWN_SERVER_PORTS);
      if (byPort !== undefined) {
        this.clientIsA = byPort;
        identifiedBy = 'port';
      }
    }
    const forced = ctx.forcedPorts.has(this.a.port) || ctx.forcedPorts.has(this.b.port);
    this.detector = new Detector({ insideTls: false, forced, keylog: ctx.keylog }, ctx.events);
    const sink = (fromA: boolean): StreamConsumer => ({
      data: (chunk) => this.streamData(fromA, chunk),
      gap: (n) => this.streamGap(fromA, n),
      end: () => this.streamEnd(fromA),
    });
    this.fromA = new TcpDirection(sink(true), ctx.limits);
    this.fromB = new TcpDirection(sink(false), ctx.limits);
    this.info = { id, client: '', server: '', firstFrame: frame, firstTime: time, lastFrame: frame, identifiedBy, gapBytes: 0 };
    this.updateNames();
  }

  /** true if A is the client, false if B is, undefined if neither port says. */
  private orientByPort(ports: ReadonlySet<number>): boolean | undefined {
    const aServer = ports.has(this.a.port);
    const bServer = ports.has(this.b.port);
    if (aServer === bServer) return undefined;
    return bServer;
  }

  private updateNames(): void {
    const client = this.clientIsA === false ? this.b : this.a;
    const server = client === this.a ? this.b : this.a;
    this.info.client = endpoint(client.ip, client.port);
    this.info.server = endpoint(server.ip, server.port);
  }

  get ended(): boolean {
    return this.rst || (this.fromA.isEnded && this.fromB.isEnded);
  }

  segment(seg: TcpSegment, frame: number): void {
    this.info.lastFrame = frame;
    const fromA = seg.src === this.a.ip && seg.srcPort === this.a.port;
    const dir = fromA ? this.fromA : this.fromB;
    const other = fromA ? this.fromB : this.fromA;
    const f = seg.flags;
    if (f & TCP_FLAG.syn) {
      dir.syn(seg.seq);
      if (fromA && !(f & TCP_FLAG.ack)) this.synSeqA = seg.seq;
    }
    if (f & TCP_FLAG.ack) other.peerAck(seg.ack);
    if (seg.payload.length > 0 || f & TCP_FLAG.fin) {
      const seq = f & TCP_FLAG.syn ? (seg.seq + 1) >>> 0 : seg.seq;
      dir.segment(seq, seg.payload, (f & TCP_FLAG.fin) !== 0);
    }
    if (f & TCP_FLAG.rst) {
      this.rst = true;
      this.close();
    }
  }

  /** End of capture or RST: flush both directions. */
  close(): void {
    this.fromA.close();
    this.fromB.close();
    this.info.gapBytes = this.fromA.gapBytes + this.fromB.gapBytes;
    this.refreshInfo();
  }

  refreshInfo(): void {
    this.info.transport = this.detector.transport;
    this.info.tls = this.detector.tls;
    this.info.wsPath = this.detector.ws?.path;
  }

  private streamData(fromA: boolean, chunk: Buffer): void {
    if (this.ignored) return;
    if (this.clientIsA === undefined) return this.orientByContent(fromA, chunk);
    this.detector.data(fromA === this.clientIsA, chunk);
  }

  private streamGap(fromA: boolean, bytes: number): void {
    if (this.ignored) return;
    if (this.clientIsA === undefined) {
      this.ignored = true; // cannot tell who is who across a hole
      return;
    }
    this.detector.gap(fromA === this.clientIsA, bytes);
  }

  private streamEnd(fromA: boolean): void {
    if (this.ignored || this.clientIsA === undefined) return;
    this.detector.end(fromA === this.clientIsA);
    this.refreshInfo();
  }

  /** No SYN and no port hint: the side whose first bytes look like a client's start is the client. */
  private orientByContent(fromA: boolean, chunk: Buffer): void {
    this.unoriented.push({ fromA, chunk: Buffer.from(chunk) });
    this.unorientedBytes += chunk.length;
    const i = fromA ? 0 : 1;
    this.startBytes[i] = Buffer.concat([this.startBytes[i]!, chunk]).subarray(0, 16);
    const kind = classifyClientStart(this.startBytes[i]!, true);
    if (kind === 'tls' || kind === 'http' || kind === 'mqtt') {
      this.clientIsA = fromA;
      this.updateNames();
      const held = this.unoriented;
      this.unoriented = [];
      for (const h of held) this.detector.data(h.fromA === this.clientIsA, h.chunk);
      return;
    }
    const otherKind = classifyClientStart(this.startBytes[1 - i]!, true);
    if ((kind === 'unknown' && otherKind === 'unknown') || this.unorientedBytes > MAX_UNORIENTED_BYTES) {
      this.ignored = true;
      this.unoriented = [];
    }
  }
}
