// Record protection of TLS 1.2 AEAD suites and TLS 1.3, from key-log secrets, with node:crypto only.
import { createDecipheriv, createHmac, type CipherGCMTypes, type CipherCCMTypes, type CipherChaCha20Poly1305Types } from 'node:crypto';

type AeadName = CipherGCMTypes | CipherCCMTypes | CipherChaCha20Poly1305Types;

export interface CipherSuite {
  id: number;
  name: string;
  aead: AeadName;
  keyLength: number;
  hash: 'sha256' | 'sha384';
  tagLength: number;
  /** TLS 1.2: length of the implicit IV from the key block (4 for GCM/CCM salt, 12 for ChaCha20). */
  fixedIvLength: number;
  /** TLS 1.2: GCM and CCM send an 8-byte explicit nonce in front of each record. */
  explicitNonce: boolean;
}

const S = (id: number, name: string, aead: AeadName, keyLength: number, hash: 'sha256' | 'sha384', tagLength = 16): CipherSuite => {
  const chacha = aead === 'chacha20-poly1305';
  return { id, name, aead, keyLength, hash, tagLength, fixedIvLength: chacha ? 12 : 4, explicitNonce: !chacha };
};

export const CIPHER_SUITES: ReadonlyMap<number, CipherSuite> = new Map(
  [
    S(0x1301, 'TLS_AES_128_GCM_SHA256', 'aes-128-gcm', 16, 'sha256'),
    S(0x1302, 'TLS_AES_256_GCM_SHA384', 'aes-256-gcm', 32, 'sha384'),
    S(0x1303, 'TLS_CHACHA20_POLY1305_SHA256', 'chacha20-poly1305', 32, 'sha256'),
    S(0x1304, 'TLS_AES_128_CCM_SHA256', 'aes-128-ccm', 16, 'sha256'),
    S(0x1305, 'TLS_AES_128_CCM_8_SHA256', 'aes-128-ccm', 16, 'sha256', 8),
    S(0x009c, 'TLS_RSA_WITH_AES_128_GCM_SHA256', 'aes-128-gcm', 16, 'sha256'),
    S(0x009d, 'TLS_RSA_WITH_AES_256_GCM_SHA384', 'aes-256-gcm', 32, 'sha384'),
    S(0x009e, 'TLS_DHE_RSA_WITH_AES_128_GCM_SHA256', 'aes-128-gcm', 16, 'sha256'),
    S(0x009f, 'TLS_DHE_RSA_WITH_AES_256_GCM_SHA384', 'aes-256-gcm', 32, 'sha384'),
    S(0xc02b, 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'aes-128-gcm', 16, 'sha256'),
    S(0xc02c, 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', 'aes-256-gcm', 32, 'sha384'),
    S(0xc02f, 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'aes-128-gcm', 16, 'sha256'),
    S(0xc030, 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', 'aes-256-gcm', 32, 'sha384'),
    S(0xcca8, 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256', 'chacha20-poly1305', 32, 'sha256'),
    S(0xcca9, 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', 'chacha20-poly1305', 32, 'sha256'),
    S(0xccaa, 'TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256', 'chacha20-poly1305', 32, 'sha256'),
  ].map((s) => [s.id, s]),
);

const HASH_LENGTH = { sha256: 32, sha384: 48 } as const;
const TLS13_IV_LENGTH = 12;

/** TLS 1.2 PRF (RFC 5246 section 5): P_hash(secret, label + seed). */
export function tls12Prf(hash: 'sha256' | 'sha384', secret: Buffer, label: string, seed: Buffer, length: number): Buffer {
  const labelSeed = Buffer.concat([Buffer.from(label, 'latin1'), seed]);
  const out: Buffer[] = [];
  let total = 0;
  let a = labelSeed;
  while (total < length) {
    a = createHmac(hash, secret).update(a).digest();
    const block = createHmac(hash, secret).update(a).update(labelSeed).digest();
    out.push(block);
    total += block.length;
  }
  return Buffer.concat(out).subarray(0, length);
}

/** HKDF-Expand-Label (RFC 8446 section 7.1) with an empty context. */
export function hkdfExpandLabel(hash: 'sha256' | 'sha384', secret: Buffer, label: string, length: number): Buffer {
  const fullLabel = Buffer.from(`tls13 ${label}`, 'latin1');
  const info = Buffer.concat([Buffer.from([length >> 8, length & 0xff, fullLabel.length]), fullLabel, Buffer.from([0])]);
  const out: Buffer[] = [];
  let prev = Buffer.alloc(0);
  let total = 0;
  for (let i = 1; total < length; i++) {
    prev = createHmac(hash, secret).update(prev).update(info).update(Buffer.from([i])).digest();
    out.push(prev);
    total += prev.length;
  }
  return Buffer.concat(out).subarray(0, length);
}

/** One direction's record protection: key, IV and the record sequence number. */
export class RecordKeys {
  seq = 0n;
  constructor(
    readonly suite: CipherSuite,
    readonly version: '1.2' | '1.3',
    readonly key: Buffer,
    readonly iv: Buffer,
    /** TLS 1.3 traffic secret, kept for KeyUpdate. */
    readonly secret?: Buffer,
  ) {}

  static tls13(suite: CipherSuite, secret: Buffer): RecordKeys {
    return new RecordKeys(
      suite, '1.3',
      hkdfExpandLabel(suite.hash, secret, 'key', suite.keyLength),
      hkdfExpandLabel(suite.hash, secret, 'iv', TLS13_IV_LENGTH),
      secret,
    );
  }

  /** KeyUpdate: application_traffic_secret_N+1 = HKDF-Expand-Label(secret_N, "traffic upd", "", Hash.length). */
  next(): RecordKeys {
    return RecordKeys.tls13(this.suite, hkdfExpandLabel(this.suite.hash, this.secret!, 'traffic upd', HASH_LENGTH[this.suite.hash]));
  }

  /** Both directions' TLS 1.2 keys from the master secret and the two hello randoms. */
  static tls12(suite: CipherSuite, master: Buffer, clientRandom: Buffer, serverRandom: Buffer): { client: RecordKeys; server: RecordKeys } {
    const k = suite.keyLength;
    const v = suite.fixedIvLength;
    // AEAD suites have no MAC keys, so the block is client key, server key, client IV, server IV.
    const block = tls12Prf(suite.hash, master, 'key expansion', Buffer.concat([serverRandom, clientRandom]), 2 * k + 2 * v);
    return {
      client: new RecordKeys(suite, '1.2', block.subarray(0, k), block.subarray(2 * k, 2 * k + v)),
      server: new RecordKeys(suite, '1.2', block.subarray(k, 2 * k), block.subarray(2 * k + v, 2 * k + 2 * v)),
    };
  }

  private seqNonce(iv: Buffer): Buffer {
    const nonce = Buffer.from(iv);
    const seq = Buffer.alloc(8);
    seq.writeBigUInt64BE(this.seq);
    for (let i = 0; i < 8; i++) nonce[nonce.length - 8 + i]! ^= seq[i]!;
    return nonce;
  }

  /**
   * Decrypts one record body (after the 5-byte header). TLS 1.3 returns the inner plaintext with its content
   * type byte still at the end. Returns null when authentication fails; the sequence number advances only on success.
   */
  decrypt(header: Buffer, body: Buffer): Buffer | null {
    const tag = this.suite.tagLength;
    let nonce: Buffer;
    let cipherText: Buffer;
    let aad: Buffer;
    if (this.version === '1.3') {
      nonce = this.seqNonce(this.iv);
      cipherText = body.subarray(0, body.length - tag);
      aad = header;
    } else {
      let start = 0;
      if (this.suite.explicitNonce) {
        nonce = Buffer.concat([this.iv, body.subarray(0, 8)]);
        start = 8;
      } else {
        nonce = this.seqNonce(this.iv);
      }
      cipherText = body.subarray(start, body.length - tag);
      aad = Buffer.alloc(13);
      aad.writeBigUInt64BE(this.seq, 0);
      header.copy(aad, 8, 0, 3);
      aad.writeUInt16BE(cipherText.length, 11);
    }
    if (cipherText.length < 0 || body.length < tag) return null;
    try {
      const authTag = body.subarray(body.length - tag);
      let plain: Buffer;
      if (this.suite.aead === 'aes-128-ccm') {
        const d = createDecipheriv('aes-128-ccm', this.key, nonce, { authTagLength: tag });
        d.setAuthTag(authTag);
        d.setAAD(aad, { plaintextLength: cipherText.length });
        plain = d.update(cipherText);
        d.final();
      } else if (this.suite.aead === 'chacha20-poly1305') {
        const d = createDecipheriv('chacha20-poly1305', this.key, nonce, { authTagLength: tag });
        d.setAAD(aad, { plaintextLength: cipherText.length });
        d.setAuthTag(authTag);
        plain = Buffer.concat([d.update(cipherText), d.final()]);
      } else {
        const d = createDecipheriv(this.suite.aead as CipherGCMTypes, this.key, nonce);
        d.setAAD(aad);
        d.setAuthTag(authTag);
        plain = Buffer.concat([d.update(cipherText), d.final()]);
      }
      this.seq++;
      return plain;
    } catch {
      return null;
    }
  }
}
