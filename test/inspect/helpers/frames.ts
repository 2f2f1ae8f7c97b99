// Independent byte builders for inspector tests: pcap / pcapng files and link/IP/TCP frames, written from the
// format specifications, not from src/inspect, so reader bugs cannot cancel out.

export const TCP = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10 } as const;

export function ipv4Bytes(ip: string): Buffer {
  return Buffer.from(ip.split('.').map(Number));
}

/** Only the forms tests use: "::1" and full or "::"-compressed groups. */
export function ipv6Bytes(ip: string): Buffer {
  const [h, t] = ip.split('::');
  const head = h ? h.split(':').map((g) => parseInt(g, 16)) : [];
  const tail = t ? t.split(':').map((g) => parseInt(g, 16)) : [];
  const groups = [...head, ...Array(8 - head.length - tail.length).fill(0), ...tail];
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(g, i * 2));
  return b;
}

export interface Seg {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  seq: number;
  ack?: number;
  flags: number;
  payload?: Buffer;
}

export function tcpHeader(s: Seg): Buffer {
  const t = Buffer.alloc(20);
  t.writeUInt16BE(s.sport, 0);
  t.writeUInt16BE(s.dport, 2);
  t.writeUInt32BE(s.seq >>> 0, 4);
  t.writeUInt32BE((s.ack ?? 0) >>> 0, 8);
  t[12] = 5 << 4; // data offset: 5 words
  t[13] = s.flags;
  t.writeUInt16BE(65535, 14);
  return t;
}

/** IPv4 packet carrying the segment; `fragment` sets MF and an offset. */
export function ipv4Packet(s: Seg, opts: { fragment?: { mf: boolean; offset: number } } = {}): Buffer {
  const body = Buffer.concat([tcpHeader(s), s.payload ?? Buffer.alloc(0)]);
  const ip = Buffer.alloc(20);
  ip[0] = 0x45; // version 4, IHL 5
  ip.writeUInt16BE(20 + body.length, 2);
  const frag = opts.fragment ? (opts.fragment.mf ? 0x2000 : 0) | (opts.fragment.offset / 8) : 0x4000;
  ip.writeUInt16BE(frag, 6);
  ip[8] = 64;
  ip[9] = 6; // TCP
  ipv4Bytes(s.src).copy(ip, 12);
  ipv4Bytes(s.dst).copy(ip, 16);
  return Buffer.concat([ip, body]);
}

/** IPv6 packet; `extensions` inserts hop-by-hop and destination-options headers before TCP. */
export function ipv6Packet(s: Seg, opts: { extensions?: boolean } = {}): Buffer {
  const tcp = Buffer.concat([tcpHeader(s), s.payload ?? Buffer.alloc(0)]);
  let next = 6;
  let ext = Buffer.alloc(0);
  if (opts.extensions) {
    const dest = Buffer.alloc(8);
    dest[0] = 6; // next: TCP
    dest[1] = 0; // 8 bytes
    const hop = Buffer.alloc(16);
    hop[0] = 60; // next: destination options
    hop[1] = 1; // 16 bytes
    ext = Buffer.concat([hop, dest]);
    next = 0; // hop-by-hop
  }
  const ip = Buffer.alloc(40);
  ip[0] = 0x60;
  ip.writeUInt16BE(ext.length + tcp.length, 4);
  ip[6] = next;
  ip[7] = 64;
  ipv6Bytes(s.src).copy(ip, 8);
  ipv6Bytes(s.dst).copy(ip, 24);
  return Buffer.concat([ip, ext, tcp]);
}

export function ipPacket(s: Seg): Buffer {
  return s.src.includes(':') ? ipv6Packet(s) : ipv4Packet(s);
}

export function ethernet(ip: Buffer, opts: { vlan?: number[]; padTo?: number } = {}): Buffer {
  const v6 = ip[0]! >> 4 === 6;
  const parts: Buffer[] = [Buffer.from('020000000002020000000001', 'hex')];
  for (const id of opts.vlan ?? []) {
    const tag = Buffer.alloc(4);
    tag.writeUInt16BE(0x8100, 0);
    tag.writeUInt16BE(id, 2);
    parts.push(tag);
  }
  const type = Buffer.alloc(2);
  type.writeUInt16BE(v6 ? 0x86dd : 0x0800, 0);
  parts.push(type, ip);
  const frame = Buffer.concat(parts);
  if (opts.padTo && frame.length < opts.padTo) return Buffer.concat([frame, Buffer.alloc(opts.padTo - frame.length, 0xee)]);
  return frame;
}

export function linuxSll(ip: Buffer): Buffer {
  const h = Buffer.alloc(16);
  h.writeUInt16BE(0, 0); // packet to us
  h.writeUInt16BE(772, 2); // ARPHRD_LOOPBACK
  h.writeUInt16BE(6, 4);
  h.writeUInt16BE(ip[0]! >> 4 === 6 ? 0x86dd : 0x0800, 14);
  return Buffer.concat([h, ip]);
}

export function linuxSll2(ip: Buffer): Buffer {
  const h = Buffer.alloc(20);
  h.writeUInt16BE(ip[0]! >> 4 === 6 ? 0x86dd : 0x0800, 0);
  h.writeUInt32BE(1, 4); // interface index
  h.writeUInt16BE(772, 8);
  h[11] = 6;
  return Buffer.concat([h, ip]);
}

/** BSD loopback: a 4-byte address family in the capturing host's byte order (NULL) or network order (LOOP). */
export function bsdLoopback(ip: Buffer, littleEndian: boolean, family?: number): Buffer {
  const h = Buffer.alloc(4);
  const af = family ?? (ip[0]! >> 4 === 6 ? 30 : 2);
  if (littleEndian) h.writeUInt32LE(af, 0);
  else h.writeUInt32BE(af, 0);
  return Buffer.concat([h, ip]);
}

export interface Rec {
  sec: number;
  frac: number;
  data: Buffer;
}

/** Classic pcap: magic 0xa1b2c3d4 (micro) or 0xa1b23c4d (nano), written in the byte order asked for. */
export function pcapFile(linkType: number, records: Rec[], opts: { bigEndian?: boolean; nanos?: boolean } = {}): Buffer {
  const le = !opts.bigEndian;
  const u32 = (b: Buffer, v: number, o: number): number => (le ? b.writeUInt32LE(v, o) : b.writeUInt32BE(v, o));
  const u16 = (b: Buffer, v: number, o: number): number => (le ? b.writeUInt16LE(v, o) : b.writeUInt16BE(v, o));
  const head = Buffer.alloc(24);
  u32(head, opts.nanos ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  u16(head, 2, 4);
  u16(head, 4, 6);
  u32(head, 262144, 16);
  u32(head, linkType, 20);
  const parts: Buffer[] = [head];
  for (const r of records) {
    const h = Buffer.alloc(16);
    u32(h, r.sec, 0);
    u32(h, r.frac, 4);
    u32(h, r.data.length, 8);
    u32(h, r.data.length, 12);
    parts.push(h, r.data);
  }
  return Buffer.concat(parts);
}

/** pcapng block builder in either byte order. */
export class PcapngBuilder {
  private parts: Buffer[] = [];
  constructor(private readonly le = true) {}

  private u32(v: number): Buffer {
    const b = Buffer.alloc(4);
    if (this.le) b.writeUInt32LE(v >>> 0, 0);
    else b.writeUInt32BE(v >>> 0, 0);
    return b;
  }
  private u16(v: number): Buffer {
    const b = Buffer.alloc(2);
    if (this.le) b.writeUInt16LE(v, 0);
    else b.writeUInt16BE(v, 0);
    return b;
  }
  private pad(b: Buffer): Buffer {
    return Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)]);
  }
  block(type: number, body: Buffer): this {
    const padded = this.pad(body);
    const len = 12 + padded.length;
    this.parts.push(this.u32(type), this.u32(len), padded, this.u32(len));
    return this;
  }
  shb(): this {
    return this.block(0x0a0d0d0a, Buffer.concat([this.u32(0x1a2b3c4d), this.u16(1), this.u16(0), Buffer.alloc(8, 0xff)]));
  }
  /** tsresol: the raw if_tsresol option byte (6 = microseconds, 9 = nanoseconds), omitted when undefined. */
  idb(linkType: number, tsresol?: number): this {
    const opts = tsresol === undefined ? Buffer.alloc(0) : Buffer.concat([this.u16(9), this.u16(1), Buffer.from([tsresol, 0, 0, 0])]);
    return this.block(1, Buffer.concat([this.u16(linkType), this.u16(0), this.u32(0), opts, Buffer.alloc(4)]));
  }
  /** ticks: the 64-bit timestamp in the interface's units. */
  epb(ifId: number, ticks: bigint, data: Buffer): this {
    return this.block(6, Buffer.concat([
      this.u32(ifId), this.u32(Number(ticks >> 32n)), this.u32(Number(ticks & 0xffffffffn)),
      this.u32(data.length), this.u32(data.length), this.pad(data),
    ]));
  }
  spb(data: Buffer): this {
    return this.block(3, Buffer.concat([this.u32(data.length), this.pad(data)]));
  }
  obsoletePb(ifId: number, ticks: bigint, data: Buffer): this {
    return this.block(2, Buffer.concat([
      this.u16(ifId), this.u16(0), this.u32(Number(ticks >> 32n)), this.u32(Number(ticks & 0xffffffffn)),
      this.u32(data.length), this.u32(data.length), this.pad(data),
    ]));
  }
  dsb(keylog: string): this {
    const data = Buffer.from(keylog);
    return this.block(0x0000000a, Buffer.concat([this.u32(0x544c534b), this.u32(data.length), this.pad(data)]));
  }
  raw(b: Buffer): this {
    this.parts.push(b);
    return this;
  }
  build(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** A client/server TCP conversation as segments with correct seq/ack, for building captures by hand. */
export class Conversation {
  cseq: number;
  sseq: number;
  constructor(
    readonly client: { ip: string; port: number },
    readonly server: { ip: string; port: number },
    isn = { client: 1000, server: 5000 },
  ) {
    this.cseq = isn.client;
    this.sseq = isn.server;
  }
  private seg(fromClient: boolean, flags: number, payload: Buffer = Buffer.alloc(0), seq?: number): Seg {
    const a = fromClient ? this.client : this.server;
    const b = fromClient ? this.server : this.client;
    return { src: a.ip, dst: b.ip, sport: a.port, dport: b.port, seq: seq ?? (fromClient ? this.cseq : this.sseq), ack: fromClient ? this.sseq : this.cseq, flags, payload };
  }
  handshake(): Seg[] {
    const out = [this.seg(true, TCP.SYN)];
    this.cseq = (this.cseq + 1) >>> 0;
    out.push(this.seg(false, TCP.SYN | TCP.ACK));
    this.sseq = (this.sseq + 1) >>> 0;
    out.push(this.seg(true, TCP.ACK));
    return out;
  }
  /** A data segment; advances the sender's sequence number. */
  send(fromClient: boolean, payload: Buffer): Seg {
    const s = this.seg(fromClient, TCP.PSH | TCP.ACK, payload);
    if (fromClient) this.cseq = (this.cseq + payload.length) >>> 0;
    else this.sseq = (this.sseq + payload.length) >>> 0;
    return s;
  }
  /** A segment at an explicit sequence number (for retransmissions and holes); does not advance. */
  at(fromClient: boolean, seq: number, payload: Buffer): Seg {
    return this.seg(fromClient, TCP.PSH | TCP.ACK, payload, seq >>> 0);
  }
  fin(fromClient: boolean): Seg {
    const s = this.seg(fromClient, TCP.FIN | TCP.ACK);
    if (fromClient) this.cseq = (this.cseq + 1) >>> 0;
    else this.sseq = (this.sseq + 1) >>> 0;
    return s;
  }
}

/** MQTT bytes from annotated arrays. */
export const ascii = (s: string): number[] => [...Buffer.from(s, 'latin1')];
export function str(s: string): number[] {
  const b = Buffer.from(s, 'utf8');
  return [b.length >> 8, b.length & 0xff, ...b];
}
/** CONNECT v3.1.1, clean session, keepalive 60, the given client id. */
export function mqttConnect(clientId: string, level = 4): Buffer {
  const name = level === 3 ? str('MQIsdp') : str('MQTT');
  const body = [...name, level, 0x02, 0x00, 0x3c, ...str(clientId)];
  if (level === 5) body.splice(name.length + 4, 0, 0x00); // empty property list after keepalive
  return Buffer.from([0x10, body.length, ...body]);
}
export function mqttPublish(topic: string, payload: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(str(topic)), payload]);
  return Buffer.concat([Buffer.from([0x30, ...varint(body.length)]), body]);
}
export function varint(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}
export const CONNACK_OK = Buffer.from([0x20, 0x02, 0x00, 0x00]); // no session present | accepted
