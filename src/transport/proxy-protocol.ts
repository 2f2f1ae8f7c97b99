// HAProxy PROXY protocol v1 (text) and v2 (binary) header parser, and the reader that takes the header off
// a fresh socket before anything else (TLS, MQTT) sees its bytes.
// Reference: https://www.haproxy.org/download/2.9/doc/proxy-protocol.txt
import { isIPv4, isIPv6, type Socket } from 'node:net';
import { TransportError } from './errors.js';

export interface ProxyAddress {
  address: string;
  port: number;
}

export interface ProxyHeader {
  version: 1 | 2;
  /** 'local': a health check by the proxy itself; the socket's own addresses stand. */
  command: 'proxy' | 'local';
  family: 'tcp4' | 'tcp6' | 'unix' | 'unknown';
  source?: ProxyAddress;
  destination?: ProxyAddress;
}

export type ProxyParseResult =
  | { state: 'incomplete' }
  | { state: 'done'; header: ProxyHeader; length: number }
  | { state: 'error'; error: TransportError };

const V1_PREFIX = Buffer.from('PROXY ', 'latin1');
/** Longest v1 line the spec allows, CRLF included. */
const V1_MAX_LENGTH = 107;
const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
/** Signature, version/command, family/transport, 2-byte length. */
const V2_FIXED_LENGTH = 16;
const V2_VERSION = 0x2;
const V2_COMMAND = { local: 0x0, proxy: 0x1 } as const;
const V2_FAMILY = { unspec: 0x0, inet: 0x1, inet6: 0x2, unix: 0x3 } as const;
const V2_ADDRESS_LENGTH = { inet: 12, inet6: 36, unix: 216 } as const;
const IPV4_BYTES = 4;
const IPV6_BYTES = 16;
const UNIX_PATH_BYTES = 108;
const MAX_PORT = 65535;

function invalid(message: string): ProxyParseResult {
  return { state: 'error', error: new TransportError('PROXY_HEADER_INVALID', message) };
}

/** True while `buf` could still grow into `prefix` or starts with it. */
function startsLike(buf: Buffer, prefix: Buffer): boolean {
  const n = Math.min(buf.length, prefix.length);
  return buf.subarray(0, n).equals(prefix.subarray(0, n));
}

function printable(buf: Buffer): string {
  const shown = buf.subarray(0, 16);
  return `${shown.toString('hex').replace(/(..)/g, '$1 ').trim()}${buf.length > shown.length ? ' ...' : ''}`;
}

/** Parses a PROXY header at the start of `buf`; garbage is reported as soon as the first byte disagrees. */
export function parseProxyHeader(buf: Buffer): ProxyParseResult {
  if (buf.length === 0) return { state: 'incomplete' };
  if (startsLike(buf, V2_SIGNATURE)) return buf.length < V2_SIGNATURE.length ? { state: 'incomplete' } : parseV2(buf);
  if (startsLike(buf, V1_PREFIX)) return buf.length < V1_PREFIX.length ? { state: 'incomplete' } : parseV1(buf);
  return invalid(`expected a PROXY v1 or v2 header, got bytes ${printable(buf)}`);
}

function parsePort(text: string): number | null {
  if (!/^\d{1,5}$/.test(text)) return null;
  const port = Number(text);
  return port <= MAX_PORT ? port : null;
}

function parseV1(buf: Buffer): ProxyParseResult {
  const end = buf.indexOf('\r\n', 0, 'latin1');
  if (end < 0) {
    return buf.length >= V1_MAX_LENGTH ? invalid(`PROXY v1 line longer than ${V1_MAX_LENGTH} bytes`) : { state: 'incomplete' };
  }
  const length = end + 2;
  if (length > V1_MAX_LENGTH) return invalid(`PROXY v1 line longer than ${V1_MAX_LENGTH} bytes`);
  const line = buf.toString('latin1', 0, end);
  const parts = line.split(' ');
  if (parts[1] === 'UNKNOWN') return { state: 'done', length, header: { version: 1, command: 'proxy', family: 'unknown' } };
  if (parts.length !== 6) return invalid(`PROXY v1 line needs 6 fields: ${JSON.stringify(line)}`);
  const [, proto, src, dst, sport, dport] = parts as [string, string, string, string, string, string];
  const isIp = proto === 'TCP4' ? isIPv4 : proto === 'TCP6' ? isIPv6 : null;
  if (!isIp) return invalid(`PROXY v1 protocol must be TCP4, TCP6 or UNKNOWN: ${JSON.stringify(proto)}`);
  if (!isIp(src) || !isIp(dst)) return invalid(`PROXY v1 addresses are not ${proto}: ${JSON.stringify(line)}`);
  const sourcePort = parsePort(sport);
  const destinationPort = parsePort(dport);
  if (sourcePort === null || destinationPort === null) return invalid(`PROXY v1 bad port: ${JSON.stringify(line)}`);
  return {
    state: 'done',
    length,
    header: {
      version: 1,
      command: 'proxy',
      family: proto === 'TCP4' ? 'tcp4' : 'tcp6',
      source: { address: src, port: sourcePort },
      destination: { address: dst, port: destinationPort },
    },
  };
}

function ipv4At(buf: Buffer, offset: number): string {
  return Array.from(buf.subarray(offset, offset + IPV4_BYTES)).join('.');
}

/** RFC 5952 text form: lower-case hex groups, the longest run of two or more zero groups as '::'. */
function ipv6At(buf: Buffer, offset: number): string {
  const groups: number[] = [];
  for (let i = 0; i < IPV6_BYTES; i += 2) groups.push(buf.readUInt16BE(offset + i));
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === 0) j++;
    if (j - i > bestLen) [bestStart, bestLen] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

function unixPathAt(buf: Buffer, offset: number): string {
  const raw = buf.subarray(offset, offset + UNIX_PATH_BYTES);
  const nul = raw.indexOf(0);
  return raw.toString('utf8', 0, nul < 0 ? raw.length : nul);
}

function parseV2(buf: Buffer): ProxyParseResult {
  if (buf.length < V2_FIXED_LENGTH) return { state: 'incomplete' };
  const versionCommand = buf[12]!;
  const familyTransport = buf[13]!;
  const bodyLength = buf.readUInt16BE(14);
  const version = versionCommand >> 4;
  const command = versionCommand & 0x0f;
  if (version !== V2_VERSION) return invalid(`PROXY v2 header with version ${version}`);
  if (command !== V2_COMMAND.local && command !== V2_COMMAND.proxy) return invalid(`PROXY v2 unknown command ${command}`);
  const length = V2_FIXED_LENGTH + bodyLength;
  if (buf.length < length) return { state: 'incomplete' };
  if (command === V2_COMMAND.local) return { state: 'done', length, header: { version: 2, command: 'local', family: 'unknown' } };
  const family = familyTransport >> 4;
  const body = V2_FIXED_LENGTH;
  const need = (n: number, what: string): ProxyParseResult | null =>
    bodyLength < n ? invalid(`PROXY v2 ${what} addresses need ${n} bytes, header has ${bodyLength}`) : null;
  switch (family) {
    case V2_FAMILY.unspec:
      return { state: 'done', length, header: { version: 2, command: 'proxy', family: 'unknown' } };
    case V2_FAMILY.inet: {
      const short = need(V2_ADDRESS_LENGTH.inet, 'IPv4');
      if (short) return short;
      return {
        state: 'done',
        length,
        header: {
          version: 2,
          command: 'proxy',
          family: 'tcp4',
          source: { address: ipv4At(buf, body), port: buf.readUInt16BE(body + 2 * IPV4_BYTES) },
          destination: { address: ipv4At(buf, body + IPV4_BYTES), port: buf.readUInt16BE(body + 2 * IPV4_BYTES + 2) },
        },
      };
    }
    case V2_FAMILY.inet6: {
      const short = need(V2_ADDRESS_LENGTH.inet6, 'IPv6');
      if (short) return short;
      return {
        state: 'done',
        length,
        header: {
          version: 2,
          command: 'proxy',
          family: 'tcp6',
          source: { address: ipv6At(buf, body), port: buf.readUInt16BE(body + 2 * IPV6_BYTES) },
          destination: { address: ipv6At(buf, body + IPV6_BYTES), port: buf.readUInt16BE(body + 2 * IPV6_BYTES + 2) },
        },
      };
    }
    case V2_FAMILY.unix: {
      const short = need(V2_ADDRESS_LENGTH.unix, 'unix');
      if (short) return short;
      return {
        state: 'done',
        length,
        header: {
          version: 2,
          command: 'proxy',
          family: 'unix',
          source: { address: unixPathAt(buf, body), port: 0 },
          destination: { address: unixPathAt(buf, body + UNIX_PATH_BYTES), port: 0 },
        },
      };
    }
    default:
      return invalid(`PROXY v2 unknown address family ${family}`);
  }
}

/**
 * Reads the PROXY header off a fresh socket. Bytes after the header are put back (unshift) so whoever reads
 * next, TLS or the MQTT decoder, sees the stream exactly as the client sent it. The socket is left neither
 * flowing nor explicitly paused, so a later 'data' listener or pipe starts it.
 */
export function readProxyHeader(socket: Socket, timeoutMs: number): Promise<ProxyHeader> {
  return new Promise((resolve, reject) => {
    let acc: Buffer = Buffer.alloc(0);
    const finish = (err: TransportError | null, header?: ProxyHeader, rest?: Buffer): void => {
      clearTimeout(timer);
      socket.removeListener('readable', onReadable);
      socket.removeListener('close', onClose);
      if (err) return reject(err);
      if (rest && rest.length > 0) socket.unshift(rest);
      resolve(header!);
    };
    const onReadable = (): void => {
      let chunk: Buffer | null;
      while ((chunk = socket.read() as Buffer | null) !== null) {
        acc = acc.length === 0 ? chunk : Buffer.concat([acc, chunk]);
        const r = parseProxyHeader(acc);
        if (r.state === 'incomplete') continue;
        if (r.state === 'error') return finish(r.error);
        return finish(null, r.header, acc.subarray(r.length));
      }
    };
    const onClose = (): void => finish(new TransportError('PROXY_HEADER_INVALID', 'connection closed before a complete PROXY header'));
    const timer = setTimeout(
      () => finish(new TransportError('PROXY_HEADER_TIMEOUT', `no complete PROXY header within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.on('readable', onReadable);
    socket.once('close', onClose);
  });
}
