// A trace event from /api/trace (the inspector's trace hub, docs/trace.md) in the shape the Packets view draws:
// who, which way, and the layers (WebSocket frames, MQTT packet), each with its bytes and its field tree.
import type { FieldNode } from '../types';

export interface TraceLayer {
  name: string;
  hex: string;
  fields: FieldNode[];
}

export interface TracePacket {
  seq: number;
  time: number;
  kind: string;
  dir: 'in' | 'out' | undefined;
  clientId: string;
  remote: string;
  transport: string;
  type: string;
  summary: string;
  layers: TraceLayer[];
}

/** The hub's event (src/inspect/live/trace-event.ts), as much of it as this view reads. */
interface HubEvent {
  seq: number;
  time: number;
  kind: 'open' | 'close' | 'http' | 'ws' | 'mqtt' | 'error';
  connection: { id: number; clientId?: string; remoteAddress: string; remotePort: number; transport: string };
  direction?: 'in' | 'out';
  tls?: { protocol: string | null; cipher: string | null; servername: string | null };
  http?: { startLine: string; headers: [string, string][] };
  ws?: WsFrame[];
  mqtt?: { type: string; summary: string; dissection: { hex: string; fields: FieldNode[] } };
  error?: { layer: string; code: string; message: string };
  summary?: { line: string };
}

interface WsFrame {
  fin: boolean;
  rsv: number;
  opcode: number;
  opcodeName: string;
  masked: boolean;
  maskKey?: string;
  payloadLength: number;
  lengthBits: 7 | 16 | 64;
  header: string;
  payload?: string;
  closeCode?: number;
  closeReason?: string;
}

const LENGTH_BYTES = { 7: 0, 16: 2, 64: 8 } as const;
const MASK_KEY_BYTES = 4;

/** RFC 6455 section 5.2 header fields with their byte spans, from the header bytes the hub recorded. */
function wsLayer(f: WsFrame, index: number, count: number): TraceLayer {
  const ext = LENGTH_BYTES[f.lengthBits];
  const fields: FieldNode[] = [
    {
      name: 'Byte 0',
      offset: 0,
      length: 1,
      children: [
        { name: 'FIN', offset: 0, length: 1, display: String(f.fin), bits: f.fin ? '1... ....' : '0... ....' },
        { name: 'RSV1-3', offset: 0, length: 1, display: String(f.rsv), bits: `.${f.rsv.toString(2).padStart(3, '0')} ....` },
        { name: 'Opcode', offset: 0, length: 1, display: `${f.opcodeName} (${f.opcode})`, bits: `.... ${f.opcode.toString(2).padStart(4, '0')}` },
      ],
    },
    {
      name: 'Byte 1',
      offset: 1,
      length: 1,
      children: [
        { name: 'MASK', offset: 1, length: 1, display: String(f.masked), bits: f.masked ? '1... ....' : '0... ....' },
        { name: 'Payload length (7 bits)', offset: 1, length: 1, display: f.lengthBits === 7 ? String(f.payloadLength) : f.lengthBits === 16 ? '126: 16-bit length follows' : '127: 64-bit length follows' },
      ],
    },
  ];
  if (ext) fields.push({ name: `Extended payload length (${f.lengthBits} bits)`, offset: 2, length: ext, display: String(f.payloadLength) });
  if (f.masked) fields.push({ name: 'Masking key', offset: 2 + ext, length: MASK_KEY_BYTES, display: f.maskKey ?? '' });
  if (f.closeCode !== undefined) fields.push({ name: 'Close status', offset: 2 + ext + (f.masked ? MASK_KEY_BYTES : 0), length: 2, display: `${f.closeCode}${f.closeReason ? ` ${f.closeReason}` : ''}` });
  const size = `${f.payloadLength} byte${f.payloadLength === 1 ? '' : 's'} of payload`;
  const name = count > 1 ? `WebSocket frame ${index + 1} of ${count} (${f.opcodeName}, ${size})` : `WebSocket frame (${f.opcodeName}, ${size})`;
  return { name, hex: f.header + (f.payload ?? ''), fields };
}

function summaryOf(e: HubEvent): string {
  switch (e.kind) {
    case 'mqtt':
      return e.mqtt?.summary ?? '';
    case 'open':
      return `connection opened (${e.connection.transport})`;
    case 'close':
      return e.summary?.line ?? 'connection closed';
    case 'http':
      return e.http?.startLine ?? '';
    case 'ws':
      return (e.ws ?? []).map((f) => `${f.opcodeName}${f.closeCode !== undefined ? ` ${f.closeCode}` : ''}`).join(', ');
    case 'error':
      return `${e.error?.layer ?? ''} ${e.error?.code ?? ''}: ${e.error?.message ?? ''}`;
  }
}

export function toTracePacket(raw: unknown): TracePacket {
  const e = raw as HubEvent;
  const frames = e.ws ?? [];
  const layers = frames.map((f, i) => wsLayer(f, i, frames.length));
  if (e.mqtt) layers.push({ name: `MQTT ${e.mqtt.type}`, hex: e.mqtt.dissection.hex, fields: e.mqtt.dissection.fields });
  return {
    seq: e.seq,
    time: e.time,
    kind: e.kind,
    dir: e.direction,
    clientId: e.connection.clientId ?? '',
    remote: `${e.connection.remoteAddress}:${e.connection.remotePort}`,
    transport: e.connection.transport,
    type: e.kind === 'mqtt' ? (e.mqtt?.type ?? 'MQTT') : e.kind.toUpperCase(),
    summary: summaryOf(e),
    layers,
  };
}
