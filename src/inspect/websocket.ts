// HTTP Upgrade to WebSocket and the WebSocket framing (RFC 6455) above it: unmasking, fragmentation,
// control frames, 16- and 64-bit lengths; the binary message payload goes on to the MQTT layer as a stream.
import type { DuplexConsumer, NoteSink } from './duplex.js';

export const WS_OPCODE = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;
const WS_OPCODE_NAME: Record<number, string> = { 0: 'continuation', 1: 'text', 2: 'binary', 8: 'close', 9: 'ping', 10: 'pong' };
const LENGTH_16 = 126;
const LENGTH_64 = 127;
const MAX_HTTP_HEAD = 64 * 1024;
const MAX_CONTROL_PAYLOAD = 125;
/** After a gap, frame headers claiming more than this are not believed. */
const RESYNC_MAX_FRAME = 16 << 20;
const RESYNC_GIVE_UP_BYTES = 4 << 20;
const HEADER_END = Buffer.from('\r\n\r\n');
const MAX_HELD_BEFORE_101 = 4 << 20;

export interface WsFrameHeader {
  fin: boolean;
  rsv: number;
  opcode: number;
  masked: boolean;
  maskKey?: Buffer;
  payloadLength: number;
  headerLength: number;
}

/** Frame header at `o`: 'more' when the buffer ends inside it, null when the first two bytes are impossible. */
export function readWsHeader(b: Buffer, o: number): WsFrameHeader | 'more' | null {
  if (b.length < o + 2) return 'more';
  const b0 = b[o]!;
  const b1 = b[o + 1]!;
  const opcode = b0 & 0x0f;
  if (!(opcode in WS_OPCODE_NAME)) return null;
  const masked = (b1 & 0x80) !== 0;
  let len = b1 & 0x7f;
  let h = 2;
  if (len === LENGTH_16) {
    if (b.length < o + 4) return 'more';
    len = b.readUInt16BE(o + 2);
    h = 4;
  } else if (len === LENGTH_64) {
    if (b.length < o + 10) return 'more';
    const big = b.readBigUInt64BE(o + 2);
    if (big > BigInt(Number.MAX_SAFE_INTEGER)) return null;
    len = Number(big);
    h = 10;
  }
  if (masked) {
    if (b.length < o + h + 4) return 'more';
    h += 4;
  }
  return {
    fin: (b0 & 0x80) !== 0, rsv: (b0 >> 4) & 0x7, opcode, masked,
    maskKey: masked ? b.subarray(o + h - 4, o + h) : undefined, payloadLength: len, headerLength: h,
  };
}

export function opcodeName(opcode: number): string {
  return WS_OPCODE_NAME[opcode] ?? `opcode ${opcode}`;
}

export interface WsFrameEvent {
  fromClient: boolean;
  header: WsFrameHeader;
  /** Unmasked payload of control frames (at most 125 bytes). */
  controlPayload?: Buffer;
}

/** One direction of WebSocket frames. */
class FrameReader {
  private head: Buffer = Buffer.alloc(0);
  private left = 0;
  private mask: Buffer | undefined;
  private maskPos = 0;
  private current: WsFrameHeader | undefined;
  private control: Buffer[] = [];
  private messageOpcode = 0;
  private lost = false;
  private lostBuf: Buffer[] = [];
  private lostHave = 0;
  private dead = false;

  constructor(
    private readonly fromClient: boolean,
    private readonly out: DuplexConsumer,
    private readonly onFrame: (f: WsFrameEvent) => void,
    private readonly note: NoteSink,
  ) {}

  push(chunk: Buffer): void {
    if (this.dead) return;
    if (this.lost) {
      this.lostBuf.push(chunk);
      this.lostHave += chunk.length;
      this.resync();
      return;
    }
    let o = 0;
    while (o < chunk.length) {
      if (this.current) {
        const n = Math.min(this.left, chunk.length - o);
        this.payload(chunk.subarray(o, o + n));
        o += n;
        this.left -= n;
        if (this.left === 0) this.finishFrame();
        continue;
      }
      const buf = this.head.length ? Buffer.concat([this.head, chunk.subarray(o)]) : chunk.subarray(o);
      const consumedBefore = this.head.length;
      const h = readWsHeader(buf, 0);
      if (h === 'more') {
        this.head = Buffer.from(buf);
        return;
      }
      this.head = Buffer.alloc(0);
      if (h === null || h.rsv !== 0) {
        this.note({ level: 'error', layer: 'ws', code: 'WS_BAD_FRAME', message: `impossible WebSocket frame header 0x${buf.subarray(0, 2).toString('hex')}`, fromClient: this.fromClient });
        this.startLost([buf.subarray(1)]);
        return;
      }
      o += h.headerLength - consumedBefore;
      this.startFrame(h);
    }
  }

  gap(bytes: number): void {
    if (this.dead) return;
    this.note({ level: 'warning', layer: 'ws', code: 'WS_GAP', message: `gap of ${bytes} bytes inside WebSocket frames`, fromClient: this.fromClient });
    this.out.gap(this.fromClient, bytes);
    this.head = Buffer.alloc(0);
    this.current = undefined;
    this.startLost([]);
  }

  private startFrame(h: WsFrameHeader): void {
    this.current = h;
    this.left = h.payloadLength;
    this.mask = h.maskKey ? Buffer.from(h.maskKey) : undefined;
    this.maskPos = 0;
    this.control = [];
    if (h.opcode !== WS_OPCODE.continuation && h.opcode < WS_OPCODE.close) this.messageOpcode = h.opcode;
    if (h.masked !== this.fromClient) {
      // RFC 6455 5.1: clients mask every frame, servers never do.
      this.note({ level: 'warning', layer: 'ws', code: 'WS_MASKING', message: `${this.fromClient ? 'client' : 'server'} frame ${h.masked ? 'masked' : 'not masked'}`, fromClient: this.fromClient });
    }
    // Data frames are reported at their header, so the report precedes the MQTT packets they carry;
    // control frames once their (short) payload is in.
    if (h.opcode < WS_OPCODE.close) this.onFrame({ fromClient: this.fromClient, header: h });
    if (h.payloadLength === 0) this.finishFrame();
  }

  private payload(chunk: Buffer): void {
    let data = chunk;
    if (this.mask) {
      data = Buffer.allocUnsafe(chunk.length);
      const m = this.mask;
      let p = this.maskPos;
      for (let i = 0; i < chunk.length; i++) {
        data[i] = chunk[i]! ^ m[p]!;
        p = (p + 1) & 3;
      }
      this.maskPos = p;
    }
    const op = this.current!.opcode;
    if (op >= WS_OPCODE.close) {
      if (this.control.reduce((s, b) => s + b.length, 0) < MAX_CONTROL_PAYLOAD + 1) this.control.push(data);
    } else if ((op === WS_OPCODE.binary || (op === WS_OPCODE.continuation && this.messageOpcode === WS_OPCODE.binary)) && data.length) {
      this.out.data(this.fromClient, data);
    }
  }

  private finishFrame(): void {
    const h = this.current!;
    this.current = undefined;
    if (h.opcode >= WS_OPCODE.close) {
      this.onFrame({ fromClient: this.fromClient, header: h, controlPayload: Buffer.concat(this.control) });
    } else if (h.opcode === WS_OPCODE.text || (h.opcode === WS_OPCODE.continuation && this.messageOpcode === WS_OPCODE.text)) {
      this.note({ level: 'warning', layer: 'ws', code: 'WS_TEXT_FRAME', message: 'text frame: MQTT over WebSocket must use binary frames', fromClient: this.fromClient });
    }
  }

  private startLost(initial: Buffer[]): void {
    this.lost = true;
    this.lostBuf = initial.filter((b) => b.length > 0);
    this.lostHave = this.lostBuf.reduce((s, b) => s + b.length, 0);
    this.resync();
  }

  /** Looks for a frame header whose frame ends at the data's end or at another plausible header. */
  private resync(): void {
    const buf = Buffer.concat(this.lostBuf, this.lostHave);
    for (let o = 0; o < buf.length; o++) {
      const h = readWsHeader(buf, o);
      if (h === 'more') break;
      if (h === null || h.rsv !== 0 || h.masked !== this.fromClient || h.payloadLength > RESYNC_MAX_FRAME) continue;
      if (h.opcode >= WS_OPCODE.close && (!h.fin || h.payloadLength > MAX_CONTROL_PAYLOAD)) continue;
      const end = o + h.headerLength + h.payloadLength;
      if (end > buf.length) {
        this.keepFrom(buf, o);
        return;
      }
      if (end < buf.length) {
        const next = readWsHeader(buf, end);
        if (next === null || (next !== 'more' && (next.rsv !== 0 || next.masked !== this.fromClient))) continue;
      }
      if (o > 0) this.note({ level: 'info', layer: 'ws', code: 'WS_RESYNC', message: `skipped ${o} bytes to the next WebSocket frame`, fromClient: this.fromClient });
      this.lost = false;
      this.lostBuf = [];
      this.lostHave = 0;
      this.push(buf.subarray(o));
      return;
    }
    this.keepFrom(buf, Math.max(0, buf.length - 14));
  }

  private keepFrom(buf: Buffer, o: number): void {
    this.lostBuf = [buf.subarray(o)];
    this.lostHave = buf.length - o;
    if (this.lostHave > RESYNC_GIVE_UP_BYTES) {
      this.dead = true;
      this.note({ level: 'error', layer: 'ws', code: 'WS_UNREADABLE', message: 'no WebSocket frame boundary found after a gap; the rest of this direction is unreadable', fromClient: this.fromClient });
    }
  }
}

/** One direction's HTTP head (request or response) before the switch to frames. */
class HttpHead {
  private parts: Buffer[] = [];
  private have = 0;
  text: string | undefined;
  push(chunk: Buffer): Buffer | 'more' | 'too-long' {
    this.parts.push(chunk);
    this.have += chunk.length;
    const all = Buffer.concat(this.parts, this.have);
    const end = all.indexOf(HEADER_END);
    if (end < 0) {
      this.parts = [all];
      return this.have > MAX_HTTP_HEAD ? 'too-long' : 'more';
    }
    this.text = all.subarray(0, end).toString('latin1');
    this.parts = [];
    return all.subarray(end + HEADER_END.length);
  }
}

/** HTTP/1.1 Upgrade handshake, then WebSocket frames both ways; binary payload goes to `inner`. */
export class WebSocketLayer implements DuplexConsumer {
  private readonly heads = [new HttpHead(), new HttpHead()];
  private readonly readers: [FrameReader, FrameReader];
  private readonly upgraded = [false, false];
  private readonly held: Buffer[] = [];
  private heldBytes = 0;
  private failed = false;
  /** Request path and Sec-WebSocket-Protocol, once seen. */
  path: string | undefined;
  subprotocol: string | undefined;

  constructor(
    private readonly inner: DuplexConsumer,
    private readonly note: NoteSink,
    onFrame: (f: WsFrameEvent) => void = () => {},
  ) {
    this.readers = [new FrameReader(false, inner, onFrame, note), new FrameReader(true, inner, onFrame, note)];
  }

  data(fromClient: boolean, chunk: Buffer): void {
    if (this.failed) return;
    const i = fromClient ? 1 : 0;
    if (fromClient && this.upgraded[1] && !this.upgraded[0]) return this.hold(chunk);
    if (this.upgraded[i]) {
      this.readers[i]!.push(chunk);
      return;
    }
    const rest = this.heads[i]!.push(chunk);
    if (rest === 'more') return;
    if (rest === 'too-long') return this.fail('HTTP head longer than 64 KiB');
    const text = this.heads[i]!.text!;
    if (fromClient) {
      const [requestLine] = text.split('\r\n');
      if (!/^GET \S+ HTTP\/1\.1$/.test(requestLine ?? '') || !/^upgrade:\s*websocket\s*$/im.test(text)) {
        return this.fail(`not a WebSocket upgrade request: ${requestLine}`);
      }
      this.path = requestLine!.split(' ')[1];
      this.upgraded[1] = true;
      // Frames the client sent before the server's 101 wait until the upgrade is confirmed.
      if (!this.upgraded[0]) {
        if (rest.length) this.hold(rest);
        return;
      }
      this.readers[1]!.push(rest);
    } else {
      const [statusLine] = text.split('\r\n');
      if (!/^HTTP\/1\.1 101\b/.test(statusLine ?? '')) return this.fail(`upgrade refused: ${statusLine}`);
      this.subprotocol = /^sec-websocket-protocol:\s*(.+?)\s*$/im.exec(text)?.[1];
      this.upgraded[0] = true;
      if (rest.length) this.readers[0]!.push(rest);
      for (const b of this.held.splice(0)) this.readers[1]!.push(b);
    }
  }

  gap(fromClient: boolean, bytes: number): void {
    if (this.failed) return;
    const i = fromClient ? 1 : 0;
    if (this.upgraded[i] && !(fromClient && !this.upgraded[0])) this.readers[i]!.gap(bytes);
    else this.fail(`gap of ${bytes} bytes during the HTTP upgrade`);
  }

  end(fromClient: boolean): void {
    this.inner.end(fromClient);
  }

  /** Client bytes after its request, waiting for the server's 101 (bounded: the answer may never be captured). */
  private hold(chunk: Buffer): void {
    this.held.push(Buffer.from(chunk));
    this.heldBytes += chunk.length;
    if (this.heldBytes > MAX_HELD_BEFORE_101) this.fail('no 101 response to the upgrade request');
  }

  private fail(message: string): void {
    this.failed = true;
    this.note({ level: 'error', layer: 'http', code: 'WS_UPGRADE', message });
  }
}
