// JSON form of a dissection: plain data (Buffers become { hex, text? }), the password masked unless shown.
import { MASKED_SECRET, maskedHex, secretRanges, type DissectField, type Dissection } from '../dissection.js';
import type { Packet } from '../packets.js';
import { displayBytes } from '../reader.js';

export interface DissectionJSON {
  protocolVersion: number;
  length: number;
  hex: string;
  packet: unknown;
  error: { code: string; reasonCode: number; offset: number | undefined; message: string } | null;
  fields: FieldJSON[];
}

export interface FieldJSON {
  name: string;
  offset: number;
  length: number;
  hex: string;
  value?: unknown;
  display?: string;
  bits?: string;
  error?: string;
  children?: FieldJSON[];
}

/** Hex strings show "**" for each byte of a masked secret. */
export function dissectionToJSON(d: Dissection): DissectionJSON {
  const secrets = secretRanges(d);
  return {
    protocolVersion: d.protocolVersion,
    length: d.bytes.length,
    hex: maskedHex(d.bytes, 0, d.bytes.length, secrets),
    packet: d.packet ? packetToJSON(d.packet, d.showSecrets) : null,
    error: d.error ? { code: d.error.code, reasonCode: d.error.reasonCode, offset: d.error.offset, message: d.error.message } : null,
    fields: d.fields.map((f) => fieldToJSON(f, d.bytes, secrets)),
  };
}

function fieldToJSON(f: DissectField, bytes: Buffer, secrets: [number, number][]): FieldJSON {
  const out: FieldJSON = { name: f.name, offset: f.offset, length: f.length, hex: maskedHex(bytes, f.offset, f.offset + f.length, secrets) };
  if (f.value !== undefined) out.value = plain(f.value);
  if (f.display !== undefined) out.display = f.display;
  if (f.bits !== undefined) out.bits = f.bits;
  if (f.error !== undefined) out.error = f.error;
  if (f.children && f.children.length > 0) out.children = f.children.map((c) => fieldToJSON(c, bytes, secrets));
  return out;
}

/** A packet as JSON-ready data; Buffers become { hex, text } and the password is masked unless showSecrets. */
export function packetToJSON(p: Packet, showSecrets = false): unknown {
  const copy = plain(p) as Record<string, unknown>;
  if (showSecrets) return copy;
  if (p.type === 'connect' && p.password !== undefined) copy.password = MASKED_SECRET;
  const props = copy.properties as Record<string, unknown> | undefined;
  if (props?.authenticationData !== undefined) props.authenticationData = MASKED_SECRET;
  return copy;
}

function plain(v: unknown): unknown {
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) {
    const b = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    const shown = displayBytes(b);
    return shown.startsWith('"') ? { hex: b.toString('hex'), text: b.toString('utf8') } : { hex: b.toString('hex') };
  }
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = plain(x);
    return out;
  }
  return v;
}
