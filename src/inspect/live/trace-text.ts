// The readable multi-line form of a trace event (glassmq broker --trace, glassmq trace): a head line naming the
// connection and direction, one line per lower layer (TLS, WebSocket frame), then the MQTT field tree.
import type { FieldJSON } from '../../protocol/index.js';
import type { TraceConnection, TraceEvent, WsFrameView } from './trace-event.js';

const INDENT = '    ';
const BYTES_PER_LINE = 16;
const PRINTABLE_LOW = 0x20;
const PRINTABLE_HIGH = 0x7e;

export interface TextOptions {
  /** Add the packet's annotated hex. */
  hex?: boolean;
}

function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 23);
}

export function who(c: TraceConnection): string {
  const id = c.clientId !== undefined ? `"${c.clientId}"` : '(no client id yet)';
  return `[${c.id}] ${id} ${c.remoteAddress}:${c.remotePort}`;
}

function arrow(ev: TraceEvent): string {
  if (ev.direction === 'in') return 'client -> broker';
  if (ev.direction === 'out') return 'broker -> client';
  return '';
}

export function wsFrameText(f: WsFrameView): string {
  const parts = [
    `FIN ${f.fin ? 1 : 0}`, `RSV ${f.rsv}`, `opcode ${f.opcode} (${f.opcodeName})`, `MASK ${f.masked ? 1 : 0}`,
    ...(f.maskKey ? [`masking key ${f.maskKey}`] : []),
    `payload length ${f.payloadLength} (${f.lengthBits === 7 ? '7-bit' : `${f.lengthBits}-bit extended`})`,
    `header ${f.header}`,
  ];
  if (f.closeCode !== undefined) parts.push(`close ${f.closeCode}${f.closeReason ? ` "${f.closeReason}"` : ''}`);
  else if (f.payload) parts.push(`payload ${f.payload}`);
  return `WebSocket frame: ${parts.join(', ')}`;
}

function valueText(v: unknown): string {
  if (typeof v === 'string') return `"${v}"`;
  if (v !== null && typeof v === 'object' && 'hex' in v) {
    const b = v as { hex: string; text?: string };
    return b.text !== undefined ? `"${b.text}"` : `0x${b.hex}`;
  }
  return JSON.stringify(v);
}

function fieldLine(f: FieldJSON): string {
  const head = f.bits !== undefined ? `${f.bits} = ${f.name}` : f.name;
  const shown = f.display ?? (f.value === undefined ? undefined : valueText(f.value));
  return shown === undefined ? head : `${head}: ${shown}`;
}

function fields(list: FieldJSON[], depth: number, out: string[]): void {
  for (const f of list) {
    out.push(INDENT.repeat(depth) + fieldLine(f) + (f.error !== undefined ? `  [Malformed: ${f.error}]` : ''));
    if (f.children) fields(f.children, depth + 1, out);
  }
}

/** Classic 16-bytes-a-line dump of a hex string in which masked secret bytes read "**". */
export function hexLines(hex: string, indent: string): string[] {
  const bytes = hex.match(/../g) ?? [];
  const out: string[] = [];
  for (let i = 0; i < bytes.length; i += BYTES_PER_LINE) {
    const row = bytes.slice(i, i + BYTES_PER_LINE);
    const ascii = row.map((b) => {
      if (b === '**') return '*';
      const n = parseInt(b, 16);
      return n >= PRINTABLE_LOW && n <= PRINTABLE_HIGH ? String.fromCharCode(n) : '.';
    });
    out.push(`${indent}${i.toString(16).padStart(4, '0')}  ${row.join(' ').padEnd(BYTES_PER_LINE * 3 - 1)}  ${ascii.join('')}`);
  }
  return out;
}

export function formatEvent(ev: TraceEvent, opts: TextOptions = {}): string {
  const c = ev.connection;
  const head = `${clock(ev.time)} ${who(c)} ${arrow(ev)}`.trimEnd();
  const lines: string[] = [];
  switch (ev.kind) {
    case 'open':
      lines.push(`${head} connected on ${c.listener} (${c.transport})`);
      break;
    case 'close':
      lines.push(`${head} closed`);
      if (ev.summary) lines.push(`  flow: ${ev.summary.line}`);
      break;
    default:
      lines.push(`${head} on ${c.listener}`);
  }
  if (ev.tls && ev.kind !== 'close') lines.push(`  TLS: ${ev.tls.protocol ?? '?'} ${ev.tls.cipher ?? '?'}${ev.tls.servername ? `, SNI ${ev.tls.servername}` : ''}`);
  if (ev.http) {
    lines.push(`  HTTP: ${ev.http.startLine}`);
    for (const [k, v] of ev.http.headers) lines.push(`${INDENT}${k}: ${v}`);
  }
  for (const f of ev.ws ?? []) lines.push(`  ${wsFrameText(f)}`);
  if (ev.error) lines.push(`  ! ${ev.error.layer} ${ev.error.code}: ${ev.error.message}`);
  if (ev.mqtt) {
    const m = ev.mqtt;
    const d = m.dissection;
    lines.push(`  MQTT ${m.type} (protocol level ${m.protocolVersion}), ${m.length} bytes: ${m.summary}`);
    fields(d.fields, 2, lines);
    if (d.error) lines.push(`${INDENT}error at offset ${d.error.offset ?? 0}: ${d.error.message}`);
    if (opts.hex) lines.push(...hexLines(d.hex, INDENT));
  }
  return lines.join('\n');
}
