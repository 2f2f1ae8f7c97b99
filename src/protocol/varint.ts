// Variable Byte Integer (spec 1.5.5 / 2.2.3): 7 bits per byte, least significant group first, at most 4 bytes.

/** Largest value a 4-byte Variable Byte Integer holds (also the largest Remaining Length). */
export const MAX_VARINT = 268_435_455;
export const MAX_VARINT_BYTES = 4;
export const VARINT_CONTINUATION = 0x80;
export const VARINT_VALUE_MASK = 0x7f;

export function varintLength(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  return 4;
}

/** Writes `value` at `pos` and returns the position after it; the caller checked value <= MAX_VARINT. */
export function writeVarint(buf: Buffer, pos: number, value: number): number {
  while (value >= VARINT_CONTINUATION) {
    buf[pos++] = (value & VARINT_VALUE_MASK) | VARINT_CONTINUATION;
    value >>>= 7;
  }
  buf[pos++] = value;
  return pos;
}
