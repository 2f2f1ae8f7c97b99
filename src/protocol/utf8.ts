// Strict UTF-8 checks for MQTT strings: well-formed RFC 3629, no surrogates, no U+0000; a BOM (U+FEFF) is kept as is.
// [MQTT-1.5.4-1] [MQTT-1.5.4-2] [MQTT-1.5.4-3] (5.0) / [MQTT-1.5.3-1] [MQTT-1.5.3-2] [MQTT-1.5.3-3] (3.1.1)

/** Result of a scan: OK, or the kind of problem at `utf8ErrorAt`. */
export const UTF8_OK = 0;
export const UTF8_INVALID = 1;
export const UTF8_NULL = 2;
export const UTF8_HAS_WILDCARD = 4;
export const UTF8_NON_ASCII = 8;

/** Offset (absolute in the buffer) of the last problem found by scanUtf8; valid only when a problem was returned. */
export let utf8ErrorAt = 0;

const HASH = 0x23;
const PLUS = 0x2b;

/**
 * Scans buf[start, end) and returns UTF8_INVALID or UTF8_NULL on a problem; otherwise UTF8_OK OR-ed with
 * UTF8_HAS_WILDCARD when a '#' or '+' was seen (those bytes never occur inside a multi-byte sequence, so a
 * byte scan is exact) and UTF8_NON_ASCII when a multi-byte sequence was seen.
 */
export function scanUtf8(buf: Buffer, start: number, end: number): number {
  let flags = UTF8_OK;
  let i = start;
  while (i < end) {
    const b = buf[i]!;
    if (b < 0x80) {
      if (b === 0) {
        utf8ErrorAt = i;
        return UTF8_NULL;
      }
      if (b === HASH || b === PLUS) flags |= UTF8_HAS_WILDCARD;
      i++;
      continue;
    }
    let need: number;
    let min: number;
    let cp: number;
    if (b >= 0xc2 && b <= 0xdf) {
      need = 1; min = 0x80; cp = b & 0x1f; flags |= UTF8_NON_ASCII;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2; min = 0x800; cp = b & 0x0f; flags |= UTF8_NON_ASCII;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3; min = 0x10000; cp = b & 0x07; flags |= UTF8_NON_ASCII;
    } else {
      utf8ErrorAt = i;
      return UTF8_INVALID;
    }
    if (i + need >= end) {
      // fewer continuation bytes left than the lead byte announces
      utf8ErrorAt = i;
      return UTF8_INVALID;
    }
    for (let k = 1; k <= need; k++) {
      const c = buf[i + k]!;
      if ((c & 0xc0) !== 0x80) {
        utf8ErrorAt = i;
        return UTF8_INVALID;
      }
      cp = (cp << 6) | (c & 0x3f);
    }
    // Over-long forms, surrogates and code points above U+10FFFF are ill-formed (RFC 3629).
    if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) {
      utf8ErrorAt = i;
      return UTF8_INVALID;
    }
    i += need + 1;
  }
  return flags;
}

/** True when `s` (a JS string) holds no lone surrogate and no U+0000, i.e. it encodes to valid MQTT UTF-8. */
export function isValidMqttString(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0) return false;
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return false;
    }
  }
  return true;
}

/** Strings up to this length are copied by a JS loop when ASCII: cheaper than a native call for short fields. */
const SHORT_STRING = 48;
const ASCII_LIMIT = 0x80;

/** Writes `s` as UTF-8 at `pos` (the caller sized the buffer) and returns the number of bytes written. */
export function writeUtf8(buf: Buffer, pos: number, s: string): number {
  const n = s.length;
  if (n <= SHORT_STRING) {
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= ASCII_LIMIT) break;
      buf[pos + i] = c;
    }
    if (i === n) return n;
  }
  return buf.write(s, pos);
}
