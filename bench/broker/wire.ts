// Pre-encoded MQTT 3.1.1 packets and a minimal frame scanner for the load generator: the generator
// must cost far less CPU than the broker it measures, so it never parses more than the fixed header.
const CONNECT = 0x10;
const PUBLISH = 0x30;
const PUBACK = 0x40;
const SUBSCRIBE = 0x82;
const PINGREQ = 0xc0;
const QOS1 = 0x02;
const LEVEL_311 = 4;
const CLEAN_SESSION = 0x02;

function varint(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

function str(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
}

function frame(first: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([first, ...varint(body.length)]), body]);
}

export function connectPacket(clientId: string, keepalive = 0): Buffer {
  return frame(CONNECT, Buffer.concat([str('MQTT'), Buffer.from([LEVEL_311, CLEAN_SESSION, keepalive >> 8, keepalive & 0xff]), str(clientId)]));
}

export function subscribePacket(filter: string, qos: number, packetId = 1): Buffer {
  return frame(SUBSCRIBE, Buffer.concat([Buffer.from([packetId >> 8, packetId & 0xff]), str(filter), Buffer.from([qos])]));
}

export function publishPacket(topic: string, payload: Buffer, qos = 0, packetId = 1): Buffer {
  const id = qos > 0 ? Buffer.from([packetId >> 8, packetId & 0xff]) : Buffer.alloc(0);
  return frame(PUBLISH | (qos > 0 ? QOS1 : 0), Buffer.concat([str(topic), id, payload]));
}

export const PINGREQ_BYTES = Buffer.from([PINGREQ, 0]);

/** Byte offset of the packet id inside a QoS 1 PUBLISH built by publishPacket (for in-place rewrites). */
export function packetIdOffset(packet: Buffer): number {
  let i = 1;
  while (packet[i]! & 0x80) i++;
  const topicLen = packet.readUInt16BE(i + 1);
  return i + 1 + 2 + topicLen;
}

export const TYPE_PUBLISH = PUBLISH >> 4;
export const TYPE_PUBACK = PUBACK >> 4;
export const TYPE_CONNACK = 2;
export const TYPE_SUBACK = 9;
export const TYPE_PINGRESP = 13;

/**
 * Streams packets out of TCP chunks without copying unless a packet straddles chunks; calls
 * onPacket(type, flags, buf, bodyStart, end) for each complete packet.
 */
export class FrameScanner {
  private rest: Buffer | null = null;
  constructor(private readonly onPacket: (type: number, flags: number, buf: Buffer, bodyStart: number, end: number) => void) {}

  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.rest) {
      buf = Buffer.concat([this.rest, chunk]);
      this.rest = null;
    }
    let pos = 0;
    const n = buf.length;
    while (pos < n) {
      if (pos + 2 > n) break;
      let len = 0;
      let mult = 1;
      let i = pos + 1;
      let done = false;
      for (; i < n && i < pos + 5; i++) {
        const b = buf[i]!;
        len += (b & 0x7f) * mult;
        mult *= 128;
        if ((b & 0x80) === 0) {
          done = true;
          break;
        }
      }
      if (!done) break;
      const end = i + 1 + len;
      if (end > n) break;
      this.onPacket(buf[pos]! >> 4, buf[pos]! & 0x0f, buf, i + 1, end);
      pos = end;
    }
    if (pos < n) this.rest = Buffer.from(buf.subarray(pos));
  }
}

export function pubackFor(buf: Buffer, bodyStart: number): Buffer {
  const topicLen = buf.readUInt16BE(bodyStart);
  const idAt = bodyStart + 2 + topicLen;
  return Buffer.from([PUBACK, 2, buf[idAt]!, buf[idAt + 1]!]);
}
