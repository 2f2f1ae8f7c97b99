// Classic libpcap files: either byte order, micro- or nanosecond timestamps.
import type { ByteSource } from './byte-source.js';
import type { CaptureEvent } from './capture-reader.js';
import { PCAP_HEADER_LENGTH, PCAP_RECORD_HEADER_LENGTH, PCAP_LINKTYPE_MASK, MAX_BLOCK_LENGTH } from './capture-format.js';

/** Called after the 4 magic bytes were read. */
export function* readPcap(source: ByteSource, littleEndian: boolean, nanos: boolean): Generator<CaptureEvent> {
  const rest = source.read(PCAP_HEADER_LENGTH - 4);
  if (rest.length < PCAP_HEADER_LENGTH - 4) {
    yield { kind: 'problem', code: 'TRUNCATED', message: 'pcap file header cut short', frame: 1, fatal: true };
    return;
  }
  const u32 = (b: Buffer, o: number): number => (littleEndian ? b.readUInt32LE(o) : b.readUInt32BE(o));
  // Offsets below are relative to byte 4 of the file (the magic was consumed by the caller).
  const linkType = u32(rest, 16) & PCAP_LINKTYPE_MASK;
  const divisor = nanos ? 1e9 : 1e6;
  let frame = 0;
  while (true) {
    const hdr = source.read(PCAP_RECORD_HEADER_LENGTH);
    if (hdr.length === 0) return;
    if (hdr.length < PCAP_RECORD_HEADER_LENGTH) {
      yield { kind: 'problem', code: 'TRUNCATED', message: 'record header cut short at end of file', frame: frame + 1, fatal: true };
      return;
    }
    const seconds = u32(hdr, 0);
    const fraction = u32(hdr, 4);
    const captured = u32(hdr, 8);
    const original = u32(hdr, 12);
    if (captured > MAX_BLOCK_LENGTH) {
      yield {
        kind: 'problem', code: 'BAD_BLOCK_LENGTH', message: `record claims ${captured} captured bytes`, frame: frame + 1, fatal: true,
      };
      return;
    }
    const data = source.read(captured);
    frame++;
    if (data.length < captured) {
      yield { kind: 'problem', code: 'TRUNCATED', message: `record ${frame} cut short (${data.length} of ${captured} bytes)`, frame, fatal: true };
      return;
    }
    yield { kind: 'packet', frame, time: seconds + fraction / divisor, linkType, data, originalLength: original, interfaceId: 0 };
  }
}
