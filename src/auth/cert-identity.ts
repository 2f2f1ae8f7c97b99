// The user name mosquitto derives from a client certificate:
// - use_identity_as_username: the first CN of the subject (a CN with an embedded NUL is refused);
// - use_subject_as_username: the whole subject as OpenSSL's X509_NAME_print_ex(..., XN_FLAG_RFC2253) prints
//   it: RDNs last-to-first, `,` between RDNs and `+` inside a multi-valued one, OpenSSL short names, RFC 2253
//   escapes, and bytes above 0x7F written as `\XX` of their UTF-8 encoding (`OU=\C3\A9`).
// Node's getPeerCertificate().subject object loses attribute order and multi-valued RDNs, so the subject is
// read from the DER (`raw`) here; test/auth/cert-identity.test.ts compares with `openssl x509 -nameopt RFC2253`.

export interface PeerCertificateLike {
  raw?: Buffer;
  subject?: Record<string, string | string[] | undefined>;
}

export type CertIdentityResult =
  | { ok: true; username: string }
  | { ok: false; code: 'NO_CERTIFICATE' | 'NO_COMMON_NAME' | 'COMMON_NAME_HAS_NUL' | 'CERTIFICATE_UNREADABLE' };

export interface NameAttribute {
  oid: string;
  /** OpenSSL's short name (CN, O, emailAddress, ...) or the dotted OID when OpenSSL has none here. */
  name: string;
  /** Decoded text, or null for a value that is not a string type (printed as `#` + DER hex). */
  text: string | null;
  der: Buffer;
  /** Index of the RDN (SET) the attribute belongs to, in certificate order. */
  rdn: number;
}

const SHORT_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN', '2.5.4.4': 'SN', '2.5.4.5': 'serialNumber', '2.5.4.6': 'C', '2.5.4.7': 'L', '2.5.4.8': 'ST',
  '2.5.4.9': 'street', '2.5.4.10': 'O', '2.5.4.11': 'OU', '2.5.4.12': 'title', '2.5.4.13': 'description',
  '2.5.4.15': 'businessCategory', '2.5.4.17': 'postalCode', '2.5.4.41': 'name', '2.5.4.42': 'GN', '2.5.4.43': 'initials',
  '2.5.4.44': 'generationQualifier', '2.5.4.46': 'dnQualifier', '2.5.4.65': 'pseudonym', '2.5.4.97': 'organizationIdentifier',
  '1.2.840.113549.1.9.1': 'emailAddress', '0.9.2342.19200300.100.1.1': 'UID', '0.9.2342.19200300.100.1.25': 'DC',
  '1.3.6.1.4.1.311.60.2.1.3': 'jurisdictionC', '1.3.6.1.4.1.311.60.2.1.2': 'jurisdictionST', '1.3.6.1.4.1.311.60.2.1.1': 'jurisdictionL',
};
const COMMON_NAME_OID = '2.5.4.3';

/** ASN.1 universal tags this file reads. */
const TAG = {
  INTEGER: 0x02, OID: 0x06, UTF8: 0x0c, NUMERIC: 0x12, PRINTABLE: 0x13, T61: 0x14, IA5: 0x16,
  UNIVERSAL: 0x1c, VISIBLE: 0x1a, BMP: 0x1e, SEQUENCE: 0x30, SET: 0x31, CONTEXT_0: 0xa0,
} as const;
const LONG_LENGTH_FLAG = 0x80;
const MAX_LENGTH_BYTES = 4;

interface Tlv {
  tag: number;
  start: number;
  contentStart: number;
  end: number;
}

function readTlv(buf: Buffer, at: number): Tlv {
  if (at + 2 > buf.length) throw new RangeError('truncated DER');
  const tag = buf[at]!;
  let length = buf[at + 1]!;
  let contentStart = at + 2;
  if (length & LONG_LENGTH_FLAG) {
    const n = length & ~LONG_LENGTH_FLAG;
    if (n === 0 || n > MAX_LENGTH_BYTES || contentStart + n > buf.length) throw new RangeError('bad DER length');
    length = buf.readUIntBE(contentStart, n);
    contentStart += n;
  }
  const end = contentStart + length;
  if (end > buf.length) throw new RangeError('truncated DER');
  return { tag, start: at, contentStart, end };
}

function children(buf: Buffer, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.contentStart; at < parent.end; ) {
    const child = readTlv(buf, at);
    out.push(child);
    at = child.end;
  }
  return out;
}

function decodeOid(bytes: Buffer): string {
  const arcs: number[] = [];
  let value = 0;
  for (const byte of bytes) {
    value = value * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) {
      arcs.push(value);
      value = 0;
    }
  }
  const first = arcs.shift() ?? 0;
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...arcs].join('.');
}

function decodeString(tag: number, content: Buffer): string | null {
  switch (tag) {
    case TAG.UTF8:
      return content.toString('utf8');
    case TAG.NUMERIC: case TAG.PRINTABLE: case TAG.IA5: case TAG.VISIBLE: case TAG.T61:
      return content.toString('latin1');
    case TAG.BMP:
      return Buffer.from(content).swap16().toString('utf16le');
    case TAG.UNIVERSAL: {
      let text = '';
      for (let i = 0; i + 4 <= content.length; i += 4) text += String.fromCodePoint(content.readUInt32BE(i));
      return text;
    }
    default:
      return null;
  }
}

/** The subject's attributes in certificate order, read from the certificate's DER. */
export function subjectAttributes(der: Buffer): NameAttribute[] {
  const cert = readTlv(der, 0);
  const tbs = children(der, cert)[0];
  if (!tbs || tbs.tag !== TAG.SEQUENCE) throw new RangeError('no tbsCertificate');
  const fields = children(der, tbs);
  const skipVersion = fields[0]?.tag === TAG.CONTEXT_0 ? 1 : 0;
  // serialNumber, signature, issuer, validity, subject
  const subject = fields[skipVersion + 4];
  if (!subject || subject.tag !== TAG.SEQUENCE) throw new RangeError('no subject');
  const out: NameAttribute[] = [];
  children(der, subject).forEach((set, rdn) => {
    for (const pair of children(der, set)) {
      const [oidTlv, valueTlv] = children(der, pair);
      if (!oidTlv || !valueTlv || oidTlv.tag !== TAG.OID) throw new RangeError('bad attribute');
      const oid = decodeOid(der.subarray(oidTlv.contentStart, oidTlv.end));
      out.push({
        oid,
        name: SHORT_NAMES[oid] ?? oid,
        text: decodeString(valueTlv.tag, der.subarray(valueTlv.contentStart, valueTlv.end)),
        der: der.subarray(valueTlv.start, valueTlv.end),
        rdn,
      });
    }
  });
  return out;
}

const RFC2253_SPECIALS = new Set([',', '+', '"', '\\', '<', '>', ';']);
const FIRST_PRINTABLE = 0x20;
const DEL = 0x7f;
const hexByte = (b: number): string => `\\${b.toString(16).toUpperCase().padStart(2, '0')}`;

/** OpenSSL's ASN1_STRFLGS_RFC2253 escaping of one value. */
export function escapeRfc2253(value: string): string {
  const chars = [...value];
  return chars
    .map((ch, i) => {
      const code = ch.codePointAt(0)!;
      if (code > DEL) return [...Buffer.from(ch, 'utf8')].map(hexByte).join('');
      if (code < FIRST_PRINTABLE || code === DEL) return hexByte(code);
      if (RFC2253_SPECIALS.has(ch)) return `\\${ch}`;
      if ((i === 0 && (ch === '#' || ch === ' ')) || (i === chars.length - 1 && ch === ' ')) return `\\${ch}`;
      return ch;
    })
    .join('');
}

/** The subject as mosquitto's use_subject_as_username sees it. */
export function formatSubjectRfc2253(attributes: NameAttribute[]): string {
  const reversed = [...attributes].reverse();
  return reversed
    .map((attr, i) => {
      const value = attr.text === null || attr.name === attr.oid ? `#${attr.der.toString('hex').toUpperCase()}` : escapeRfc2253(attr.text);
      const separator = i === 0 ? '' : reversed[i - 1]!.rdn === attr.rdn ? '+' : ',';
      return `${separator}${attr.name}=${value}`;
    })
    .join('');
}

function hasCertificate(cert: PeerCertificateLike | null | undefined): cert is PeerCertificateLike {
  return !!cert && (Buffer.isBuffer(cert.raw) || (cert.subject !== undefined && Object.keys(cert.subject).length > 0));
}

/** The user name for use_identity_as_username ('identity') or use_subject_as_username ('subject'). */
export function certificateUsername(cert: PeerCertificateLike | null | undefined, mode: 'identity' | 'subject'): CertIdentityResult {
  if (!hasCertificate(cert)) return { ok: false, code: 'NO_CERTIFICATE' };
  let attributes: NameAttribute[] | null = null;
  if (cert.raw) {
    try {
      attributes = subjectAttributes(cert.raw);
    } catch {
      return { ok: false, code: 'CERTIFICATE_UNREADABLE' };
    }
  }
  if (mode === 'subject') {
    if (!attributes) return { ok: false, code: 'CERTIFICATE_UNREADABLE' };
    return { ok: true, username: formatSubjectRfc2253(attributes) };
  }
  const cn = attributes ? attributes.find((a) => a.oid === COMMON_NAME_OID)?.text : [cert.subject?.CN].flat()[0];
  if (cn === undefined || cn === null) return { ok: false, code: 'NO_COMMON_NAME' };
  if (cn.includes('\0')) return { ok: false, code: 'COMMON_NAME_HAS_NUL' };
  return { ok: true, username: cn };
}
