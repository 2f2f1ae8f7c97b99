// The dissector: the decoder run with a Recorder attached, so every field comes back with its byte span.
// A malformed packet still yields the fields read before the bad one, plus the error and its offset.
import { readFixedHeader } from './decode/index.js';
import { decodeFrame } from './decode.js';
import { Recorder, markError, type DissectOptions, type Dissection } from './dissection.js';
import { ProtocolError } from './errors.js';
import type { ProtocolVersion } from './packets.js';
import { Reader } from './reader.js';

export function dissectPacket(bytes: Buffer, version: ProtocolVersion = 4, opts: DissectOptions = {}): Dissection {
  const showSecrets = opts.showSecrets === true;
  const rec = new Recorder(showSecrets);
  const r = new Reader(bytes, 0, bytes.length, 0, version, rec);
  const d: Dissection = { fields: rec.fields, bytes, protocolVersion: version, showSecrets };
  try {
    d.packet = decodeFrame(r);
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    rec.closeAll(r.off(), err.message);
    markError(rec.fields, err.offset ?? r.off(), err.message);
    d.error = err;
  }
  d.protocolVersion = r.version;
  return d;
}

/**
 * Dissects several packets laid end to end (as copied from a capture). A CONNECT's level applies to the
 * packets after it. Stops after the first packet that cannot be decoded.
 */
export function dissectPackets(bytes: Buffer, version: ProtocolVersion = 4, opts: DissectOptions = {}): Dissection[] {
  const out: Dissection[] = [];
  let pos = 0;
  let v = version;
  while (pos < bytes.length) {
    const size = packetSize(bytes, pos, v);
    const slice = size === null ? bytes.subarray(pos) : bytes.subarray(pos, pos + size);
    const d = dissectPacket(slice, v, opts);
    out.push(d);
    if (d.error) break;
    v = d.protocolVersion;
    pos += slice.length;
  }
  return out;
}

/** Whole size of the packet starting at `pos`, or null when its header is bad or it runs past the end. */
function packetSize(bytes: Buffer, pos: number, version: ProtocolVersion): number | null {
  const r = new Reader(bytes, pos, bytes.length, pos, version);
  try {
    const { remainingLength, headerLength } = readFixedHeader(r);
    const size = headerLength + remainingLength;
    return pos + size <= bytes.length ? size : null;
  } catch {
    return null;
  }
}
