// pcapng: sections in either byte order, several interfaces each with its own link type and timestamp
// resolution, enhanced/simple/obsolete packet blocks, and Decryption Secrets Blocks carrying TLS key logs.
import type { ByteSource } from './byte-source.js';
import type { CaptureEvent } from './capture-reader.js';
import {
  BLOCK, BLOCK_OVERHEAD, MAX_BLOCK_LENGTH, OPTION, PCAPNG_BYTE_ORDER_MAGIC, SECRETS_TYPE_TLS_KEYLOG,
} from './capture-format.js';

interface Interface {
  linkType: number;
  snapLength: number;
  unitsPerSecond: number;
  offsetSeconds: number;
}

const DEFAULT_UNITS_PER_SECOND = 1e6;
const TWO_POW_32 = 4294967296;

class Section {
  interfaces: Interface[] = [];
  constructor(readonly littleEndian: boolean) {}
  u16(b: Buffer, o: number): number {
    return this.littleEndian ? b.readUInt16LE(o) : b.readUInt16BE(o);
  }
  u32(b: Buffer, o: number): number {
    return this.littleEndian ? b.readUInt32LE(o) : b.readUInt32BE(o);
  }
}

/** Option list of an IDB: walks (code, length, value padded to 4) until opt_endofopt or the end. */
function parseInterface(section: Section, body: Buffer): Interface {
  const iface: Interface = {
    linkType: section.u16(body, 0),
    snapLength: section.u32(body, 4),
    unitsPerSecond: DEFAULT_UNITS_PER_SECOND,
    offsetSeconds: 0,
  };
  let o = 8;
  while (o + 4 <= body.length) {
    const code = section.u16(body, o);
    const len = section.u16(body, o + 2);
    if (code === OPTION.endOfOptions || o + 4 + len > body.length) break;
    const value = body.subarray(o + 4, o + 4 + len);
    if (code === OPTION.ifTsresol && len >= 1) {
      const v = value[0]!;
      // MSB clear: a negative power of 10; set: a negative power of 2.
      iface.unitsPerSecond = v & 0x80 ? 2 ** (v & 0x7f) : 10 ** v;
    } else if (code === OPTION.ifTsoffset && len >= 8) {
      iface.offsetSeconds = Number(section.littleEndian ? value.readBigInt64LE(0) : value.readBigInt64BE(0));
    }
    o += 4 + ((len + 3) & ~3);
  }
  return iface;
}

function timestamp(iface: Interface, high: number, low: number): number {
  const units = high * TWO_POW_32 + low;
  if (Number.isSafeInteger(units)) return units / iface.unitsPerSecond + iface.offsetSeconds;
  // Nanosecond clocks exceed 2^53: split whole seconds off exactly before going to floating point.
  const big = (BigInt(high) << 32n) | BigInt(low);
  const per = BigInt(Math.round(iface.unitsPerSecond));
  return Number(big / per) + Number(big % per) / iface.unitsPerSecond + iface.offsetSeconds;
}

/** Called after the first 4 bytes (the SHB block type) were read. */
export function* readPcapng(source: ByteSource, firstType: Buffer): Generator<CaptureEvent> {
  let section: Section | undefined;
  let frame = 0;
  let typeBytes: Buffer | undefined = firstType;
  const problem = (code: 'TRUNCATED' | 'BAD_BLOCK_LENGTH' | 'UNKNOWN_INTERFACE' | 'BAD_BLOCK', message: string, fatal: boolean): CaptureEvent => ({
    kind: 'problem', code, message, frame: frame + 1, fatal,
  });

  while (true) {
    const head = typeBytes ?? source.read(4);
    typeBytes = undefined;
    if (head.length === 0) return;
    const lenAndMore = source.read(4);
    if (head.length < 4 || lenAndMore.length < 4) {
      yield problem('TRUNCATED', 'block header cut short at end of file', true);
      return;
    }
    const rawType = head.readUInt32BE(0);
    let blockLength: number;
    let bodyPrefix: Buffer = Buffer.alloc(0);
    if (rawType === BLOCK.sectionHeader) {
      const bom = source.read(4);
      if (bom.length < 4) {
        yield problem('TRUNCATED', 'section header cut short', true);
        return;
      }
      const le = bom.readUInt32LE(0) === PCAPNG_BYTE_ORDER_MAGIC;
      if (!le && bom.readUInt32BE(0) !== PCAPNG_BYTE_ORDER_MAGIC) {
        yield problem('BAD_BLOCK', 'section header with an unknown byte-order magic', true);
        return;
      }
      section = new Section(le);
      bodyPrefix = bom;
      blockLength = section.u32(lenAndMore, 0);
    } else if (!section) {
      yield problem('BAD_BLOCK', 'pcapng data before any section header', true);
      return;
    } else {
      blockLength = section.u32(lenAndMore, 0);
    }
    if (blockLength < BLOCK_OVERHEAD + bodyPrefix.length || blockLength % 4 !== 0 || blockLength > MAX_BLOCK_LENGTH) {
      yield problem('BAD_BLOCK_LENGTH', `block of type 0x${rawType.toString(16)} has impossible length ${blockLength}`, true);
      return;
    }
    const restLength = blockLength - 8 - bodyPrefix.length;
    const rest = source.read(restLength);
    if (rest.length < restLength) {
      yield problem('TRUNCATED', `last block cut short (${rest.length + 8} of ${blockLength} bytes)`, true);
      return;
    }
    const body = bodyPrefix.length ? Buffer.concat([bodyPrefix, rest.subarray(0, rest.length - 4)]) : rest.subarray(0, rest.length - 4);
    if (section.u32(rest, rest.length - 4) !== blockLength) {
      yield problem('BAD_BLOCK_LENGTH', `block of type 0x${rawType.toString(16)}: trailing length differs from leading length`, true);
      return;
    }
    const type = section.littleEndian ? head.readUInt32LE(0) : rawType;
    yield* handleBlock(section, type, body);
  }

  function* handleBlock(sec: Section, type: number, body: Buffer): Generator<CaptureEvent> {
    switch (type) {
      case BLOCK.sectionHeader:
        return;
      case BLOCK.interfaceDescription:
        if (body.length < 8) yield problem('BAD_BLOCK', 'interface description block too short', false);
        else sec.interfaces.push(parseInterface(sec, body));
        return;
      case BLOCK.enhancedPacket:
      case BLOCK.obsoletePacket: {
        const epb = type === BLOCK.enhancedPacket;
        const fixed = 20;
        if (body.length < fixed) {
          frame++;
          yield problem('BAD_BLOCK', `packet block ${frame} too short`, false);
          return;
        }
        const ifId = epb ? sec.u32(body, 0) : sec.u16(body, 0);
        const captured = sec.u32(body, 12);
        const original = sec.u32(body, 16);
        frame++;
        const iface = sec.interfaces[ifId];
        if (!iface) {
          yield { kind: 'problem', code: 'UNKNOWN_INTERFACE', message: `frame ${frame}: interface ${ifId} was never described`, frame, fatal: false };
          return;
        }
        if (fixed + captured > body.length) {
          yield { kind: 'problem', code: 'BAD_BLOCK', message: `frame ${frame}: captured length ${captured} exceeds its block`, frame, fatal: false };
          return;
        }
        yield {
          kind: 'packet', frame, time: timestamp(iface, sec.u32(body, 4), sec.u32(body, 8)), linkType: iface.linkType,
          data: body.subarray(fixed, fixed + captured), originalLength: original, interfaceId: ifId,
        };
        return;
      }
      case BLOCK.simplePacket: {
        frame++;
        const iface = sec.interfaces[0];
        if (!iface || body.length < 4) {
          yield { kind: 'problem', code: 'UNKNOWN_INTERFACE', message: `frame ${frame}: simple packet block without interface 0`, frame, fatal: false };
          return;
        }
        const original = sec.u32(body, 0);
        let captured = Math.min(original, body.length - 4);
        if (iface.snapLength > 0) captured = Math.min(captured, iface.snapLength);
        // A simple packet block has no timestamp.
        yield { kind: 'packet', frame, time: 0, linkType: iface.linkType, data: body.subarray(4, 4 + captured), originalLength: original, interfaceId: 0 };
        return;
      }
      case BLOCK.decryptionSecrets: {
        if (body.length < 8) {
          yield problem('BAD_BLOCK', 'decryption secrets block too short', false);
          return;
        }
        const secretsType = sec.u32(body, 0);
        const len = Math.min(sec.u32(body, 4), body.length - 8);
        if (secretsType === SECRETS_TYPE_TLS_KEYLOG) yield { kind: 'secrets', keylog: body.subarray(8, 8 + len).toString('utf8') };
        return;
      }
      default:
        return;
    }
  }
}
