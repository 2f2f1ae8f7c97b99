// TLS records of one connection: the clear handshake (randoms, version, cipher suite), then record decryption
// with key-log secrets (TLS 1.2 from CCS on, TLS 1.3 handshake keys switching to traffic keys after Finished).
import type { DuplexConsumer, NoteSink } from './duplex.js';
import { CIPHER_SUITES, RecordKeys, type CipherSuite } from './tls-crypto.js';
import { KEYLOG_LABEL, type KeyLog } from './tls-keylog.js';

export const TLS_CONTENT = { changeCipherSpec: 20, alert: 21, handshake: 22, applicationData: 23, heartbeat: 24 } as const;
const HANDSHAKE = { clientHello: 1, serverHello: 2, newSessionTicket: 4, finished: 20, keyUpdate: 24 } as const;
const EXTENSION_SUPPORTED_VERSIONS = 43;
const TLS13_VERSION = 0x0304;
const RECORD_HEADER = 5;
/** RFC 8446 5.2: ciphertext at most 2^14 + 256 bytes; TLS 1.2 allows 2^14 + 2048. */
const MAX_RECORD_BODY = (1 << 14) + 2048;
const RANDOM_LENGTH = 32;
const MAX_HANDSHAKE_BUFFER = 256 * 1024;
const ALERT_LEVEL_FATAL = 2;
/** RFC 8446 6 / RFC 5246 7.2: the alerts people actually meet. */
const ALERT_NAMES: Readonly<Record<number, string>> = {
  0: 'close_notify', 10: 'unexpected_message', 20: 'bad_record_mac', 22: 'record_overflow', 40: 'handshake_failure',
  42: 'bad_certificate', 43: 'unsupported_certificate', 44: 'certificate_revoked', 45: 'certificate_expired',
  46: 'certificate_unknown', 47: 'illegal_parameter', 48: 'unknown_ca', 50: 'decode_error', 51: 'decrypt_error',
  70: 'protocol_version', 71: 'insufficient_security', 80: 'internal_error', 90: 'user_canceled',
  109: 'missing_extension', 112: 'unrecognized_name', 116: 'certificate_required', 120: 'no_application_protocol',
};
/** A ServerHello with this random is a HelloRetryRequest (RFC 8446 4.1.3). */
const HELLO_RETRY_RANDOM = 'cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c';

/** Facts about the TLS session, for the human view. */
export interface TlsFacts {
  version?: '1.2' | '1.3';
  cipherSuite?: string;
  sni?: string;
  decrypted: boolean;
}

class Direction {
  parts: Buffer[] = [];
  have = 0;
  keys: RecordKeys | undefined;
  /** TLS 1.3 application keys waiting for this side's Finished. */
  nextKeys: RecordKeys | undefined;
  handshake: Buffer = Buffer.alloc(0);
  encrypted = false;
  dead = false;
  undecryptable = 0;
}

export class TlsLayer implements DuplexConsumer {
  readonly facts: TlsFacts = { decrypted: false };
  private readonly dirs = [new Direction(), new Direction()];
  private clientRandom: Buffer | undefined;
  private serverRandom: Buffer | undefined;
  private suite: CipherSuite | undefined;
  private suiteId: number | undefined;
  private warnedNoKey = false;

  constructor(
    private readonly inner: DuplexConsumer,
    private readonly keylog: KeyLog,
    private readonly note: NoteSink,
  ) {}

  data(fromClient: boolean, chunk: Buffer): void {
    const d = this.dirs[fromClient ? 1 : 0]!;
    if (d.dead) return;
    d.parts.push(chunk);
    d.have += chunk.length;
    if (d.have < RECORD_HEADER) return;
    let buf = d.parts.length === 1 ? d.parts[0]! : Buffer.concat(d.parts, d.have);
    let o = 0;
    while (buf.length - o >= RECORD_HEADER) {
      const type = buf[o]!;
      const length = buf.readUInt16BE(o + 3);
      if (type < TLS_CONTENT.changeCipherSpec || type > TLS_CONTENT.heartbeat || buf[o + 1] !== 3 || length > MAX_RECORD_BODY) {
        this.fatal(d, fromClient, `not a TLS record header: ${buf.subarray(o, o + RECORD_HEADER).toString('hex')}`);
        return;
      }
      if (buf.length - o < RECORD_HEADER + length) break;
      this.record(d, fromClient, buf.subarray(o, o + RECORD_HEADER), buf.subarray(o + RECORD_HEADER, o + RECORD_HEADER + length));
      if (d.dead) return;
      o += RECORD_HEADER + length;
    }
    buf = buf.subarray(o);
    d.parts = buf.length ? [Buffer.from(buf)] : [];
    d.have = buf.length;
  }

  gap(fromClient: boolean, bytes: number): void {
    const d = this.dirs[fromClient ? 1 : 0]!;
    // Record sequence numbers (part of every nonce) cannot be recovered after lost records.
    this.fatal(d, fromClient, `gap of ${bytes} bytes in the TLS stream; the rest of this direction is unreadable`);
  }

  end(fromClient: boolean): void {
    const d = this.dirs[fromClient ? 1 : 0]!;
    if (d.undecryptable > 0) {
      this.note({ level: 'warning', layer: 'tls', code: 'TLS_NOT_DECRYPTED', message: `${d.undecryptable} encrypted records could not be decrypted`, fromClient });
    }
    this.inner.end(fromClient);
  }

  private fatal(d: Direction, fromClient: boolean, message: string): void {
    if (d.dead) return;
    d.dead = true;
    d.parts = [];
    this.note({ level: 'error', layer: 'tls', code: 'TLS_UNREADABLE', message, fromClient });
    this.inner.gap(fromClient, 0);
  }

  private record(d: Direction, fromClient: boolean, header: Buffer, body: Buffer): void {
    const type = header[0]!;
    if (type === TLS_CONTENT.changeCipherSpec) {
      // TLS 1.3 sends a dummy CCS for middlebox compatibility; only TLS 1.2 switches keys here.
      if (this.facts.version !== '1.3') this.startTls12Encryption(d, fromClient);
      return;
    }
    if (!d.encrypted) {
      if (type === TLS_CONTENT.handshake) this.handshake(d, fromClient, body);
      else if (type === TLS_CONTENT.alert) this.alert(fromClient, body);
      return;
    }
    if (!d.keys) this.tryKeys(d, fromClient);
    if (!d.keys) {
      d.undecryptable++;
      if (!this.warnedNoKey) {
        this.warnedNoKey = true;
        this.note({ level: 'warning', layer: 'tls', code: 'TLS_NO_KEY', message: this.noKeyReason(), fromClient });
      }
      return;
    }
    let plain = d.keys.decrypt(header, body);
    if (plain === null && d.nextKeys) {
      // Finished was missed or sent in a way we did not track: the traffic keys may already be in use.
      const nk = d.nextKeys;
      plain = nk.decrypt(header, body);
      if (plain !== null) {
        d.keys = nk;
        d.nextKeys = undefined;
      }
    }
    if (plain === null) {
      d.undecryptable++;
      if (d.undecryptable === 1) this.note({ level: 'error', layer: 'tls', code: 'TLS_DECRYPT_FAILED', message: 'record failed authentication: wrong key log for this session?', fromClient });
      return;
    }
    this.facts.decrypted = true;
    let innerType = type;
    if (d.keys.version === '1.3') {
      let end = plain.length;
      while (end > 0 && plain[end - 1] === 0) end--;
      if (end === 0) return;
      innerType = plain[end - 1]!;
      plain = plain.subarray(0, end - 1);
    }
    if (innerType === TLS_CONTENT.applicationData) this.inner.data(fromClient, plain);
    else if (innerType === TLS_CONTENT.handshake) this.handshake(d, fromClient, plain);
    else if (innerType === TLS_CONTENT.alert) this.alert(fromClient, plain);
  }

  private alert(fromClient: boolean, body: Buffer): void {
    if (body.length < 2) return;
    const name = ALERT_NAMES[body[1]!] ?? `description ${body[1]}`;
    this.note({ level: body[0] === ALERT_LEVEL_FATAL ? 'error' : 'info', layer: 'tls', code: 'TLS_ALERT', message: `${body[0] === ALERT_LEVEL_FATAL ? 'fatal' : 'warning'} alert ${name}`, fromClient });
  }

  /** Handshake messages may span records: reassemble, then act on the ones that carry what we need. */
  private handshake(d: Direction, fromClient: boolean, body: Buffer): void {
    if (d.handshake.length + body.length > MAX_HANDSHAKE_BUFFER) {
      // Certificate chains are the largest messages; anything bigger is not a handshake we can follow.
      d.handshake = Buffer.alloc(0);
      return;
    }
    d.handshake = d.handshake.length ? Buffer.concat([d.handshake, body]) : body;
    while (d.handshake.length >= 4) {
      const len = d.handshake.readUIntBE(1, 3);
      if (d.handshake.length < 4 + len) break;
      const type = d.handshake[0]!;
      const msg = d.handshake.subarray(4, 4 + len);
      d.handshake = d.handshake.subarray(4 + len);
      this.handshakeMessage(d, fromClient, type, msg);
    }
    if (d.handshake.length) d.handshake = Buffer.from(d.handshake);
  }

  private handshakeMessage(d: Direction, fromClient: boolean, type: number, msg: Buffer): void {
    if (type === HANDSHAKE.clientHello && fromClient && msg.length >= 2 + RANDOM_LENGTH) {
      this.clientRandom = Buffer.from(msg.subarray(2, 2 + RANDOM_LENGTH));
      this.facts.sni = readSni(msg);
    } else if (type === HANDSHAKE.serverHello && !fromClient && msg.length >= 2 + RANDOM_LENGTH + 1) {
      const random = msg.subarray(2, 2 + RANDOM_LENGTH);
      if (random.toString('hex') === HELLO_RETRY_RANDOM) return;
      this.serverRandom = Buffer.from(random);
      const sidLen = msg[2 + RANDOM_LENGTH]!;
      let o = 2 + RANDOM_LENGTH + 1 + sidLen;
      if (msg.length < o + 3) return;
      this.suiteId = msg.readUInt16BE(o);
      this.suite = CIPHER_SUITES.get(this.suiteId);
      o += 3;
      this.facts.version = findSupportedVersion(msg, o) === TLS13_VERSION ? '1.3' : '1.2';
      this.facts.cipherSuite = this.suite?.name ?? `0x${this.suiteId.toString(16).padStart(4, '0')}`;
      if (this.facts.version === '1.3') this.startTls13Handshake();
    } else if (type === HANDSHAKE.finished && d.keys?.version === '1.3' && d.nextKeys) {
      // [RFC 8446 7.1] each side switches to its application traffic keys after sending Finished.
      d.keys = d.nextKeys;
      d.nextKeys = undefined;
    } else if (type === HANDSHAKE.keyUpdate && d.keys?.version === '1.3' && d.keys.secret) {
      d.keys = d.keys.next();
    }
  }

  private noKeyReason(): string {
    if (!this.suite) return `cipher suite ${this.facts.cipherSuite ?? '(unknown)'} is not an AEAD suite the inspector decrypts`;
    return 'encrypted records but no key-log entry for this session (use --keylog FILE or a capture with a secrets block)';
  }

  private startTls13Handshake(): void {
    this.dirs[0]!.encrypted = true;
    this.dirs[1]!.encrypted = true;
    this.tryKeys(this.dirs[0]!, false);
    this.tryKeys(this.dirs[1]!, true);
  }

  private startTls12Encryption(d: Direction, fromClient: boolean): void {
    d.encrypted = true;
    this.tryKeys(d, fromClient);
  }

  /** Installs this direction's keys if the key log has them (a secrets block may come after the hello). */
  private tryKeys(d: Direction, fromClient: boolean): void {
    const suite = this.suite;
    if (!suite || !this.clientRandom || d.keys) return;
    const secret = (label: string): Buffer | undefined => this.keylog.get(this.clientRandom!, label);
    if (this.facts.version === '1.3') {
      const hs = secret(fromClient ? KEYLOG_LABEL.clientHandshake : KEYLOG_LABEL.serverHandshake);
      const app = secret(fromClient ? KEYLOG_LABEL.clientTraffic0 : KEYLOG_LABEL.serverTraffic0);
      d.keys = hs ? RecordKeys.tls13(suite, hs) : app ? RecordKeys.tls13(suite, app) : undefined;
      d.nextKeys = hs && app ? RecordKeys.tls13(suite, app) : undefined;
      return;
    }
    const master = secret(KEYLOG_LABEL.tls12Master);
    if (!master || !this.serverRandom) return;
    const keys = RecordKeys.tls12(suite, master, this.clientRandom, this.serverRandom);
    d.keys = fromClient ? keys.client : keys.server;
  }
}

/** Walks ServerHello extensions for supported_versions (TLS 1.3 puts its real version there). */
function findSupportedVersion(msg: Buffer, o: number): number | undefined {
  if (msg.length < o + 2) return undefined;
  const end = Math.min(msg.length, o + 2 + msg.readUInt16BE(o));
  o += 2;
  while (o + 4 <= end) {
    const type = msg.readUInt16BE(o);
    const len = msg.readUInt16BE(o + 2);
    if (type === EXTENSION_SUPPORTED_VERSIONS && len >= 2) return msg.readUInt16BE(o + 4);
    o += 4 + len;
  }
  return undefined;
}

const EXTENSION_SERVER_NAME = 0;

/** Server Name Indication from a ClientHello, if any. */
function readSni(msg: Buffer): string | undefined {
  let o = 2 + RANDOM_LENGTH;
  if (msg.length < o + 1) return undefined;
  o += 1 + msg[o]!;
  if (msg.length < o + 2) return undefined;
  o += 2 + msg.readUInt16BE(o);
  if (msg.length < o + 1) return undefined;
  o += 1 + msg[o]!;
  if (msg.length < o + 2) return undefined;
  const end = Math.min(msg.length, o + 2 + msg.readUInt16BE(o));
  o += 2;
  while (o + 4 <= end) {
    const type = msg.readUInt16BE(o);
    const len = msg.readUInt16BE(o + 2);
    if (type === EXTENSION_SERVER_NAME && len >= 5) {
      const nameLen = msg.readUInt16BE(o + 7);
      return msg.subarray(o + 9, o + 9 + nameLen).toString('utf8');
    }
    o += 4 + len;
  }
  return undefined;
}
