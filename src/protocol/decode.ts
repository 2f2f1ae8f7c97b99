// Decoding one whole packet from a buffer (the stream decoder in decoder.ts handles chunked input).
import { malformed } from './errors.js';
import { decodeBody, readFixedHeader } from './decode/index.js';
import type { Packet, ProtocolVersion } from './packets.js';
import { Reader } from './reader.js';

/**
 * Decodes exactly one packet. `version` applies to packets other than CONNECT (which carries its own level).
 * Binary fields and the payload are views into `bytes`, not copies.
 */
export function decodePacket(bytes: Buffer, version: ProtocolVersion = 4): Packet {
  return decodeFrame(new Reader(bytes, 0, bytes.length, 0, version));
}

/**
 * Decodes the packet filling r[pos, end): fixed header, body, then checks the Remaining Length against the
 * bytes given. A short buffer is decoded as far as it goes first, so a field error inside it wins over
 * TRUNCATED, exactly as the dissector (which calls this with a recording Reader) reports it.
 */
export function decodeFrame(r: Reader): Packet {
  const bytesEnd = r.end;
  const { first, remainingLength } = readFixedHeader(r);
  const end = r.pos + remainingLength;
  r.end = Math.min(end, bytesEnd);
  const packet = decodeBody(r, first);
  if (end > bytesEnd) {
    throw malformed('TRUNCATED',
      `Remaining Length ${remainingLength} but only ${bytesEnd - (end - remainingLength)} byte(s) follow the fixed header`, r.off(bytesEnd));
  }
  if (end < bytesEnd) {
    r.fail(malformed('TRAILING_BYTES', `${bytesEnd - end} byte(s) after the end of the packet`, r.off(end)),
      'Unexpected bytes', end, bytesEnd - end);
  }
  return packet;
}
