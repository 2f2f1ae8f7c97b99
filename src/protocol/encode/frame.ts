// Shared pieces of every encoder: one exactly-sized buffer with its fixed header already written.
import { ReasonCode } from '../constants.js';
import { ProtocolError } from '../errors.js';
import { MAX_VARINT, varintLength, writeVarint } from '../varint.js';

const U16_MAX = 0xffff;

/** Allocates header + body in one Buffer, writes the fixed header and returns it; the body starts at bodyStart(). */
export function allocPacket(first: number, bodyLength: number): Buffer {
  if (bodyLength > MAX_VARINT) {
    throw new ProtocolError('PACKET_TOO_LARGE', ReasonCode.PacketTooLarge, `Remaining Length ${bodyLength} exceeds ${MAX_VARINT}`);
  }
  const buf = Buffer.allocUnsafe(1 + varintLength(bodyLength) + bodyLength);
  buf[0] = first;
  writeVarint(buf, 1, bodyLength);
  return buf;
}

export function bodyStart(bodyLength: number): number {
  return 1 + varintLength(bodyLength);
}

/** Byte length of an MQTT string field's content; rejects strings that do not fit a 2-byte length. */
export function strBytes(s: string, what: string): number {
  const n = s.length === 0 ? 0 : Buffer.byteLength(s);
  if (n > U16_MAX) throw new ProtocolError('STRING_TOO_LONG', ReasonCode.MalformedPacket, `${what} is ${n} bytes (max 65535)`);
  return n;
}

export function binBytes(b: Uint8Array, what: string): number {
  if (b.length > U16_MAX) throw new ProtocolError('STRING_TOO_LONG', ReasonCode.MalformedPacket, `${what} is ${b.length} bytes (max 65535)`);
  return b.length;
}

export function writeU16(buf: Buffer, pos: number, v: number): number {
  buf[pos] = v >>> 8;
  buf[pos + 1] = v & 0xff;
  return pos + 2;
}
