// Cuts one direction's MQTT byte stream into whole control packets, whatever the split of the bytes
// (a Remaining Length may be cut anywhere), and finds its way back to a packet boundary after a gap.
import { PACKET_TYPE, REQUIRED_FLAGS, decodePacket, type ProtocolVersion } from '../protocol/index.js';

const RESYNC_VERSIONS: readonly ProtocolVersion[] = [4, 5];

const MAX_VARINT_BYTES = 4;
/** While resynchronising, a candidate packet longer than this is not believed. */
const RESYNC_MAX_REMAINING = 1 << 20;
/** Bytes scanned without finding a boundary before giving the rest of the direction up. */
const RESYNC_GIVE_UP_BYTES = 4 << 20;

export interface FramerEvents {
  packet(bytes: Buffer): void;
  /** The stream is not MQTT here: `skipped` bytes were dropped while looking for the next packet. */
  problem(code: 'MALFORMED_FIXED_HEADER' | 'RESYNC' | 'UNREADABLE' | 'PACKET_TOO_LARGE', message: string): void;
}

/** Header byte plausible for some MQTT packet: a known type with the flags the spec fixes. */
export function plausibleHeader(byte: number): boolean {
  const type = byte >> 4;
  if (type === 0) return false;
  if (type === PACKET_TYPE.publish) return ((byte >> 1) & 3) !== 3; // [MQTT-3.3.1-4] QoS 3 is malformed
  return (byte & 0x0f) === REQUIRED_FLAGS[type];
}

/** Fixed header at `o`: its length and the Remaining Length; 'more' if the buffer ends inside it; null if invalid. */
export function readFixedHeader(b: Buffer, o: number): { headerLength: number; remaining: number } | 'more' | null {
  let value = 0;
  let mult = 1;
  for (let i = 1; i <= MAX_VARINT_BYTES; i++) {
    if (o + i >= b.length) return 'more';
    const byte = b[o + i]!;
    value += (byte & 0x7f) * mult;
    if ((byte & 0x80) === 0) {
      // A non-minimal encoding (a trailing 0x00 continuation) is still decodable; the dissector flags it.
      return { headerLength: 1 + i, remaining: value };
    }
    mult *= 128;
  }
  return null; // [MQTT-1.5.5-1] at most four bytes
}

export class MqttFramer {
  private parts: Buffer[] = [];
  private have = 0;
  private need = 0;
  private resyncing = false;
  private scanned = 0;
  private skipLeft = 0;
  private dead = false;

  constructor(
    private readonly events: FramerEvents,
    private readonly maxPacketBytes = 64 << 20,
  ) {}

  /** Start mid-stream (capture began after the connection did, or forced with --port): find a boundary first. */
  startResyncing(): void {
    this.resyncing = true;
  }

  push(chunk: Buffer): void {
    if (this.dead || chunk.length === 0) return;
    if (this.skipLeft > 0) {
      const n = Math.min(this.skipLeft, chunk.length);
      this.skipLeft -= n;
      chunk = chunk.subarray(n);
      if (chunk.length === 0) return;
    }
    this.parts.push(chunk);
    this.have += chunk.length;
    if (this.have < this.need) return;
    this.run();
  }

  gap(bytes: number): void {
    if (this.dead) return;
    if (this.skipLeft > 0) {
      // The gap falls inside a packet we were skipping anyway.
      const n = Math.min(this.skipLeft, bytes);
      this.skipLeft -= n;
      bytes -= n;
      if (bytes === 0) return;
    }
    this.parts = [];
    this.have = 0;
    this.need = 0;
    this.resyncing = true;
    this.scanned = 0;
  }

  /** Bytes left that never made a whole packet (reported by the caller at end of stream). */
  end(): number {
    const left = this.have;
    this.parts = [];
    this.have = 0;
    return left;
  }

  private flat(): Buffer {
    if (this.parts.length !== 1) this.parts = [this.parts.length === 0 ? Buffer.alloc(0) : Buffer.concat(this.parts, this.have)];
    return this.parts[0]!;
  }

  private run(): void {
    const buf = this.flat();
    let o = 0;
    this.need = 0;
    while (o < buf.length) {
      if (this.resyncing) {
        const found = this.findBoundary(buf, o);
        this.scanned += found.offset - o;
        o = found.offset;
        if (!found.sure) break;
        if (this.scanned > 0) this.events.problem('RESYNC', `skipped ${this.scanned} bytes to reach the next plausible MQTT packet`);
        this.resyncing = false;
        this.scanned = 0;
      }
      const hdr = readFixedHeader(buf, o);
      if (hdr === 'more') break;
      if (hdr === null || !plausibleHeader(buf[o]!)) {
        this.events.problem('MALFORMED_FIXED_HEADER', `byte 0x${buf[o]!.toString(16).padStart(2, '0')} does not start an MQTT packet`);
        this.resyncing = true;
        o++;
        this.scanned = 1;
        continue;
      }
      const total = hdr.headerLength + hdr.remaining;
      if (total > this.maxPacketBytes) {
        this.events.problem('PACKET_TOO_LARGE', `packet of ${total} bytes exceeds the inspector's ${this.maxPacketBytes}-byte buffer; skipped`);
        const inBuf = Math.min(total, buf.length - o);
        this.skipLeft = total - inBuf;
        o += inBuf;
        continue;
      }
      if (o + total > buf.length) {
        this.need = total;
        break;
      }
      this.events.packet(buf.subarray(o, o + total));
      o += total;
    }
    // Copy the leftover so a partial packet does not pin the whole capture chunk.
    const rest = buf.subarray(o);
    this.parts = rest.length ? [Buffer.from(rest)] : [];
    this.have = rest.length;
    if (this.resyncing && this.scanned + this.have > RESYNC_GIVE_UP_BYTES) {
      this.events.problem('UNREADABLE', `no MQTT packet boundary found in ${RESYNC_GIVE_UP_BYTES} bytes; the rest of this direction is unreadable`);
      this.dead = true;
      this.parts = [];
      this.have = 0;
    }
  }

  /**
   * First offset at or after `from` where a packet plausibly starts: a valid header whose packet decodes and
   * either ends exactly at the end of the data so far or is followed by another valid header. A candidate
   * whose packet runs past the data so far is kept in reserve: a later candidate that proves itself wins.
   * `sure` is false when only such a reserve (or nothing) was found.
   */
  private findBoundary(b: Buffer, from: number): { offset: number; sure: boolean } {
    let reserve = -1;
    for (let o = from; o < b.length; o++) {
      if (!plausibleHeader(b[o]!)) continue;
      const h = readFixedHeader(b, o);
      if (h === 'more') {
        if (reserve < 0) reserve = o;
        break;
      }
      if (h === null || h.remaining > RESYNC_MAX_REMAINING) continue;
      const end = o + h.headerLength + h.remaining;
      if (end > b.length) {
        if (reserve < 0) reserve = o;
        continue;
      }
      if (!decodes(b.subarray(o, end))) continue;
      if (end === b.length) return { offset: o, sure: true };
      if (!plausibleHeader(b[end]!) || readFixedHeader(b, end) === null) continue;
      return { offset: o, sure: true };
    }
    return { offset: reserve < 0 ? b.length : reserve, sure: false };
  }
}

/** Whether some MQTT version decodes these bytes as one valid packet. */
function decodes(bytes: Buffer): boolean {
  for (const version of RESYNC_VERSIONS) {
    try {
      decodePacket(bytes, version);
      return true;
    } catch {
      // try the next version
    }
  }
  return false;
}
