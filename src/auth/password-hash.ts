// Mosquitto's password hashes, checked against files written by Debian's mosquitto_passwd 2.0.11:
//   $6$SALT$HASH            HASH = base64(SHA-512(password || salt)), SALT = base64(12 random bytes)
//   $7$ITER$SALT$HASH       HASH = base64(PBKDF2-HMAC-SHA512(password, salt, ITER, 64 bytes)); ITER is 101
//   $argon2id$v=19$m=M,t=T,p=P$SALT$HASH   the PHC string libargon2 writes (mosquitto 2.1's default),
//                           base64 without padding; verified with the pure-JS @noble/hashes (no native build)
//                           in a worker thread (argon2-worker.ts).
import { createHash, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { argon2idInWorker } from './argon2-worker.js';

const pbkdf2Async = promisify(pbkdf2);

export const SHA512_BYTES = 64;
/** What mosquitto_passwd 2.0 writes: 12 bytes of salt and 101 PBKDF2 iterations. */
export const MOSQUITTO_SALT_BYTES = 12;
export const MOSQUITTO_PBKDF2_ITERATIONS = 101;
/** Refuse hashes that would make one login cost more than this (a password file is not a DoS lever). */
export const MAX_PBKDF2_ITERATIONS = 10_000_000;
export const MAX_ARGON2_MEMORY_KIB = 1024 * 1024;
const ARGON2_VERSION = 0x13;

export type PasswordHash =
  | { kind: 'sha512'; salt: Buffer; hash: Buffer }
  | { kind: 'pbkdf2-sha512'; iterations: number; salt: Buffer; hash: Buffer }
  | { kind: 'argon2id'; memoryKiB: number; passes: number; parallelism: number; salt: Buffer; hash: Buffer };

export type HashParseResult = { ok: true; hash: PasswordHash } | { ok: false; code: 'PASSWORD_HASH_UNSUPPORTED' | 'PASSWORD_HASH_INVALID'; detail: string };

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const BASE64_UNPADDED = /^[A-Za-z0-9+/]+$/;

/** Strict base64: only what re-encodes to the same text, so a typo never silently shortens a hash. */
function decodeBase64(text: string, padded: boolean): Buffer | null {
  if (!(padded ? BASE64 : BASE64_UNPADDED).test(text)) return null;
  const bytes = Buffer.from(text, 'base64');
  const again = bytes.toString('base64');
  return (padded ? again : again.replace(/=+$/, '')) === text ? bytes : null;
}

const invalid = (detail: string): HashParseResult => ({ ok: false, code: 'PASSWORD_HASH_INVALID', detail });

function positiveInt(text: string | undefined, max: number): number | null {
  if (text === undefined || !/^[0-9]{1,10}$/.test(text)) return null;
  const n = Number(text);
  return n >= 1 && n <= max ? n : null;
}

/** Parses the part of a password-file line after `user:`. */
export function parsePasswordHash(text: string): HashParseResult {
  const parts = text.split('$');
  if (parts[0] !== '' || parts.length < 2) return invalid('password is not a hash (plain-text passwords are not accepted)');
  const kind = parts[1];
  if (kind === '6') {
    if (parts.length !== 4) return invalid("a $6$ hash has the form $6$SALT$HASH");
    const salt = decodeBase64(parts[2]!, true);
    const hash = decodeBase64(parts[3]!, true);
    if (!salt || salt.length === 0) return invalid('$6$ salt is not valid base64');
    if (!hash || hash.length !== SHA512_BYTES) return invalid(`$6$ hash is not ${SHA512_BYTES} bytes of base64`);
    return { ok: true, hash: { kind: 'sha512', salt, hash } };
  }
  if (kind === '7') {
    if (parts.length !== 5) return invalid('a $7$ hash has the form $7$ITERATIONS$SALT$HASH');
    const iterations = positiveInt(parts[2], MAX_PBKDF2_ITERATIONS);
    if (iterations === null) return invalid(`$7$ iteration count must be 1..${MAX_PBKDF2_ITERATIONS}`);
    const salt = decodeBase64(parts[3]!, true);
    const hash = decodeBase64(parts[4]!, true);
    if (!salt || salt.length === 0) return invalid('$7$ salt is not valid base64');
    if (!hash || hash.length !== SHA512_BYTES) return invalid(`$7$ hash is not ${SHA512_BYTES} bytes of base64`);
    return { ok: true, hash: { kind: 'pbkdf2-sha512', iterations, salt, hash } };
  }
  if (kind === 'argon2id') return parseArgon2id(parts);
  return { ok: false, code: 'PASSWORD_HASH_UNSUPPORTED', detail: `unsupported hash type '$${kind}$' (supported: $6$, $7$, $argon2id$)` };
}

function parseArgon2id(parts: string[]): HashParseResult {
  // ['', 'argon2id', 'v=19', 'm=..,t=..,p=..', salt, hash]
  if (parts.length !== 6) return invalid('an argon2id hash has the form $argon2id$v=19$m=M,t=T,p=P$SALT$HASH');
  if (parts[2] !== `v=${ARGON2_VERSION}`) return invalid(`argon2id version must be v=${ARGON2_VERSION}`);
  const params = /^m=([0-9]+),t=([0-9]+),p=([0-9]+)$/.exec(parts[3]!);
  if (!params) return invalid('argon2id parameters must be m=M,t=T,p=P');
  const memoryKiB = positiveInt(params[1], MAX_ARGON2_MEMORY_KIB);
  const passes = positiveInt(params[2], MAX_PBKDF2_ITERATIONS);
  const parallelism = positiveInt(params[3], 255);
  if (memoryKiB === null || passes === null || parallelism === null) return invalid('argon2id parameter out of range');
  if (memoryKiB < 8 * parallelism) return invalid('argon2id memory must be at least 8 KiB per lane');
  const salt = decodeBase64(parts[4]!, false);
  const hash = decodeBase64(parts[5]!, false);
  if (!salt || salt.length < 8) return invalid('argon2id salt is not base64 of at least 8 bytes');
  if (!hash || hash.length < 4) return invalid('argon2id hash is not valid base64');
  return { ok: true, hash: { kind: 'argon2id', memoryKiB, passes, parallelism, salt, hash } };
}

async function derive(hash: PasswordHash, password: Buffer): Promise<Buffer> {
  switch (hash.kind) {
    case 'sha512':
      return createHash('sha512').update(password).update(hash.salt).digest();
    case 'pbkdf2-sha512':
      return pbkdf2Async(password, hash.salt, hash.iterations, SHA512_BYTES, 'sha512');
    case 'argon2id':
      return argon2idInWorker({
        password,
        salt: hash.salt,
        memoryKiB: hash.memoryKiB,
        passes: hash.passes,
        parallelism: hash.parallelism,
        length: hash.hash.length,
      });
  }
}

/** Whether `password` matches; the final comparison takes the same time wherever the bytes differ. */
export async function verifyPassword(hash: PasswordHash, password: Buffer): Promise<boolean> {
  let derived: Buffer;
  try {
    derived = await derive(hash, password);
  } catch {
    return false; // e.g. too many argon2id logins waiting: no proof, no login
  }
  return derived.length === hash.hash.length && timingSafeEqual(derived, hash.hash);
}

/** A new `$7$` hash exactly as mosquitto_passwd 2.0 writes one (unless more iterations are asked for). */
export async function createPbkdf2Hash(password: Buffer, iterations = MOSQUITTO_PBKDF2_ITERATIONS): Promise<string> {
  const salt = randomBytes(MOSQUITTO_SALT_BYTES);
  const hash = await pbkdf2Async(password, salt, iterations, SHA512_BYTES, 'sha512');
  return `$7$${iterations}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** A hash no password matches, verified for unknown users so a wrong name costs as long as a wrong password. */
export function decoyHash(): PasswordHash {
  return { kind: 'pbkdf2-sha512', iterations: MOSQUITTO_PBKDF2_ITERATIONS, salt: randomBytes(MOSQUITTO_SALT_BYTES), hash: randomBytes(SHA512_BYTES) };
}
