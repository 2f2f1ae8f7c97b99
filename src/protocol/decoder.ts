// Resumable streaming decoder: an explicit state machine over the fixed header, so any chunking of the byte
// stream yields the same packets. A packet wholly inside one chunk is decoded in place (its payload is a view
// into the chunk: safe because Node never reuses a socket chunk); only a packet spanning chunks is copied,
// once, into a buffer of exactly its body size.
import { PACKET_TYPE, ReasonCode } from './constants.js';
import { ProtocolError } from './errors.js';
import { TYPE_SHIFT, checkFirstByte, decodeBody } from './decode/index.js';
import type { Packet, ProtocolVersion } from './packets.js';
import { Reader } from './reader.js';
import { MAX_VARINT, MAX_VARINT_BYTES, VARINT_CONTINUATION, VARINT_VALUE_MASK } from './varint.js';

/** The largest packet MQTT can express: 1 type byte + 4 length bytes + the largest Remaining Length. */
export const MAX_PACKET_SIZE = 1 + MAX_VARINT_BYTES + MAX_VARINT;

/** Decoder states: waiting for a first byte, inside the Remaining Length varint, collecting the body. */
const State = { Header: 0, Length: 1, Body: 2 } as const;

export interface PacketDecoderOptions {
  /** Largest whole packet (fixed header included) accepted; larger declared lengths are rejected at once. */
  maxPacketSize?: number;
  /** Version for packets other than CONNECT; a CONNECT sets it from its level byte. */
  protocolVersion?: ProtocolVersion;
}

export class PacketDecoder {
  /** Set from CONNECT's level byte as soon as it is read (also when the rest of the CONNECT is malformed). */
  protocolVersion: ProtocolVersion;
  readonly maxPacketSize: number;
  private state: number = State.Header;
  private first = 0;
  private length = 0;
  private lengthBytes = 0;
  private multiplier = 1;
  /** Body of a packet that spans chunks; null while none is being collected. */
  private body: Buffer | null = null;
  private filled = 0;
  private readonly reader: Reader;

  constructor(opts: PacketDecoderOptions = {}) {
    this.maxPacketSize = opts.maxPacketSize ?? MAX_PACKET_SIZE;
    this.protocolVersion = opts.protocolVersion ?? 4;
    this.reader = new Reader(Buffer.alloc(0), 0, 0, 0, this.protocolVersion);
  }

  /** Bytes received but not yet handed out as packets. */
  get pending(): number {
    if (this.state === State.Header) return 0;
    return 1 + this.lengthBytes + this.filled;
  }

  /**
   * Feeds a chunk; calls onPacket for each complete packet in order. Throws ProtocolError on the first bad
   * packet. If onPacket throws, the exception propagates and the rest of this chunk is not decoded.
   */
  push(chunk: Buffer, onPacket: (packet: Packet) => void): void {
    const n = chunk.length;
    let pos = 0;
    while (pos < n) {
      if (this.state === State.Header) {
        const first = chunk[pos++]!;
        checkFirstByte(first, this.protocolVersion);
        this.first = first;
        this.length = 0;
        this.lengthBytes = 0;
        this.multiplier = 1;
        this.state = State.Length;
      }
      if (this.state === State.Length) {
        while (pos < n) {
          const b = chunk[pos++]!;
          this.lengthBytes++;
          this.length += (b & VARINT_VALUE_MASK) * this.multiplier;
          if ((b & VARINT_CONTINUATION) === 0) {
            if (b === 0 && this.lengthBytes > 1 && this.protocolVersion === 5) {
              this.fail(new ProtocolError('MALFORMED_REMAINING_LENGTH', ReasonCode.MalformedPacket,
                'Remaining Length is not minimally encoded', 1)); // 5.0 [MQTT-1.5.5-1]
            }
            this.state = State.Body;
            break;
          }
          if (this.lengthBytes === MAX_VARINT_BYTES) {
            this.fail(new ProtocolError('MALFORMED_REMAINING_LENGTH', ReasonCode.MalformedPacket,
              'Remaining Length is longer than 4 bytes', 1));
          }
          this.multiplier *= 128;
        }
        if (this.state !== State.Body) return;
        const total = 1 + this.lengthBytes + this.length;
        if (total > this.maxPacketSize) {
          // rejected before any body byte is buffered (5.0 [MQTT-3.2.2-15] / 3.1.2.11.4: DISCONNECT 0x95)
          this.fail(new ProtocolError('PACKET_TOO_LARGE', ReasonCode.PacketTooLarge,
            `packet of ${total} bytes exceeds the maximum packet size ${this.maxPacketSize}`, 1));
        }
      }
      // State.Body
      const headerLength = 1 + this.lengthBytes;
      if (this.body === null) {
        if (n - pos >= this.length) {
          const end = pos + this.length;
          const packet = this.decode(chunk, pos, end, pos - headerLength);
          pos = end;
          onPacket(packet);
          continue;
        }
        if (pos === n) return; // wait: the next chunk may hold the whole body, to decode in place
        this.body = Buffer.allocUnsafe(this.length);
        this.filled = chunk.copy(this.body, 0, pos);
        return;
      }
      const take = Math.min(this.length - this.filled, n - pos);
      chunk.copy(this.body, this.filled, pos, pos + take);
      this.filled += take;
      pos += take;
      if (this.filled < this.length) return;
      const body = this.body;
      this.body = null;
      this.filled = 0;
      onPacket(this.decode(body, 0, body.length, -headerLength));
    }
  }

  /** Resets to expect a new packet (e.g. after an error, if the caller wants to go on). */
  reset(): void {
    this.state = State.Header;
    this.body = null;
    this.filled = 0;
  }

  private fail(err: ProtocolError): never {
    this.reset();
    throw err;
  }

  private decode(buf: Buffer, start: number, end: number, base: number): Packet {
    const r = this.reader;
    r.buf = buf;
    r.pos = start;
    r.end = end;
    r.base = base;
    r.version = this.protocolVersion;
    this.state = State.Header; // before decoding, so a throwing decode or callback leaves a consistent state
    try {
      return decodeBody(r, this.first);
    } finally {
      if (this.first >> TYPE_SHIFT === PACKET_TYPE.connect) this.protocolVersion = r.version;
      r.buf = EMPTY; // do not keep the chunk alive
    }
  }
}

const EMPTY = Buffer.alloc(0);
