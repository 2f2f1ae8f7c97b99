// One traced connection: subscribes to its plain tap while the hub has watchers, follows the layers (HTTP
// upgrade and WebSocket frames on ws/wss, then MQTT), and turns what crossed into trace events and a flow summary.
import {
  PACKET_TYPE_NAME, ProtocolError, decodePacket, dissectPacket, dissectionToJSON, summarizePacket, type Packet, type ProtocolVersion,
} from '../../protocol/index.js';
import { FlowSummary } from '../flow-summary.js';
import { connectLevel, DEFAULT_PROTOCOL_VERSION } from '../mqtt-layer.js';
import { PacketCutter } from './packet-cutter.js';
import type {
  FlowSummaryView, MqttView, TapDirection, TlsLayerView, TraceConnection, TraceEvent, TraceEventKind, TraceLink, WsFrameView,
} from './trace-event.js';
import { WsTracker } from './ws-tracker.js';

const TYPE_SHIFT = 4;

/** What the tracer decoded of one MQTT packet (the dissection waits until a watcher's view needs it). */
export interface PacketRecord {
  bytes: Buffer;
  version: ProtocolVersion;
  packet: Packet | undefined;
  error: ProtocolError | undefined;
}

/** An event before a watcher's view of it: the MQTT layer is rendered per secrets setting, on demand. */
export class HubEvent {
  private readonly views: [TraceEvent | undefined, TraceEvent | undefined] = [undefined, undefined];

  constructor(
    readonly base: Omit<TraceEvent, 'mqtt' | 'seq'>,
    readonly seq: number,
    readonly packet?: PacketRecord,
  ) {}

  /** Lower-case packet type name, for filters. */
  get type(): string | undefined {
    const first = this.packet?.bytes[0];
    return first === undefined ? undefined : (PACKET_TYPE_NAME[first >> TYPE_SHIFT] ?? 'reserved');
  }

  get decoded(): Packet | undefined {
    return this.packet?.packet;
  }

  /**
   * The event as a watcher sees it. Its `mqtt` layer (the dissection, the costly part) is computed when first
   * read — by a printer, or by JSON.stringify in the SSE stream — so a watcher that drops the event pays nothing.
   */
  view(secrets: boolean): TraceEvent {
    const i = secrets ? 1 : 0;
    return (this.views[i] ??= this.make(secrets));
  }

  private make(secrets: boolean): TraceEvent {
    const record = this.packet;
    if (!record) return { seq: this.seq, ...this.base };
    return new LazyMqttEvent(this.seq, this.base, () => this.render(record, secrets));
  }

  private render(record: PacketRecord, secrets: boolean): MqttView {
    const { bytes, version } = record;
    const d = dissectPacket(bytes, version, { showSecrets: secrets });
    const p = d.packet;
    return {
      type: (this.type ?? 'reserved').toUpperCase(),
      protocolVersion: d.protocolVersion,
      length: bytes.length,
      summary: p ? summarizePacket(p, d.protocolVersion) : `malformed: ${d.error?.message ?? 'undecodable'}`,
      ...(p?.type === 'publish' ? { topic: p.topic } : {}),
      dissection: dissectionToJSON(d),
    };
  }
}

/** A trace event whose MQTT layer is rendered on first read (a getter for code, toJSON for JSON.stringify). */
class LazyMqttEvent implements TraceEvent {
  private rendered: MqttView | undefined;
  readonly time: number;
  readonly kind: TraceEventKind;
  readonly connection: TraceConnection;

  constructor(
    readonly seq: number,
    private readonly base: Omit<TraceEvent, 'mqtt' | 'seq'>,
    private readonly renderMqtt: () => MqttView,
  ) {
    this.time = base.time;
    this.kind = base.kind;
    this.connection = base.connection;
  }

  get direction(): TapDirection | undefined {
    return this.base.direction;
  }

  get tls(): TlsLayerView | undefined {
    return this.base.tls;
  }

  get ws(): WsFrameView[] | undefined {
    return this.base.ws;
  }

  get mqtt(): MqttView {
    return (this.rendered ??= this.renderMqtt());
  }

  toJSON(): TraceEvent {
    return { seq: this.seq, ...this.base, mqtt: this.mqtt };
  }
}

export interface TracerContext {
  nextSeq(): number;
  emit(ev: HubEvent): void;
}

export class LinkTracer {
  readonly connection: TraceConnection;
  readonly summary = new FlowSummary();
  private readonly tls: TlsLayerView | undefined;
  private version: ProtocolVersion | undefined;
  private stopTap: (() => void) | undefined;
  private ws: [WsTracker, WsTracker] | undefined;
  private cutters: [PacketCutter<WsFrameView>, PacketCutter<WsFrameView>];
  open = true;
  closedAt: number | undefined;

  constructor(
    id: number,
    private readonly link: TraceLink,
    private readonly ctx: TracerContext,
    known?: { clientId?: string; protocolVersion?: ProtocolVersion },
  ) {
    const i = link.info;
    this.connection = {
      id, remoteAddress: i.remoteAddress, remotePort: i.remotePort, localAddress: i.localAddress, localPort: i.localPort,
      listener: i.listener, transport: i.transport,
      ...(known?.clientId ? { clientId: known.clientId } : {}),
    };
    this.version = known?.protocolVersion;
    if (i.tls) this.tls = { protocol: i.tls.protocol, cipher: i.tls.cipher, servername: i.tls.servername };
    this.cutters = [this.makeCutter('in', false), this.makeCutter('out', false)];
  }

  get watching(): boolean {
    return this.stopTap !== undefined;
  }

  /** Subscribes to the plain tap. `fromStart`: no byte has crossed yet, so every layer starts at its beginning. */
  start(fromStart: boolean): void {
    const plain = this.link.tap?.plain;
    if (!plain || this.stopTap || !this.open) return;
    const isWs = this.connection.transport === 'ws' || this.connection.transport === 'wss';
    this.cutters = [this.makeCutter('in', fromStart), this.makeCutter('out', fromStart)];
    if (isWs) this.ws = [this.makeWs('in'), this.makeWs('out')];
    // A ws tap replays the recorded HTTP upgrade synchronously inside on(); live frames after it may start
    // anywhere in a frame when the connection was already running.
    this.stopTap = plain.on((dir, bytes, time) => this.bytes(dir, bytes, time));
    if (this.ws && !fromStart) for (const w of this.ws) w.resync();
  }

  /** The version the broker says this connection speaks (a trace that starts after its CONNECT). */
  assumeVersion(v: ProtocolVersion): void {
    this.version ??= v;
  }

  /** The 'open' event: a connection watchers will see from its first byte. */
  announce(time: number): void {
    this.event('open', time, undefined, {});
  }

  stop(): void {
    this.stopTap?.();
    this.stopTap = undefined;
    this.ws = undefined;
  }

  /** The connection closed: stop, and tell watchers with its summary. */
  closed(time: number): void {
    const wasWatching = this.watching;
    this.stop();
    this.open = false;
    this.closedAt = time;
    if (wasWatching) this.event('close', time, undefined, { summary: this.summaryView() });
  }

  summaryView(): FlowSummaryView {
    const c = this.connection;
    const role = this.summary.role;
    const flow = this.summary.flowLine();
    const who = c.clientId !== undefined ? c.clientId : '(no CONNECT seen)';
    return { connection: { ...c }, role, packets: this.summary.packets, flow, line: `${who} ${c.remoteAddress}:${c.remotePort} ${role}: ${flow}`, open: this.open };
  }

  private current: { dir: TapDirection; time: number } = { dir: 'in', time: 0 };

  private bytes(dir: TapDirection, bytes: Buffer, time: number): void {
    this.current = { dir, time };
    const i = dir === 'in' ? 0 : 1;
    try {
      if (this.ws) this.ws[i]!.push(bytes);
      else this.cutters[i]!.push(bytes);
    } catch (err) {
      // This runs inside the socket's own push/write: whatever goes wrong here must not reach the broker.
      this.stop();
      this.event('error', time, dir, { error: { layer: 'mqtt', code: 'TRACE_FAILED', message: `tracing of this connection stopped: ${err instanceof Error ? err.message : String(err)}` } });
    }
  }

  private makeWs(dir: TapDirection): WsTracker {
    const i = dir === 'in' ? 0 : 1;
    return new WsTracker(dir === 'in', {
      http: (http) => this.event('http', this.current.time, dir, { http }),
      frame: (frame) => {
        if (frame.opcode >= 0x8) this.event('ws', this.current.time, dir, { ws: [frame] });
      },
      payload: (chunk, frame) => this.cutters[i]!.push(chunk, frame),
      problem: (code, message) => this.event('error', this.current.time, dir, { error: { layer: code === 'WS_UPGRADE' ? 'http' : 'ws', code, message } }),
    });
  }

  private makeCutter(dir: TapDirection, synced: boolean): PacketCutter<WsFrameView> {
    return new PacketCutter<WsFrameView>(
      {
        packet: (bytes, frames) => this.packet(dir, bytes, frames),
        problem: (code, message) => this.event('error', this.current.time, dir, { error: { layer: 'mqtt', code, message } }),
      },
      synced,
    );
  }

  private packet(dir: TapDirection, bytes: Buffer, frames: WsFrameView[]): void {
    const fromClient = dir === 'in';
    if (fromClient) {
      const level = connectLevel(bytes);
      if (level) this.version = level;
    }
    const version = this.version ?? DEFAULT_PROTOCOL_VERSION;
    let p: Packet | undefined;
    let error: ProtocolError | undefined;
    try {
      p = decodePacket(bytes, version);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      error = err;
    }
    if (p?.type === 'connect' && fromClient) {
      if (p.clientId !== '') this.connection.clientId = p.clientId;
    } else if (p?.type === 'connack' && !fromClient && p.properties?.assignedClientIdentifier) {
      this.connection.clientId = p.properties.assignedClientIdentifier;
    }
    this.summary.add(fromClient, p, error?.message);
    const extra: Partial<TraceEvent> = frames.length ? { ws: frames } : {};
    this.event('mqtt', this.current.time, dir, extra, { bytes, version, packet: p, error });
  }

  /** The connection as events show it: one shared copy, replaced when the client id becomes known. */
  private snapshot: TraceConnection | undefined;

  private event(kind: TraceEventKind, time: number, direction: TapDirection | undefined, extra: Partial<TraceEvent>, packet?: HubEvent['packet']): void {
    if (this.snapshot?.clientId !== this.connection.clientId) this.snapshot = undefined;
    const base: Omit<TraceEvent, 'mqtt' | 'seq'> = {
      time, kind, connection: (this.snapshot ??= { ...this.connection }),
      ...(direction ? { direction } : {}),
      ...(this.tls ? { tls: this.tls } : {}),
      ...extra,
    };
    this.ctx.emit(new HubEvent(base, this.ctx.nextSeq(), packet));
  }
}
