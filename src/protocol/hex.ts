// Hex text as people copy it from Wireshark, logs or docs: "100c0004...", "10 0c 00", "10:0c:00", "0x10 0x0c".
import { ProtocolError } from './errors.js';

/** Parses hex text into bytes; throws ProtocolError 'INVALID_HEX' with the offending position. */
export function parseHex(text: string): Buffer {
  const cleaned = text.replace(/0x/gi, ' ').replace(/[\s:,;-]+/g, ' ').trim();
  const tokens = cleaned.length === 0 ? [] : cleaned.split(' ');
  let digits = '';
  for (const t of tokens) {
    if (!/^[0-9a-fA-F]+$/.test(t)) {
      throw new ProtocolError('INVALID_HEX', 0, `"${t.length > 20 ? `${t.slice(0, 20)}...` : t}" is not hex`);
    }
    // a spaced-out token of one digit ("0x5") means one byte
    digits += t.length === 1 && tokens.length > 1 ? `0${t}` : t;
  }
  if (digits.length === 0) throw new ProtocolError('INVALID_HEX', 0, 'no hex digits given');
  if (digits.length % 2 !== 0) throw new ProtocolError('INVALID_HEX', 0, `odd number of hex digits (${digits.length})`);
  return Buffer.from(digits, 'hex');
}
