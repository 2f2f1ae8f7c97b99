// Which protocol a connection speaks, from the first bytes the client sends: a TLS ClientHello, an HTTP
// request (WebSocket upgrade), or an MQTT CONNECT; the layers are then stacked accordingly.
import type { DuplexConsumer, LayerNote, NoteSink } from './duplex.js';
import { MqttLayer, type MqttBytes, type Transport } from './mqtt-layer.js';
import { readFixedHeader } from './mqtt-framer.js';
import { TlsLayer, TLS_CONTENT, type TlsFacts } from './tls-layer.js';
import type { KeyLog } from './tls-keylog.js';
import { WebSocketLayer, type WsFrameEvent } from './websocket.js';
import { PACKET_TYPE } from '../protocol/constants.js';

export type StreamStart = 'tls' | 'http' | 'mqtt' | 'more' | 'unknown';

const TLS_MAJOR = 3;
const HTTP_GET = Buffer.from('GET ');
const MQTT_SIGNATURES = [Buffer.from('\x00\x04MQTT', 'latin1'), Buffer.from('\x00\x06MQIsdp', 'latin1')];
const MAX_DETECT_BYTES = 64 * 1024;

/** What the first bytes a client sent look like. */
export function classifyClientStart(b: Buffer, allowTls: boolean): StreamStart {
  if (b.length === 0) return 'more';
  if (allowTls && b[0] === TLS_CONTENT.handshake) {
    if (b.length < 3) return 'more';
    return b[1] === TLS_MAJOR ? 'tls' : 'unknown';
  }
  if (b[0] === HTTP_GET[0]) {
    const n = Math.min(b.length, HTTP_GET.length);
    if (!b.subarray(0, n).equals(HTTP_GET.subarray(0, n))) return 'unknown';
    return n < HTTP_GET.length ? 'more' : 'http';
  }
  if (b[0] === PACKET_TYPE.connect << 4) {
    const h = readFixedHeader(b, 0);
    if (h === null) return 'unknown';
    if (h === 'more') return 'more';
    const rest = b.subarray(h.headerLength);
    let partial = false;
    for (const sig of MQTT_SIGNATURES) {
      const n = Math.min(rest.length, sig.length);
      if (!rest.subarray(0, n).equals(sig.subarray(0, n))) continue;
      if (n === sig.length) return 'mqtt';
      partial = true;
    }
    return partial ? 'more' : 'unknown';
  }
  return 'unknown';
}

export interface StackEvents {
  mqtt(p: MqttBytes): void;
  note: NoteSink;
  wsFrame?(f: WsFrameEvent, transport: Transport): void;
  /** The stack was chosen (or the connection was found not to be MQTT). */
  decided?(kind: Exclude<StreamStart, 'more'>, transport?: Transport): void;
}

export interface DetectorOptions {
  insideTls: boolean;
  /** The user said this connection is MQTT (--port): take it even without a CONNECT, finding packet boundaries. */
  forced: boolean;
  keylog: KeyLog;
}

/** Holds a connection's first bytes until the client's first bytes tell what it is, then builds the stack. */
export class Detector implements DuplexConsumer {
  private held: { fromClient: boolean; chunk: Buffer }[] = [];
  private clientBytes: Buffer = Buffer.alloc(0);
  private heldBytes = 0;
  private stack: DuplexConsumer | undefined;
  private ignored = false;
  tls: TlsFacts | undefined;
  private wsLayer: WebSocketLayer | undefined;
  private ownTransport: Transport | undefined;
  private insideTls: Detector | undefined;

  constructor(
    private readonly opts: DetectorOptions,
    private readonly events: StackEvents,
  ) {}

  /** The transport label once known; inside TLS it depends on what the plaintext turned out to be. */
  get transport(): Transport | undefined {
    if (this.insideTls) return this.insideTls.transport ?? 'tls';
    return this.ownTransport;
  }

  /** The WebSocket layer (path, subprotocol), when there is one. */
  get ws(): WebSocketLayer | undefined {
    return this.insideTls ? this.insideTls.ws : this.wsLayer;
  }

  data(fromClient: boolean, chunk: Buffer): void {
    if (this.stack) return this.stack.data(fromClient, chunk);
    if (this.ignored) return;
    this.held.push({ fromClient, chunk: Buffer.from(chunk) });
    this.heldBytes += chunk.length;
    if (fromClient) this.clientBytes = Buffer.concat([this.clientBytes, chunk]);
    const kind = classifyClientStart(this.clientBytes, !this.opts.insideTls);
    if (kind === 'more' && this.heldBytes < MAX_DETECT_BYTES) return;
    this.decide(kind === 'more' ? 'unknown' : kind);
  }

  gap(fromClient: boolean, bytes: number): void {
    if (this.stack) return this.stack.gap(fromClient, bytes);
    if (this.ignored) return;
    if (this.opts.forced) {
      this.decide('unknown');
      (this.stack as DuplexConsumer | undefined)?.gap(fromClient, bytes);
    } else {
      this.ignored = true;
      this.events.decided?.('unknown');
    }
  }

  end(fromClient: boolean): void {
    if (!this.stack && !this.ignored && this.held.length > 0) this.decide(classifyClientStart(this.clientBytes, !this.opts.insideTls) === 'mqtt' ? 'mqtt' : 'unknown');
    this.stack?.end(fromClient);
  }

  private mqttLayer(transport: Transport, midStream: boolean): MqttLayer {
    this.ownTransport = transport;
    return new MqttLayer(transport, (p) => this.events.mqtt(p), this.events.note, midStream);
  }

  private decide(kind: Exclude<StreamStart, 'more'>): void {
    const inTls = this.opts.insideTls;
    switch (kind) {
      case 'tls': {
        const inner = new Detector({ ...this.opts, insideTls: true }, this.events);
        const layer = new TlsLayer(inner, this.opts.keylog, this.events.note);
        this.tls = layer.facts;
        this.stack = layer;
        this.insideTls = inner;
        break;
      }
      case 'http': {
        const transport: Transport = inTls ? 'wss' : 'ws';
        const mqtt = this.mqttLayer(transport, false);
        this.wsLayer = new WebSocketLayer(mqtt, this.events.note, (f) => this.events.wsFrame?.(f, transport));
        this.stack = this.wsLayer;
        break;
      }
      case 'mqtt':
        this.stack = this.mqttLayer(inTls ? 'tls' : 'tcp', false);
        break;
      case 'unknown':
        if (this.opts.forced) {
          this.stack = this.mqttLayer(inTls ? 'tls' : 'tcp', true);
          this.events.note({ level: 'info', layer: 'mqtt', code: 'FORCED', message: 'no CONNECT seen: decoding as MQTT because of --port' } satisfies LayerNote);
        } else {
          this.ignored = true;
        }
        break;
    }
    this.events.decided?.(kind, this.transport);
    const held = this.held;
    this.held = [];
    this.clientBytes = Buffer.alloc(0);
    if (!this.stack) return;
    // Replay the client's bytes first: the server's answer only makes sense after the request.
    for (const h of held) if (h.fromClient) this.stack.data(true, h.chunk);
    for (const h of held) if (!h.fromClient) this.stack.data(false, h.chunk);
  }
}
