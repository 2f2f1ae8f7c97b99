// A cursor over one packet's bytes. With `rec` null it only decodes (the broker's hot path pays one null check
// per field); with a Recorder it also records each field's byte span for the dissector. Same code either way.
import { ReasonCode } from './constants.js';
import { MASKED_SECRET, type Recorder } from './dissection.js';
import { ProtocolError } from './errors.js';
import type { ProtocolVersion } from './packets.js';
import { scanUtf8, utf8ErrorAt, UTF8_INVALID, UTF8_NON_ASCII, UTF8_NULL } from './utf8.js';
import { MAX_VARINT_BYTES, VARINT_CONTINUATION, VARINT_VALUE_MASK } from './varint.js';

/** Node's Buffer has these fast slice methods; they skip toString's argument juggling. */
interface FastSlices {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
}

export class Reader {
  /** Flags of the last string read (UTF8_HAS_WILDCARD, UTF8_NON_ASCII). */
  strFlags = 0;

  constructor(
    public buf: Buffer,
    public pos: number,
    /** One past the packet's last byte. */
    public end: number,
    /** Position of the packet's first byte in `buf` (may be negative when the header was not copied). */
    public base: number,
    public version: ProtocolVersion,
    public rec: Recorder | null = null,
  ) {}

  /** Offset of `pos` from the start of the packet. */
  off(pos: number = this.pos): number {
    return pos - this.base;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  /** Throws `err` after recording a field `name` over [start, start+length) that carries the error. */
  fail(err: ProtocolError, name: string, start: number, length: number): never {
    if (this.rec !== null) this.rec.add({ name, offset: start - this.base, length, error: err.message });
    throw err;
  }

  truncated(name: string, need: number): never {
    const err = new ProtocolError(
      'TRUNCATED', ReasonCode.MalformedPacket,
      `${name} needs ${need} byte(s) at offset ${this.off()}, ${this.remaining} left in the packet`, this.off(),
    );
    return this.fail(err, name, this.pos, this.remaining);
  }

  u8(name: string): number {
    if (this.pos >= this.end) this.truncated(name, 1);
    const v = this.buf[this.pos++]!;
    if (this.rec !== null) this.rec.add({ name, offset: this.pos - 1 - this.base, length: 1, value: v });
    return v;
  }

  u16(name: string): number {
    const p = this.pos;
    if (this.end - p < 2) this.truncated(name, 2);
    const v = (this.buf[p]! << 8) | this.buf[p + 1]!;
    this.pos = p + 2;
    if (this.rec !== null) this.rec.add({ name, offset: p - this.base, length: 2, value: v });
    return v;
  }

  u32(name: string): number {
    const p = this.pos;
    if (this.end - p < 4) this.truncated(name, 4);
    const v = this.buf.readUInt32BE(p);
    this.pos = p + 4;
    if (this.rec !== null) this.rec.add({ name, offset: p - this.base, length: 4, value: v });
    return v;
  }

  /** A Variable Byte Integer inside the packet (Property Length, Subscription Identifier). */
  varint(name: string): number {
    const start = this.pos;
    let value = 0;
    let mult = 1;
    for (let n = 1; ; n++) {
      if (this.pos >= this.end) this.truncated(name, 1);
      const b = this.buf[this.pos++]!;
      value += (b & VARINT_VALUE_MASK) * mult;
      if ((b & VARINT_CONTINUATION) === 0) {
        if (b === 0 && n > 1) {
          // [MQTT-1.5.5-1] the fewest bytes: a trailing 0x00 group is an over-long encoding
          this.fail(new ProtocolError('MALFORMED_VARINT', ReasonCode.MalformedPacket,
            `${name} is not minimally encoded`, this.off(start)), name, start, n);
        }
        break;
      }
      if (n === MAX_VARINT_BYTES) {
        this.fail(new ProtocolError('MALFORMED_VARINT', ReasonCode.MalformedPacket,
          `${name} is longer than 4 bytes`, this.off(start)), name, start, n);
      }
      mult *= 128;
    }
    if (this.rec !== null) this.rec.add({ name, offset: start - this.base, length: this.pos - start, value });
    return value;
  }

  /** A UTF-8 Encoded String: 2-byte length, then strictly checked UTF-8. Sets strFlags. */
  utf8(name: string): string {
    const start = this.pos;
    if (this.end - start < 2) this.truncated(name, 2);
    const len = (this.buf[start]! << 8) | this.buf[start + 1]!;
    const s = start + 2;
    const e = s + len;
    if (e > this.end) {
      this.pos = s;
      this.truncated(name, len);
    }
    const flags = scanUtf8(this.buf, s, e);
    if (flags === UTF8_INVALID || flags === UTF8_NULL) {
      const at = this.off(utf8ErrorAt);
      const err = flags === UTF8_NULL
        ? new ProtocolError('UTF8_NULL_CHARACTER', ReasonCode.MalformedPacket, `${name} contains U+0000 at offset ${at}`, at)
        : new ProtocolError('INVALID_UTF8', ReasonCode.MalformedPacket, `${name} is not well-formed UTF-8 at offset ${at}`, at);
      this.fail(err, name, start, len + 2);
    }
    this.strFlags = flags;
    this.pos = e;
    const fast = this.buf as unknown as FastSlices;
    const str = len === 0 ? '' : (flags & UTF8_NON_ASCII) === 0 ? fast.latin1Slice(s, e) : fast.utf8Slice(s, e);
    if (this.rec !== null) {
      this.rec.add({ name, offset: start - this.base, length: len + 2, value: str, display: `"${str}" (${plural(len, 'byte')})` });
    }
    return str;
  }

  /** Binary Data: 2-byte length, then bytes (a view into the input, not a copy). */
  binary(name: string, secret = false): Buffer {
    const start = this.pos;
    if (this.end - start < 2) this.truncated(name, 2);
    const len = (this.buf[start]! << 8) | this.buf[start + 1]!;
    const s = start + 2;
    if (s + len > this.end) {
      this.pos = s;
      this.truncated(name, len);
    }
    this.pos = s + len;
    const data = this.buf.subarray(s, s + len);
    if (this.rec !== null) this.recordBytes(name, start, len + 2, data, secret);
    return data;
  }

  /** Everything up to the end of the packet (PUBLISH payload, Will Payload is length-prefixed instead). */
  rest(name: string): Buffer {
    const start = this.pos;
    this.pos = this.end;
    const data = this.buf.subarray(start, this.end);
    if (this.rec !== null) this.recordBytes(name, start, data.length, data, false);
    return data;
  }

  private recordBytes(name: string, start: number, length: number, data: Buffer, secret: boolean): void {
    const rec = this.rec!;
    if (secret && !rec.showSecrets) {
      rec.add({ name, offset: start - this.base, length, value: MASKED_SECRET, display: `${MASKED_SECRET} (${plural(data.length, 'byte')})` });
    } else {
      rec.add({ name, offset: start - this.base, length, value: data, display: displayBytes(data) });
    }
  }

  /** Starts a group field (e.g. "Properties"); no-op when not recording. */
  open(name: string): void {
    if (this.rec !== null) this.rec.open(name, this.pos - this.base);
  }

  close(value?: unknown, display?: string): void {
    if (this.rec !== null) this.rec.close(this.pos - this.base, value, display);
  }

  /** Sets the display (and optionally bit picture) of the field just recorded. */
  note(display: string, bits?: string): void {
    if (this.rec === null) return;
    const f = this.rec.last();
    if (!f) return;
    f.display = display;
    if (bits !== undefined) f.bits = bits;
  }

  /** Adds a bit-field child to the field just recorded. */
  bit(name: string, offset: number, bits: string, value: unknown, display: string): void {
    if (this.rec === null) return;
    const f = this.rec.last();
    if (!f) return;
    (f.children ??= []).push({ name, offset: offset - this.base, length: 1, bits, value, display });
  }
}

export function plural(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

/** Printable UTF-8 shows as text, anything else as hex. */
export function displayBytes(data: Uint8Array): string {
  const n = data.length;
  if (n === 0) return '(empty)';
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (isPrintableUtf8(buf)) return `"${buf.toString('utf8')}" (${plural(n, 'byte')})`;
  const shown = n > 64 ? `${buf.subarray(0, 64).toString('hex')}...` : buf.toString('hex');
  return `0x${shown} (${plural(n, 'byte')})`;
}

function isPrintableUtf8(buf: Buffer): boolean {
  const flags = scanUtf8(buf, 0, buf.length);
  if (flags === UTF8_INVALID || flags === UTF8_NULL) return false;
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i]!;
    // control characters other than tab, newline and carriage return make it binary
    if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) || b === 0x7f) return false;
  }
  return true;
}

/** Bit picture of `mask` within one byte, e.g. mask 0x06 value 0x02 -> ".... .01." */
export function bitPicture(byte: number, mask: number): string {
  let out = '';
  for (let i = 7; i >= 0; i--) {
    const m = 1 << i;
    out += (mask & m) === 0 ? '.' : (byte & m) !== 0 ? '1' : '0';
    if (i === 4) out += ' ';
  }
  return out;
}
