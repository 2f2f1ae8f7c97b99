// The field tree the dissector records: every field's name, byte span, decoded value and meaning.
import type { ProtocolError } from './errors.js';
import type { Packet, ProtocolVersion } from './packets.js';

export interface DissectField {
  name: string;
  /** Byte offset from the first byte of the packet. */
  offset: number;
  length: number;
  value?: unknown;
  /** Human meaning of the value, e.g. "5 s" or "PUBLISH (3)". */
  display?: string;
  /** For single flag bits and bit groups: the bit picture, e.g. "..1. ....". */
  bits?: string;
  children?: DissectField[];
  /** Set on the field where decoding stopped. */
  error?: string;
}

export interface Dissection {
  packet?: Packet;
  error?: ProtocolError;
  fields: DissectField[];
  /** The packet's bytes (or all the bytes given, when they did not hold one whole packet). */
  bytes: Buffer;
  protocolVersion: ProtocolVersion;
  /** Secrets (password) are masked in fields and renderings unless this is true. */
  showSecrets: boolean;
}

export interface DissectOptions {
  /** Show the CONNECT password instead of "********". */
  showSecrets?: boolean;
}

export const MASKED_SECRET = '********';

/** Collects fields while a Reader decodes; groups nest through open/close. */
export class Recorder {
  readonly fields: DissectField[] = [];
  private readonly stack: DissectField[] = [];

  constructor(readonly showSecrets: boolean) {}

  add(field: DissectField): DissectField {
    const top = this.stack[this.stack.length - 1];
    if (top) (top.children ??= []).push(field);
    else this.fields.push(field);
    return field;
  }

  open(name: string, offset: number): void {
    this.stack.push(this.add({ name, offset, length: 0, children: [] }));
  }

  close(endOffset: number, value?: unknown, display?: string): DissectField | undefined {
    const field = this.stack.pop();
    if (!field) return undefined;
    field.length = endOffset - field.offset;
    if (value !== undefined) field.value = value;
    if (display !== undefined) field.display = display;
    return field;
  }

  /** The innermost open group. */
  current(): DissectField | undefined {
    return this.stack[this.stack.length - 1];
  }

  /** The field most recently added at the current nesting level. */
  last(): DissectField | undefined {
    const top = this.stack[this.stack.length - 1];
    const list = top ? top.children : this.fields;
    return list?.[list.length - 1];
  }

  /** Closes every open group at `endOffset` (decoding stopped there with an error). */
  closeAll(endOffset: number, error: string): void {
    let first = true;
    while (this.stack.length > 0) {
      const f = this.close(endOffset);
      if (f && first && !hasError(f)) f.error = error;
      first = false;
    }
  }
}

/**
 * Marks the innermost field covering `offset` with the error, unless some field already carries it; when no
 * field covers it (e.g. a missing field), adds an empty marker field there.
 */
export function markError(fields: DissectField[], offset: number, error: string): void {
  if (fields.some(hasError)) return;
  let target: DissectField | undefined;
  let list: DissectField[] | undefined = fields;
  while (list) {
    const hit: DissectField | undefined = [...list].reverse().find((f) => offset >= f.offset && offset < f.offset + Math.max(f.length, 1));
    if (!hit) break;
    target = hit;
    list = hit.children?.some((c) => c.bits === undefined) ? hit.children : undefined;
  }
  if (target) target.error = error;
  else fields.push({ name: 'Error', offset, length: 0, error });
}

/** Byte ranges [start, end) holding masked secrets (the data after each masked field's 2-byte length). */
export function secretRanges(d: Dissection): [number, number][] {
  if (d.showSecrets) return [];
  const out: [number, number][] = [];
  const walk = (fields: DissectField[]): void => {
    for (const f of fields) {
      if (f.value === MASKED_SECRET) out.push([f.offset + 2, f.offset + f.length]);
      if (f.children) walk(f.children);
    }
  };
  walk(d.fields);
  return out;
}

/** Hex of bytes[start, end) with every byte inside a secret range shown as "**"; `sep` goes between bytes. */
export function maskedHex(bytes: Buffer, start: number, end: number, secrets: [number, number][], sep = ''): string {
  const parts: string[] = [];
  for (let i = start; i < end && i < bytes.length; i++) {
    parts.push(secrets.some(([a, b]) => i >= a && i < b) ? '**' : bytes[i]!.toString(16).padStart(2, '0'));
  }
  return parts.join(sep);
}

function hasError(f: DissectField): boolean {
  return f.error !== undefined || (f.children?.some(hasError) ?? false);
}
