// Printing received messages: payload only, -v (topic payload), or -F with mosquitto_sub's %, @ and \ sequences.
import type { Properties } from '../../protocol/properties.js';
import { messageJson } from './json-output.js';
import { isoSeconds, strftimeChar, unixNanos, type Timestamp } from './time-format.js';

export interface ReceivedMessage {
  topic: string;
  payload: Buffer;
  qos: number;
  retain: boolean;
  packetId?: number;
  properties?: Properties;
  time: Timestamp;
  /** This client's id (glassmq's %i). */
  clientId: string;
}

type Part =
  | { kind: 'literal'; bytes: Buffer }
  | { kind: 'field'; token: string; left: boolean; zero: boolean; width: number; max?: number }
  | { kind: 'time'; char: string };

export type CompiledFormat = readonly Part[];

/** Tokens that honour the 0 flag, and those that honour a maximum width (mosquitto_sub(1), "Output format"). */
const ZERO_PADDED = new Set(['A', 'E', 'F', 'l', 'm', 'S', 'X', 'x']);
const MAX_WIDTH = new Set(['C', 'I', 'R', 't']);
const FIELD_TOKENS = new Set(['A', 'C', 'D', 'E', 'F', 'I', 'i', 'j', 'J', 'l', 'm', 'P', 'p', 'q', 'R', 'r', 'S', 't', 'U', 'x', 'X']);

const ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\', '0': '\0', a: '\x07', e: '\x1b', n: '\n', r: '\r', t: '\t', v: '\v',
};

export function compileFormat(format: string): CompiledFormat {
  const parts: Part[] = [];
  let text = '';
  const flush = (): void => {
    if (text) parts.push({ kind: 'literal', bytes: Buffer.from(text, 'utf8') });
    text = '';
  };
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    const next = format[i + 1];
    if (c === '\\' && next !== undefined) {
      text += ESCAPES[next] ?? `\\${next}`;
      i++;
    } else if (c === '@' && next !== undefined) {
      if (next === '@') text += '@';
      else {
        flush();
        parts.push({ kind: 'time', char: next });
      }
      i++;
    } else if (c === '%' && next !== undefined) {
      if (next === '%') {
        text += '%';
        i++;
        continue;
      }
      const m = /^([-0]*)(\d*)(?:\.(\d+))?(.)/.exec(format.slice(i + 1));
      if (!m || !FIELD_TOKENS.has(m[4]!)) {
        text += c;
        continue;
      }
      flush();
      const part: Part = { kind: 'field', token: m[4]!, left: m[1]!.includes('-'), zero: m[1]!.includes('0'), width: Number(m[2] || 0) };
      if (m[3] !== undefined) part.max = Number(m[3]);
      parts.push(part);
      i += m[0].length;
    } else {
      text += c;
    }
  }
  flush();
  return parts;
}

export interface FormatContext {
  pretty: boolean;
  /** Where "payload is not valid JSON" goes (%J). */
  warn(line: string): void;
}

function fieldValue(token: string, m: ReceivedMessage, ctx: FormatContext): string | Buffer {
  const p = m.properties ?? {};
  const opt = (v: number | string | undefined): string => (v === undefined ? '' : String(v));
  switch (token) {
    case 'A': return opt(p.topicAlias);
    case 'C': return opt(p.contentType);
    case 'D': return p.correlationData ?? '';
    case 'E': return opt(p.messageExpiryInterval);
    case 'F': return opt(p.payloadFormatIndicator);
    case 'I': return isoSeconds(m.time);
    case 'i': return m.clientId;
    case 'l': return String(m.payload.length);
    case 'm': return String(m.packetId ?? 0);
    case 'P': return (p.userProperties ?? []).map(([k, v]) => `${k}:${v}`).join(' ');
    case 'p': return m.payload;
    case 'q': return String(m.qos);
    case 'R': return opt(p.responseTopic);
    case 'r': return m.retain ? '1' : '0';
    case 'S': return (p.subscriptionIdentifiers ?? []).join(',');
    case 't': return m.topic;
    case 'U': return unixNanos(m.time);
    case 'x': return m.payload.toString('hex');
    case 'X': return m.payload.toString('hex').toUpperCase();
    case 'j': return messageJson(m, { text: m.payload.toString('utf8') }, ctx.pretty);
    case 'J': {
      let json: unknown;
      try {
        json = JSON.parse(m.payload.toString('utf8'));
      } catch {
        ctx.warn(`Error: Message payload is not valid JSON on topic ${m.topic}.`);
        return '';
      }
      return messageJson(m, { json }, ctx.pretty);
    }
    default: return '';
  }
}

function applyWidth(value: string | Buffer, part: Extract<Part, { kind: 'field' }>): Buffer {
  let buf = Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8');
  if (typeof value === 'string') {
    let s = value;
    if (part.max !== undefined && MAX_WIDTH.has(part.token)) s = [...s].slice(0, part.max).join('');
    const length = [...s].length;
    if (length < part.width) {
      const fill = part.zero && !part.left && ZERO_PADDED.has(part.token) ? '0' : ' ';
      s = part.left ? s + ' '.repeat(part.width - length) : fill.repeat(part.width - length) + s;
    }
    buf = Buffer.from(s, 'utf8');
  } else if (buf.length < part.width) {
    const pad = Buffer.alloc(part.width - buf.length, ' ');
    buf = part.left ? Buffer.concat([buf, pad]) : Buffer.concat([pad, buf]);
  }
  return buf;
}

export function renderFormat(format: CompiledFormat, m: ReceivedMessage, ctx: FormatContext): Buffer {
  const out: Buffer[] = [];
  for (const part of format) {
    if (part.kind === 'literal') out.push(part.bytes);
    else if (part.kind === 'time') out.push(Buffer.from(strftimeChar(part.char, m.time), 'utf8'));
    else out.push(applyWidth(fieldValue(part.token, m, ctx), part));
  }
  return Buffer.concat(out);
}

export interface OutputStyle {
  format?: CompiledFormat;
  verbose: boolean;
  /** -N: no newline after each message. */
  noEol: boolean;
  pretty: boolean;
}

/** The bytes printed for one message, newline included unless -N. */
export function renderMessage(m: ReceivedMessage, style: OutputStyle, warn: (line: string) => void): Buffer {
  let body: Buffer;
  if (style.format) body = renderFormat(style.format, m, { pretty: style.pretty, warn });
  else if (style.verbose) body = Buffer.concat([Buffer.from(`${m.topic} `, 'utf8'), m.payload.length ? m.payload : Buffer.from('(null)')]);
  else body = m.payload;
  return style.noEol ? body : Buffer.concat([body, Buffer.from('\n')]);
}
