// IPv4 fragment reassembly (RFC 791 section 3.2), bounded: a datagram whose fragments never all arrive is
// dropped when newer ones push it out.

const MAX_DATAGRAMS = 256;
const MAX_DATAGRAM_BYTES = 65535;
const FRAGMENT_UNIT = 8;
const MORE_FRAGMENTS = 0x2000;
const OFFSET_MASK = 0x1fff;

interface Datagram {
  header: Buffer | undefined;
  parts: { offset: number; data: Buffer }[];
  total: number | undefined;
}

export class Ipv4Reassembler {
  private readonly pending = new Map<string, Datagram>();

  /** Adds one fragment (the IPv4 packet from its header on); returns the whole datagram once complete. */
  add(ip: Buffer): Buffer | undefined {
    const ihl = (ip[0]! & 0x0f) * 4;
    const field = ip.readUInt16BE(6);
    const offset = (field & OFFSET_MASK) * FRAGMENT_UNIT;
    const data = Buffer.from(ip.subarray(ihl, Math.min(ip.length, ip.readUInt16BE(2))));
    if (offset + data.length > MAX_DATAGRAM_BYTES) return undefined;
    // Source, destination, protocol and identification name the datagram.
    const key = `${ip.readUInt32BE(12)}|${ip.readUInt32BE(16)}|${ip[9]}|${ip.readUInt16BE(4)}`;
    let d = this.pending.get(key);
    if (!d) {
      if (this.pending.size >= MAX_DATAGRAMS) this.pending.delete(this.pending.keys().next().value!);
      d = { header: undefined, parts: [], total: undefined };
      this.pending.set(key, d);
    }
    if (offset === 0) d.header = Buffer.from(ip.subarray(0, ihl));
    if (!(field & MORE_FRAGMENTS)) d.total = offset + data.length;
    d.parts.push({ offset, data });
    if (d.header === undefined || d.total === undefined) return undefined;
    d.parts.sort((a, b) => a.offset - b.offset);
    let covered = 0;
    for (const p of d.parts) {
      if (p.offset > covered) return undefined; // a hole remains
      covered = Math.max(covered, p.offset + p.data.length);
    }
    if (covered < d.total) return undefined;
    this.pending.delete(key);
    const whole = Buffer.alloc(d.header.length + d.total);
    d.header.copy(whole, 0);
    for (const p of d.parts) p.data.copy(whole, d.header.length + p.offset, 0, Math.min(p.data.length, d.total - p.offset));
    whole.writeUInt16BE(whole.length, 2);
    whole.writeUInt16BE(0, 6); // no longer a fragment
    return whole;
  }
}
