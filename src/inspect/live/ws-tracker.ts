// One direction of a WebSocket connection as the plain tap sees it: the HTTP upgrade head, then frames (RFC 6455).
// Each frame is reported with its header bytes exactly as sent; binary payload goes on, unmasked, to the MQTT
// cutter tagged with its frame, so an MQTT event can name the frames that carried it.
import { opcodeName, readWsHeader, WS_OPCODE, type WsFrameHeader } from '../websocket.js';
import type { HttpView, WsFrameView } from './trace-event.js';

const HEADER_END = Buffer.from('\r\n\r\n');
/** The transport records at most 16 KiB of upgrade; a longer head is not an upgrade we can follow. */
const MAX_HTTP_HEAD = 16 * 1024;
const LENGTH_16 = 126;
const LENGTH_64 = 127;
const CLOSE_CODE_BYTES = 2;

export interface WsTrackerEvents {
  http(view: HttpView): void;
  /** Data frames at their header (before their payload), control frames once whole. */
  frame(view: WsFrameView): void;
  /** Unmasked payload of a binary (or continuation) frame. */
  payload(chunk: Buffer, frame: WsFrameView): void;
  problem(code: string, message: string): void;
}

export function frameView(h: WsFrameHeader, raw: Buffer): WsFrameView {
  const len7 = raw[1]! & 0x7f;
  const view: WsFrameView = {
    fin: h.fin,
    rsv: h.rsv,
    opcode: h.opcode,
    opcodeName: opcodeName(h.opcode),
    masked: h.masked,
    payloadLength: h.payloadLength,
    lengthBits: len7 === LENGTH_64 ? 64 : len7 === LENGTH_16 ? 16 : 7,
    header: raw.subarray(0, h.headerLength).toString('hex'),
  };
  if (h.maskKey) view.maskKey = h.maskKey.toString('hex');
  return view;
}

export function parseHttpHead(text: string): HttpView {
  const [startLine = '', ...rest] = text.split('\r\n');
  const headers: [string, string][] = [];
  for (const line of rest) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return { startLine, headers };
}

export class WsTracker {
  private state: 'http' | 'sync' | 'frames' | 'dead';
  private pending: Buffer = Buffer.alloc(0);
  private frame: { view: WsFrameView; key: Buffer | undefined; left: number; pos: number; control: Buffer[] } | undefined;

  constructor(
    private readonly fromClient: boolean,
    private readonly events: WsTrackerEvents,
  ) {
    this.state = 'http';
  }

  /** Live bytes from here on may start inside a frame: wait for a plausible frame header. */
  resync(): void {
    if (this.state === 'frames') {
      this.state = 'sync';
      this.frame = undefined;
      this.pending = Buffer.alloc(0);
    }
  }

  push(chunk: Buffer): void {
    if (this.state === 'dead' || chunk.length === 0) return;
    if (this.state === 'http') return this.pushHttp(chunk);
    if (this.state === 'sync') {
      const h = readWsHeader(chunk, 0);
      if (h === null || h === 'more' || h.rsv !== 0 || h.masked !== this.fromClient) return;
      this.state = 'frames';
    }
    this.pushFrames(chunk);
  }

  private pushHttp(chunk: Buffer): void {
    const all = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const end = all.indexOf(HEADER_END);
    if (end < 0) {
      if (all.length > MAX_HTTP_HEAD) {
        this.state = 'dead';
        this.events.problem('WS_UPGRADE', 'HTTP head longer than 16 KiB');
        return;
      }
      this.pending = Buffer.from(all);
      return;
    }
    this.pending = Buffer.alloc(0);
    const view = parseHttpHead(all.subarray(0, end).toString('latin1'));
    this.events.http(view);
    if (!this.fromClient && !/^HTTP\/1\.1 101\b/.test(view.startLine)) {
      this.state = 'dead';
      return;
    }
    this.state = 'frames';
    this.pushFrames(all.subarray(end + HEADER_END.length));
  }

  private pushFrames(chunk: Buffer): void {
    let o = 0;
    while (o < chunk.length) {
      if (this.frame) {
        o += this.payload(chunk.subarray(o));
        continue;
      }
      const buf = this.pending.length ? Buffer.concat([this.pending, chunk.subarray(o)]) : chunk.subarray(o);
      const h = readWsHeader(buf, 0);
      if (h === 'more') {
        this.pending = Buffer.from(buf);
        return;
      }
      const used = this.pending.length;
      this.pending = Buffer.alloc(0);
      if (h === null || h.rsv !== 0) {
        this.events.problem('WS_BAD_FRAME', `impossible WebSocket frame header 0x${buf.subarray(0, 2).toString('hex')}`);
        this.state = 'sync';
        return;
      }
      o += h.headerLength - used;
      this.startFrame(h, buf);
    }
  }

  private startFrame(h: WsFrameHeader, raw: Buffer): void {
    const view = frameView(h, raw);
    this.frame = { view, key: h.maskKey ? Buffer.from(h.maskKey) : undefined, left: h.payloadLength, pos: 0, control: [] };
    if (h.opcode < WS_OPCODE.close) this.events.frame(view);
    if (h.opcode === WS_OPCODE.text) this.events.problem('WS_TEXT_FRAME', 'text frame: MQTT over WebSocket must use binary frames'); // [MQTT-6.0.0-1]
    if (h.payloadLength === 0) this.endFrame();
  }

  /** Consumes payload bytes of the current frame; returns how many. */
  private payload(chunk: Buffer): number {
    const f = this.frame!;
    const n = Math.min(f.left, chunk.length);
    let data = chunk.subarray(0, n);
    if (f.key) {
      const out = Buffer.allocUnsafe(n);
      for (let i = 0; i < n; i++) out[i] = data[i]! ^ f.key[(f.pos + i) & 3]!;
      data = out;
    }
    f.pos += n;
    f.left -= n;
    if (f.view.opcode >= WS_OPCODE.close) f.control.push(Buffer.from(data));
    else if (f.view.opcode !== WS_OPCODE.text) this.events.payload(data, f.view);
    if (f.left === 0) this.endFrame();
    return n;
  }

  private endFrame(): void {
    const f = this.frame!;
    this.frame = undefined;
    if (f.view.opcode < WS_OPCODE.close) return;
    const payload = Buffer.concat(f.control);
    f.view.payload = payload.toString('hex');
    if (f.view.opcode === WS_OPCODE.close && payload.length >= CLOSE_CODE_BYTES) {
      f.view.closeCode = payload.readUInt16BE(0);
      f.view.closeReason = payload.subarray(CLOSE_CODE_BYTES).toString('utf8');
    }
    this.events.frame(f.view);
  }
}
