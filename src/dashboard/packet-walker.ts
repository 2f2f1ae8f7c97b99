// Finds MQTT packet boundaries in a byte stream without decoding anything: the fixed header's type nibble and
// Remaining Length are enough to skip from one packet to the next. The dashboard uses it to count packets and
// spot PINGREQ / PINGRESP per client while a Clients view is open.

const TYPE_SHIFT = 4;
const VARINT_CONTINUE = 0x80;
const VARINT_VALUE = 0x7f;
const VARINT_BASE = 128;
/** Remaining Length has at most four bytes [MQTT-1.5.5-1] / 2.2.3. */
const VARINT_MAX_MULTIPLIER = VARINT_BASE ** 4;

export class PacketWalker {
  private skip = 0;
  /** Type of the packet whose header is being read; -1 at a packet start. */
  private type = -1;
  private length = 0;
  private multiplier = 1;

  /**
   * Feeds the next chunk and returns how many fixed headers it completed; calls onWatched(type) only for packet
   * types whose bit is set in `watched` (1 << type), so the common packet costs no call. A walker attached in the
   * middle of a stream may start out of step: a header that cannot be one puts it back in step at the next chunk.
   */
  walk(chunk: Buffer, watched = 0, onWatched?: (type: number) => void): number {
    let packets = 0;
    let i = 0;
    while (i < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - i);
        this.skip -= n;
        i += n;
        continue;
      }
      if (this.type < 0) {
        this.type = chunk[i++]! >> TYPE_SHIFT;
        this.length = 0;
        this.multiplier = 1;
        if (this.type === 0) return this.resync(packets); // type 0 is reserved: we are not at a header
        continue;
      }
      const byte = chunk[i++]!;
      this.length += (byte & VARINT_VALUE) * this.multiplier;
      this.multiplier *= VARINT_BASE;
      if (byte & VARINT_CONTINUE) {
        if (this.multiplier >= VARINT_MAX_MULTIPLIER) return this.resync(packets);
        continue;
      }
      packets++;
      if (watched & (1 << this.type)) onWatched?.(this.type);
      this.skip = this.length;
      this.type = -1;
    }
    return packets;
  }

  private resync(packets: number): number {
    this.skip = 0;
    this.type = -1;
    return packets;
  }
}
