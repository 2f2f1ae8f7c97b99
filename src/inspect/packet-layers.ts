// From a captured frame to a TCP segment: link layer (Ethernet+VLAN, Linux cooked v1/v2, BSD loopback, raw IP),
// then IPv4 (fragments flagged) or IPv6 (extension headers skipped), then the TCP header.
import { ETHERTYPE, LINKTYPE } from './capture-format.js';

export const TCP_FLAG = { fin: 0x01, syn: 0x02, rst: 0x04, psh: 0x08, ack: 0x10 } as const;
const IP_PROTO_TCP = 6;
const IPV4_MORE_FRAGMENTS = 0x2000;
const IPV4_FRAGMENT_OFFSET_MASK = 0x1fff;
/** Fragment offsets and IPv6 AH lengths count 8- and 4-byte units; header lengths count 32-bit words. */
const FRAGMENT_UNIT = 8;
const WORD = 4;
const IPV4_MIN_HEADER = 20;
const IPV6_HEADER = 40;
const TCP_MIN_HEADER = 20;
/** Link headers: Ethernet type field offset, 802.1Q tag, Linux cooked v1 / v2, BSD loopback family. */
const ETHERNET_TYPE_OFFSET = 12;
const VLAN_TAG = 4;
const SLL_HEADER = 16;
const SLL_PROTOCOL_OFFSET = 14;
const SLL2_HEADER = 20;
const BSD_FAMILY_LENGTH = 4;
const IPV6_EXTENSION = { hopByHop: 0, routing: 43, fragment: 44, auth: 51, noNext: 59, destOptions: 60 } as const;
/** BSD loopback address-family values meaning IPv6 (they differ between BSDs). */
const BSD_AF_INET = 2;
const BSD_AF_INET6 = new Set([24, 28, 30]);

export interface TcpSegment {
  kind: 'tcp';
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  payload: Buffer;
}

/** A frame that carries no TCP segment the inspector can use, and why. */
export interface SkippedFrame {
  kind: 'skip';
  reason: 'not-ip' | 'not-tcp' | 'truncated' | 'fragment' | 'unsupported-link';
  detail?: string;
  /** For an IPv4 fragment: the IP packet, for reassembly. */
  ipv4Fragment?: Buffer;
}

export function formatIPv4(b: Buffer, o: number): string {
  return `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
}

/** Captures repeat the same few addresses millions of times: format each once. */
const IPV4_CACHE_LIMIT = 4096;
const ipv4Cache = new Map<number, string>();
function cachedIPv4(b: Buffer, o: number): string {
  const key = b.readUInt32BE(o);
  let s = ipv4Cache.get(key);
  if (s === undefined) {
    if (ipv4Cache.size >= IPV4_CACHE_LIMIT) ipv4Cache.clear();
    s = formatIPv4(b, o);
    ipv4Cache.set(key, s);
  }
  return s;
}

/** RFC 5952 text form: lower-case hex, the longest run of two or more zero groups shortened to "::". */
export function formatIPv6(b: Buffer, o: number): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(b.readUInt16BE(o + 2 * i));
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** "ip:port", IPv6 as "[addr]:port". */
export function endpoint(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** Offset and IP version of the network-layer packet inside a link-layer frame, or a reason to skip it. */
function networkLayer(linkType: number, d: Buffer): { offset: number; version: 4 | 6 } | SkippedFrame {
  const byEthertype = (type: number, offset: number): { offset: number; version: 4 | 6 } | SkippedFrame => {
    if (type === ETHERTYPE.ipv4) return { offset, version: 4 };
    if (type === ETHERTYPE.ipv6) return { offset, version: 6 };
    return { kind: 'skip', reason: 'not-ip' };
  };
  const byVersionNibble = (offset: number): { offset: number; version: 4 | 6 } | SkippedFrame => {
    if (d.length <= offset) return { kind: 'skip', reason: 'truncated' };
    const v = d[offset]! >> 4;
    return v === 4 || v === 6 ? { offset, version: v } : { kind: 'skip', reason: 'not-ip' };
  };
  switch (linkType) {
    case LINKTYPE.ethernet: {
      let o = ETHERNET_TYPE_OFFSET;
      if (d.length < o + 2) return { kind: 'skip', reason: 'truncated' };
      let type = d.readUInt16BE(o);
      // 802.1Q / 802.1ad tags, possibly stacked.
      while (type === ETHERTYPE.vlan || type === ETHERTYPE.qinq || type === ETHERTYPE.vlanOld) {
        o += VLAN_TAG;
        if (d.length < o + 2) return { kind: 'skip', reason: 'truncated' };
        type = d.readUInt16BE(o);
      }
      return byEthertype(type, o + 2);
    }
    case LINKTYPE.linuxSll:
      if (d.length < SLL_HEADER) return { kind: 'skip', reason: 'truncated' };
      return byEthertype(d.readUInt16BE(SLL_PROTOCOL_OFFSET), SLL_HEADER);
    case LINKTYPE.linuxSll2:
      if (d.length < SLL2_HEADER) return { kind: 'skip', reason: 'truncated' };
      return byEthertype(d.readUInt16BE(0), SLL2_HEADER);
    case LINKTYPE.null:
    case LINKTYPE.loop: {
      if (d.length < BSD_FAMILY_LENGTH) return { kind: 'skip', reason: 'truncated' };
      // NULL stores the family in the capturing host's byte order; LOOP always in network order.
      const be = d.readUInt32BE(0);
      const family = linkType === LINKTYPE.loop || be < 256 ? be : d.readUInt32LE(0);
      if (family === BSD_AF_INET) return { offset: BSD_FAMILY_LENGTH, version: 4 };
      if (BSD_AF_INET6.has(family)) return { offset: BSD_FAMILY_LENGTH, version: 6 };
      return { kind: 'skip', reason: 'not-ip' };
    }
    case LINKTYPE.raw:
    case LINKTYPE.rawBsd12:
    case LINKTYPE.rawOpenBsd14:
      return byVersionNibble(0);
    case LINKTYPE.ipv4:
      return { offset: 0, version: 4 };
    case LINKTYPE.ipv6:
      return { offset: 0, version: 6 };
    default:
      return { kind: 'skip', reason: 'unsupported-link', detail: `link type ${linkType}` };
  }
}

/** Decodes a frame down to its TCP segment. */
export function decodeFrame(linkType: number, d: Buffer): TcpSegment | SkippedFrame {
  const net = networkLayer(linkType, d);
  if ('kind' in net) return net;
  let o = net.offset;
  let src: string;
  let dst: string;
  let end: number;
  if (net.version === 4) {
    if (d.length < o + IPV4_MIN_HEADER) return { kind: 'skip', reason: 'truncated' };
    const ihl = (d[o]! & 0x0f) * WORD;
    // Trim link-layer padding: the IP total length says where the packet ends.
    end = Math.min(d.length, o + d.readUInt16BE(o + 2));
    const fragField = d.readUInt16BE(o + 6);
    const moreFragments = (fragField & IPV4_MORE_FRAGMENTS) !== 0;
    const fragOffset = fragField & IPV4_FRAGMENT_OFFSET_MASK;
    if (d[o + 9] !== IP_PROTO_TCP) return { kind: 'skip', reason: 'not-tcp' };
    src = cachedIPv4(d, o + 12);
    dst = cachedIPv4(d, o + 16);
    if (moreFragments || fragOffset !== 0) {
      return {
        kind: 'skip', reason: 'fragment', detail: `IPv4 fragment ${src} -> ${dst} id ${d.readUInt16BE(o + 4)} offset ${fragOffset * FRAGMENT_UNIT}`,
        ipv4Fragment: d.subarray(o, end),
      };
    }
    o += ihl;
  } else {
    if (d.length < o + IPV6_HEADER) return { kind: 'skip', reason: 'truncated' };
    end = Math.min(d.length, o + IPV6_HEADER + d.readUInt16BE(o + 4));
    let next = d[o + 6]!;
    src = formatIPv6(d, o + 8);
    dst = formatIPv6(d, o + 24);
    o += IPV6_HEADER;
    while (next !== IP_PROTO_TCP) {
      if (o + 8 > end) return { kind: 'skip', reason: 'truncated' };
      if (next === IPV6_EXTENSION.fragment) return { kind: 'skip', reason: 'fragment', detail: `IPv6 fragment ${src} -> ${dst}` };
      if (next === IPV6_EXTENSION.hopByHop || next === IPV6_EXTENSION.routing || next === IPV6_EXTENSION.destOptions) {
        next = d[o]!;
        o += (d[o + 1]! + 1) * FRAGMENT_UNIT;
      } else if (next === IPV6_EXTENSION.auth) {
        next = d[o]!;
        o += (d[o + 1]! + 2) * WORD;
      } else {
        return { kind: 'skip', reason: 'not-tcp' };
      }
    }
  }
  if (end < o + TCP_MIN_HEADER) return { kind: 'skip', reason: 'truncated' };
  const dataOffset = (d[o + 12]! >> 4) * WORD;
  if (dataOffset < TCP_MIN_HEADER || o + dataOffset > end) return { kind: 'skip', reason: 'truncated' };
  return {
    kind: 'tcp',
    src,
    dst,
    srcPort: d.readUInt16BE(o),
    dstPort: d.readUInt16BE(o + 2),
    seq: d.readUInt32BE(o + 4),
    ack: d.readUInt32BE(o + 8),
    flags: d[o + 13]!,
    payload: d.subarray(o + dataOffset, end),
  };
}
