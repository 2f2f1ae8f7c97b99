// Reads pcap and pcapng captures record by record from a ByteSource, never holding more than one block.
import type { ByteSource } from './byte-source.js';
import { PCAP_MAGIC_MICRO, PCAP_MAGIC_NANO, BLOCK } from './capture-format.js';
import { readPcap } from './pcap-reader.js';
import { readPcapng } from './pcapng-reader.js';

/** One captured packet. `frame` is 1-based and counts every packet record, as Wireshark numbers frames. */
export interface CaptureRecord {
  kind: 'packet';
  frame: number;
  /** Seconds since the epoch, with fraction. */
  time: number;
  linkType: number;
  data: Buffer;
  /** Length on the wire; larger than data.length when the capture was cut by a snap length. */
  originalLength: number;
  interfaceId: number;
}

/** Key-log lines found in a pcapng Decryption Secrets Block. */
export interface CaptureSecrets {
  kind: 'secrets';
  keylog: string;
}

/** Something wrong with the capture file itself; reading stops after a fatal one. */
export interface CaptureProblem {
  kind: 'problem';
  code: 'TRUNCATED' | 'BAD_BLOCK_LENGTH' | 'BAD_MAGIC' | 'UNKNOWN_INTERFACE' | 'BAD_BLOCK';
  message: string;
  /** The frame number the next packet record would have had. */
  frame: number;
  fatal: boolean;
}

export type CaptureEvent = CaptureRecord | CaptureSecrets | CaptureProblem;

/** Detects pcap vs pcapng from the first four bytes and yields its records. */
export function* readCapture(source: ByteSource): Generator<CaptureEvent> {
  const head = source.read(4);
  if (head.length < 4) {
    yield { kind: 'problem', code: 'TRUNCATED', message: 'file shorter than a capture header', frame: 1, fatal: true };
    return;
  }
  const be = head.readUInt32BE(0);
  const le = head.readUInt32LE(0);
  if (be === BLOCK.sectionHeader) {
    yield* readPcapng(source, head);
  } else if (be === PCAP_MAGIC_MICRO || be === PCAP_MAGIC_NANO) {
    yield* readPcap(source, false, be === PCAP_MAGIC_NANO);
  } else if (le === PCAP_MAGIC_MICRO || le === PCAP_MAGIC_NANO) {
    yield* readPcap(source, true, le === PCAP_MAGIC_NANO);
  } else {
    yield {
      kind: 'problem',
      code: 'BAD_MAGIC',
      message: `not a pcap or pcapng file (magic 0x${be.toString(16).padStart(8, '0')})`,
      frame: 1,
      fatal: true,
    };
  }
}
