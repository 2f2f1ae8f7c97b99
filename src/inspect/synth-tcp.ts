// Synthesizes the Ethernet/IP/TCP framing of connections we only saw as byte streams (the broker's
// --capture): a three-way handshake, data segments with consistent sequence and acknowledgement numbers,
// and FINs at close, so Wireshark and tshark follow the streams as if captured on the wire.
import { isIPv4, isIPv6 } from 'node:net';
import { ETHERTYPE, LINKTYPE } from './capture-format.js';
import { TCP_FLAG } from './packet-layers.js';
import type { PcapngWriter } from './pcapng-writer.js';

/** Largest TCP payload per synthesized segment (keeps IPv4's 16-bit total length in range). */
export const MAX_SEGMENT_PAYLOAD = 65000;
const IP_PROTO_TCP = 6;
const IPV4_HEADER = 20;
const IPV6_HEADER = 40;
const TCP_HEADER = 20;
const ETHERNET_HEADER = 14;
const DEFAULT_TTL = 64;
const TCP_WINDOW = 65535;
const CLIENT_MAC = Buffer.from('020000000001', 'hex');
const SERVER_MAC = Buffer.from('020000000002', 'hex');

export interface SynthEndpoint {
  ip: string;
  port: number;
}

export interface SynthOptions {
  /** 'ethernet' (default) or 'raw' (LINKTYPE_RAW: IP with no link header). */
  link?: 'ethernet' | 'raw';
  interfaceName?: string;
}

interface Conn {
  client: Buffer;
  server: Buffer;
  clientPort: number;
  serverPort: number;
  v6: boolean;
  /** Next sequence number each side sends. */
  clientSeq: number;
  serverSeq: number;
  closed: boolean;
}

/** Address bytes; IPv4-mapped IPv6 ("::ffff:1.2.3.4") becomes plain IPv4 so both ends share a family. */
export function addressBytes(ip: string): Buffer {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) ip = mapped[1]!;
  if (isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  if (!isIPv6(ip)) throw new Error(`not an IP address: ${ip}`);
  const [headText, tailText] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const groups = (s: string | undefined): number[] => (s ? s.split(':').flatMap((g) => (g.includes('.') ? [] : [parseInt(g, 16)])) : []);
  const head = groups(headText);
  const tail = tailText === undefined ? [] : groups(tailText);
  const fill = 8 - head.length - tail.length;
  const all = [...head, ...new Array<number>(Math.max(0, fill)).fill(0), ...tail];
  const out = Buffer.alloc(16);
  all.slice(0, 8).forEach((g, i) => out.writeUInt16BE(g, 2 * i));
  return out;
}

/** Internet checksum (RFC 1071) over several pieces. */
function checksum(parts: Buffer[]): number {
  let sum = 0;
  let odd: number | undefined;
  for (const p of parts) {
    let i = 0;
    if (odd !== undefined && p.length > 0) {
      sum += (odd << 8) | p[0]!;
      odd = undefined;
      i = 1;
    }
    const end = i + ((p.length - i) & ~1);
    for (; i < end; i += 2) sum += (p[i]! << 8) | p[i + 1]!;
    if (i < p.length) odd = p[i]!;
    if (sum > 0x7fffffff) sum = (sum & 0xffff) + (sum >>> 16);
  }
  if (odd !== undefined) sum += odd << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export class TcpSynthesizer {
  private readonly conns = new Map<string | number, Conn>();
  private iface = 0;
  private readonly link: 'ethernet' | 'raw';
  private readonly interfaceName: string;
  private isnCounter = 0x1000;

  constructor(private writer: PcapngWriter, opts: SynthOptions = {}) {
    this.link = opts.link ?? 'ethernet';
    this.interfaceName = opts.interfaceName ?? 'glassmq';
    this.attach(writer);
  }

  /** Continues into another file (rotation): open connections keep their sequence numbers. */
  attach(writer: PcapngWriter): void {
    this.writer = writer;
    this.iface = writer.addInterface(this.link === 'ethernet' ? LINKTYPE.ethernet : LINKTYPE.raw, { name: this.interfaceName });
  }

  /** A new connection: SYN, SYN-ACK, ACK. `initialSeq` picks the client's and server's ISNs (tests use it for wraparound). */
  open(id: string | number, client: SynthEndpoint, server: SynthEndpoint, timeMs: number, initialSeq?: { client: number; server: number }): void {
    let c = addressBytes(client.ip);
    let s = addressBytes(server.ip);
    if (c.length !== s.length) {
      // One side IPv4, the other IPv6 (a dual-stack socket): show both as IPv6, IPv4-mapped.
      const map = (b: Buffer): Buffer => (b.length === 4 ? Buffer.concat([Buffer.from('00000000000000000000ffff', 'hex'), b]) : b);
      c = map(c);
      s = map(s);
    }
    this.isnCounter = (this.isnCounter * 69069 + 1) >>> 0;
    const conn: Conn = {
      client: c, server: s, clientPort: client.port, serverPort: server.port, v6: c.length === 16,
      clientSeq: initialSeq?.client ?? this.isnCounter, serverSeq: initialSeq?.server ?? (this.isnCounter ^ 0x5a5a5a5a) >>> 0, closed: false,
    };
    this.conns.set(id, conn);
    this.emit(conn, true, TCP_FLAG.syn, Buffer.alloc(0), timeMs, 0);
    conn.clientSeq = (conn.clientSeq + 1) >>> 0;
    this.emit(conn, false, TCP_FLAG.syn | TCP_FLAG.ack, Buffer.alloc(0), timeMs, conn.clientSeq);
    conn.serverSeq = (conn.serverSeq + 1) >>> 0;
    this.emit(conn, true, TCP_FLAG.ack, Buffer.alloc(0), timeMs, conn.serverSeq);
  }

  /** Bytes one side sent, cut into segments of at most MAX_SEGMENT_PAYLOAD bytes. */
  data(id: string | number, fromClient: boolean, bytes: Buffer, timeMs: number): void {
    const conn = this.conns.get(id);
    if (!conn || conn.closed) return;
    for (let o = 0; o < bytes.length; o += MAX_SEGMENT_PAYLOAD) {
      const seg = bytes.subarray(o, o + MAX_SEGMENT_PAYLOAD);
      this.emit(conn, fromClient, TCP_FLAG.psh | TCP_FLAG.ack, seg, timeMs, fromClient ? conn.serverSeq : conn.clientSeq);
      if (fromClient) conn.clientSeq = (conn.clientSeq + seg.length) >>> 0;
      else conn.serverSeq = (conn.serverSeq + seg.length) >>> 0;
    }
  }

  /** Orderly close: FIN from the closing side, FIN from the other, last ACK. */
  close(id: string | number, timeMs: number, closedByClient = true): void {
    const conn = this.conns.get(id);
    if (!conn || conn.closed) return;
    conn.closed = true;
    const first = closedByClient;
    const fin = TCP_FLAG.fin | TCP_FLAG.ack;
    this.emit(conn, first, fin, Buffer.alloc(0), timeMs, first ? conn.serverSeq : conn.clientSeq);
    this.bump(conn, first);
    this.emit(conn, !first, fin, Buffer.alloc(0), timeMs, first ? conn.clientSeq : conn.serverSeq);
    this.bump(conn, !first);
    this.emit(conn, first, TCP_FLAG.ack, Buffer.alloc(0), timeMs, first ? conn.serverSeq : conn.clientSeq);
    this.conns.delete(id);
  }

  /** Key-log lines for TLS connections (written as a Decryption Secrets Block before the packets that need them). */
  keylog(lines: string): void {
    this.writer.secrets(lines);
  }

  private bump(conn: Conn, client: boolean): void {
    if (client) conn.clientSeq = (conn.clientSeq + 1) >>> 0;
    else conn.serverSeq = (conn.serverSeq + 1) >>> 0;
  }

  private emit(conn: Conn, fromClient: boolean, flags: number, payload: Buffer, timeMs: number, ack: number): void {
    const src = fromClient ? conn.client : conn.server;
    const dst = fromClient ? conn.server : conn.client;
    const tcp = Buffer.alloc(TCP_HEADER);
    tcp.writeUInt16BE(fromClient ? conn.clientPort : conn.serverPort, 0);
    tcp.writeUInt16BE(fromClient ? conn.serverPort : conn.clientPort, 2);
    tcp.writeUInt32BE(fromClient ? conn.clientSeq : conn.serverSeq, 4);
    tcp.writeUInt32BE(flags & TCP_FLAG.ack ? ack : 0, 8);
    tcp[12] = (TCP_HEADER / 4) << 4;
    tcp[13] = flags;
    tcp.writeUInt16BE(TCP_WINDOW, 14);
    const tcpLength = TCP_HEADER + payload.length;
    const pseudo = Buffer.alloc(conn.v6 ? 40 : 12);
    if (conn.v6) {
      src.copy(pseudo, 0);
      dst.copy(pseudo, 16);
      pseudo.writeUInt32BE(tcpLength, 32);
      pseudo[39] = IP_PROTO_TCP;
    } else {
      src.copy(pseudo, 0);
      dst.copy(pseudo, 4);
      pseudo[9] = IP_PROTO_TCP;
      pseudo.writeUInt16BE(tcpLength, 10);
    }
    tcp.writeUInt16BE(checksum([pseudo, tcp, payload]), 16);
    let ip: Buffer;
    if (conn.v6) {
      ip = Buffer.alloc(IPV6_HEADER);
      ip[0] = 0x60;
      ip.writeUInt16BE(tcpLength, 4);
      ip[6] = IP_PROTO_TCP;
      ip[7] = DEFAULT_TTL;
      src.copy(ip, 8);
      dst.copy(ip, 24);
    } else {
      ip = Buffer.alloc(IPV4_HEADER);
      ip[0] = 0x45;
      ip.writeUInt16BE(IPV4_HEADER + tcpLength, 2);
      ip.writeUInt16BE(0x4000, 6); // don't fragment
      ip[8] = DEFAULT_TTL;
      ip[9] = IP_PROTO_TCP;
      src.copy(ip, 12);
      dst.copy(ip, 16);
      ip.writeUInt16BE(checksum([ip]), 10);
    }
    const parts = [ip, tcp, payload];
    if (this.link === 'ethernet') {
      const eth = Buffer.alloc(ETHERNET_HEADER);
      (fromClient ? SERVER_MAC : CLIENT_MAC).copy(eth, 0);
      (fromClient ? CLIENT_MAC : SERVER_MAC).copy(eth, 6);
      eth.writeUInt16BE(conn.v6 ? ETHERTYPE.ipv6 : ETHERTYPE.ipv4, 12);
      parts.unshift(eth);
    }
    this.writer.packet(this.iface, timeMs, Buffer.concat(parts));
  }
}
