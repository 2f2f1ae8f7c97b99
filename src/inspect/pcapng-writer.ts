// Writes pcapng (little-endian, one section): interfaces, enhanced packet blocks with microsecond timestamps,
// and Decryption Secrets Blocks carrying TLS key-log lines so Wireshark decrypts with no setting.
import { BLOCK, OPTION, PCAPNG_BYTE_ORDER_MAGIC, SECRETS_TYPE_TLS_KEYLOG } from './capture-format.js';

const PCAPNG_MAJOR = 1;
const PCAPNG_MINOR = 0;
const OPTION_SHB_USERAPPL = 4;
const OPTION_IF_NAME = 2;
/** if_tsresol value 6: timestamps in microseconds. */
const TSRESOL_MICROSECONDS = 6;
const MICROS_PER_MS = 1000;
const TWO_POW_32 = 4294967296;

function pad4(n: number): number {
  return (n + 3) & ~3;
}

function option(code: number, value: Buffer): Buffer {
  const b = Buffer.alloc(4 + pad4(value.length));
  b.writeUInt16LE(code, 0);
  b.writeUInt16LE(value.length, 2);
  value.copy(b, 4);
  return b;
}

const END_OF_OPTIONS = Buffer.alloc(4); // opt_endofopt: code 0, length 0

function block(type: number, body: Buffer[]): Buffer {
  const bodyLength = body.reduce((s, b) => s + b.length, 0);
  const total = 12 + pad4(bodyLength);
  const out = Buffer.alloc(total);
  out.writeUInt32LE(type, 0);
  out.writeUInt32LE(total, 4);
  let o = 8;
  for (const b of body) {
    b.copy(out, o);
    o += b.length;
  }
  out.writeUInt32LE(total, total - 4);
  return out;
}

export interface InterfaceOptions {
  name?: string;
  /** 0 = no limit. */
  snapLength?: number;
}

export class PcapngWriter {
  private interfaces = 0;

  /** `write` receives whole blocks, in file order (e.g. fs.writeSync on an open file, or an array in tests). */
  constructor(
    private readonly write: (block: Buffer) => void,
    application = 'glassmq',
  ) {
    const head = Buffer.alloc(16);
    head.writeUInt32LE(PCAPNG_BYTE_ORDER_MAGIC, 0);
    head.writeUInt16LE(PCAPNG_MAJOR, 4);
    head.writeUInt16LE(PCAPNG_MINOR, 6);
    head.writeBigInt64LE(-1n, 8); // section length unknown: we stream
    this.write(block(BLOCK.sectionHeader, [head, option(OPTION_SHB_USERAPPL, Buffer.from(application)), END_OF_OPTIONS]));
  }

  /** Describes an interface; returns its id for packet(). */
  addInterface(linkType: number, opts: InterfaceOptions = {}): number {
    const head = Buffer.alloc(8);
    head.writeUInt16LE(linkType, 0);
    head.writeUInt32LE(opts.snapLength ?? 0, 4);
    const options = [option(OPTION.ifTsresol, Buffer.from([TSRESOL_MICROSECONDS]))];
    if (opts.name) options.unshift(option(OPTION_IF_NAME, Buffer.from(opts.name)));
    this.write(block(BLOCK.interfaceDescription, [head, ...options, END_OF_OPTIONS]));
    return this.interfaces++;
  }

  /** One packet; `timeMs` is milliseconds since the epoch (fractions kept to the microsecond). */
  packet(interfaceId: number, timeMs: number, data: Buffer, originalLength = data.length): void {
    const micros = Math.round(timeMs * MICROS_PER_MS);
    const head = Buffer.alloc(20);
    head.writeUInt32LE(interfaceId, 0);
    head.writeUInt32LE(Math.floor(micros / TWO_POW_32), 4);
    head.writeUInt32LE(micros % TWO_POW_32, 8);
    head.writeUInt32LE(data.length, 12);
    head.writeUInt32LE(originalLength, 16);
    this.write(block(BLOCK.enhancedPacket, [head, data]));
  }

  /** NSS key-log lines, for TLS sessions whose packets follow. */
  secrets(keylog: string): void {
    const data = Buffer.from(keylog.endsWith('\n') ? keylog : `${keylog}\n`);
    const head = Buffer.alloc(8);
    head.writeUInt32LE(SECRETS_TYPE_TLS_KEYLOG, 0);
    head.writeUInt32LE(data.length, 4);
    this.write(block(BLOCK.decryptionSecrets, [head, data]));
  }
}
