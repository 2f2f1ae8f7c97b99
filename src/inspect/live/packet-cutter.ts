// Cuts one direction of a live MQTT byte stream into whole packets and remembers which tagged chunks (WebSocket
// frames) carried each one. A trace that starts mid-connection waits for a chunk that begins with a plausible
// fixed header: socket reads of a quiet connection start at packet boundaries far more often than not.
import { MAX_PACKET_SIZE } from '../../protocol/index.js';
import { plausibleHeader, readFixedHeader } from '../mqtt-framer.js';

export interface CutterEvents<T> {
  packet(bytes: Buffer, tags: T[]): void;
  problem(code: 'MALFORMED_FIXED_HEADER' | 'PACKET_TOO_LARGE', message: string): void;
}

interface Part<T> {
  buf: Buffer;
  tag: T | undefined;
}

export class PacketCutter<T = never> {
  private parts: Part<T>[] = [];
  private have = 0;
  private need = 0;

  constructor(
    private readonly events: CutterEvents<T>,
    private synced = true,
    private readonly maxPacket = MAX_PACKET_SIZE,
  ) {}

  /** Forget the partial packet and wait for the next plausible packet start (after a problem). */
  lose(): void {
    this.parts = [];
    this.have = 0;
    this.need = 0;
    this.synced = false;
  }

  push(chunk: Buffer, tag?: T): void {
    if (chunk.length === 0) return;
    if (!this.synced) {
      if (!plausibleHeader(chunk[0]!)) return;
      this.synced = true;
    }
    this.parts.push({ buf: chunk, tag });
    this.have += chunk.length;
    if (this.have < this.need) return;
    this.cut();
  }

  private cut(): void {
    while (this.have > 0) {
      const head = this.parts.length === 1 ? this.parts[0]!.buf : this.flatHead();
      const h = readFixedHeader(head, 0);
      if (h === 'more') return;
      if (h === null) {
        this.events.problem('MALFORMED_FIXED_HEADER', 'Remaining Length longer than 4 bytes'); // [MQTT-1.5.5-1]
        return this.lose();
      }
      const size = h.headerLength + h.remaining;
      if (size > this.maxPacket) {
        this.events.problem('PACKET_TOO_LARGE', `packet of ${size} bytes is larger than ${this.maxPacket}`);
        return this.lose();
      }
      if (this.have < size) {
        this.need = size;
        return;
      }
      this.need = 0;
      const { bytes, tags } = this.take(size);
      this.events.packet(bytes, tags);
    }
  }

  /** The first parts joined, enough to read a fixed header (at most 5 bytes). */
  private flatHead(): Buffer {
    const out: Buffer[] = [];
    let n = 0;
    for (const p of this.parts) {
      out.push(p.buf);
      n += p.buf.length;
      if (n >= 5) break;
    }
    return Buffer.concat(out, n);
  }

  private take(size: number): { bytes: Buffer; tags: T[] } {
    const pieces: Buffer[] = [];
    const tags: T[] = [];
    let left = size;
    while (left > 0) {
      const p = this.parts[0]!;
      if (p.tag !== undefined && !tags.includes(p.tag)) tags.push(p.tag);
      if (p.buf.length <= left) {
        pieces.push(p.buf);
        left -= p.buf.length;
        this.parts.shift();
      } else {
        pieces.push(p.buf.subarray(0, left));
        p.buf = p.buf.subarray(left);
        left = 0;
      }
    }
    this.have -= size;
    // A copy: tap chunks belong to the socket and the event may outlive them.
    return { bytes: Buffer.from(pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces, size)), tags };
  }
}
