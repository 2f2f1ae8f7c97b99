// -d: cuts each direction of the raw byte stream into whole MQTT packets and prints each, decoded by glassmq's dissector.
import { PROPERTY_BY_NAME, dissectPacket, renderHexDump, summarizePacket, type PropertyName } from '../../protocol/index.js';
import type { Packet, ProtocolVersion } from '../../protocol/packets.js';
import type { Properties } from '../../protocol/properties.js';
import { cliPropertyName } from './properties.js';
import { MAX_VARINT_BYTES, VARINT_CONTINUATION, VARINT_VALUE_MASK } from '../../protocol/varint.js';

export type Direction = 'sent' | 'received';

export interface PacketTap {
  sent(chunk: Buffer): void;
  received(chunk: Buffer): void;
}

/**
 * Splits a byte stream into packets by the fixed header alone (type byte + Remaining Length), so the dissector gets
 * exactly the bytes that crossed the wire, even when one packet spans several chunks or a chunk holds several packets.
 */
export class PacketFramer {
  private buffered: Buffer = Buffer.alloc(0);
  private broken = false;

  /** Returns the packets completed by `chunk`; after a malformed length it returns the remaining bytes as one piece. */
  push(chunk: Buffer): Buffer[] {
    if (this.broken) return [chunk];
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    const out: Buffer[] = [];
    while (this.buffered.length >= 2) {
      let remaining = 0;
      let multiplier = 1;
      let pos = 1;
      let complete = false;
      while (pos < this.buffered.length && pos <= MAX_VARINT_BYTES) {
        const byte = this.buffered[pos++]!;
        remaining += (byte & VARINT_VALUE_MASK) * multiplier;
        multiplier *= VARINT_CONTINUATION;
        if ((byte & VARINT_CONTINUATION) === 0) {
          complete = true;
          break;
        }
      }
      if (!complete) {
        if (pos > MAX_VARINT_BYTES) {
          // A fifth length byte: hand everything to the dissector, which reports the malformed length.
          this.broken = true;
          out.push(this.buffered);
          this.buffered = Buffer.alloc(0);
        }
        break;
      }
      const total = pos + remaining;
      if (this.buffered.length < total) break;
      out.push(this.buffered.subarray(0, total));
      this.buffered = this.buffered.subarray(total);
    }
    return out;
  }
}

export interface DebugTapOptions {
  version: ProtocolVersion;
  hex: boolean;
  write(text: string): void;
}

const PRINTABLE = /^[\x20-\x7e]*$/;

function propertyValue(value: unknown): string {
  if (Buffer.isBuffer(value)) return PRINTABLE.test(value.toString('latin1')) ? JSON.stringify(value.toString('latin1')) : `0x${value.toString('hex')}`;
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** `{content-type="text/plain", user-property=k:v}`: the values the one-line summary leaves out, named as for -D. */
export function describeProperties(p: Properties | undefined, prefix = ''): string {
  if (!p) return '';
  const parts: string[] = [];
  for (const [key, value] of Object.entries(p) as [PropertyName, unknown][]) {
    if (value === undefined) continue;
    const def = PROPERTY_BY_NAME.get(key);
    const name = def ? cliPropertyName(def) : key;
    if (key === 'userProperties') for (const [k, v] of value as [string, string][]) parts.push(`${name}=${JSON.stringify(k)}:${JSON.stringify(v)}`);
    else if (key === 'subscriptionIdentifiers') for (const id of value as number[]) parts.push(`${name}=${id}`);
    else parts.push(`${name}=${propertyValue(value)}`);
  }
  return parts.length ? ` ${prefix}{${parts.join(', ')}}` : '';
}

/** The dissector's summary with property values in place of its list of property names. */
export function summaryLine(packet: Packet, version: ProtocolVersion): string {
  const summary = summarizePacket(packet, version).replace(/ props=\[[^\]]*\]$/, '');
  const props = 'properties' in packet ? describeProperties(packet.properties) : '';
  const will = packet.type === 'connect' ? describeProperties(packet.will?.properties, 'will') : '';
  return `${summary}${props}${will}`;
}

const LABEL: Readonly<Record<Direction, string>> = { sent: 'sent    ', received: 'received' };

/** Bytes shown inline on a -d line; --hex shows them all, annotated. */
const INLINE_BYTES = 32;

/** `[10 0c 00 04 ...]`: the packet's first bytes, so the wire form is always in sight. */
export function inlineBytes(bytes: Buffer): string {
  const shown = [...bytes.subarray(0, INLINE_BYTES)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  const more = bytes.length > INLINE_BYTES ? ` ...+${bytes.length - INLINE_BYTES} bytes` : '';
  return `[${shown}${more}]`;
}

/** Renders one packet: a summary line ending in its bytes; with --hex, the annotated dump instead of the inline bytes. */
export function describePacket(direction: Direction, bytes: Buffer, version: ProtocolVersion, hex: boolean): string {
  const d = dissectPacket(bytes, version);
  let line = `${LABEL[direction]} `;
  if (d.packet) line += summaryLine(d.packet, version);
  else line += `malformed packet (${bytes.length} bytes): ${d.error?.message ?? 'undecodable'}`;
  if (!hex) return `${line}  ${inlineBytes(bytes)}\n`;
  const dump = renderHexDump(d).replace(/\n+$/, '');
  return `${line}\n${dump.split('\n').map((l) => (l ? `    ${l}` : '')).join('\n')}\n`;
}

export function createDebugTap(opts: DebugTapOptions): PacketTap {
  const framers: Record<Direction, PacketFramer> = { sent: new PacketFramer(), received: new PacketFramer() };
  const handle = (direction: Direction, chunk: Buffer): void => {
    for (const bytes of framers[direction].push(chunk)) opts.write(describePacket(direction, bytes, opts.version, opts.hex));
  };
  return { sent: (c) => handle('sent', c), received: (c) => handle('received', c) };
}
