// A mosquitto password file: one `user:HASH` per line, `#` comments, blank lines.
// Mosquitto skips lines it cannot read with a notice; glassmq refuses the whole file with FILE:LINE instead,
// because a silently ignored line is a user who can no longer log in (or, worse, a typo nobody notices).
import { readFileSync } from 'node:fs';
import { AuthFileError } from './errors.js';
import { decoyHash, parsePasswordHash, verifyPassword, type PasswordHash } from './password-hash.js';

/** Longest user name an MQTT string can carry. */
export const MAX_USERNAME_BYTES = 65535;

export interface PasswordEntry {
  username: string;
  hash: PasswordHash;
  line: number;
}

export function readTextFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new AuthFileError('FILE_UNREADABLE', path, 0, `cannot read file (${reason})`);
  }
}

/** Lines without their line ending; `\r\n` files (edited on Windows) read the same. */
export function splitLines(text: string): string[] {
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

export function usernameProblem(username: string): string | null {
  if (username.length === 0) return 'empty user name';
  if (username.includes(':')) return "user name contains ':'";
  if (/[\r\n]/.test(username)) return 'user name contains a line break';
  if (Buffer.byteLength(username, 'utf8') > MAX_USERNAME_BYTES) return 'user name longer than 65535 bytes';
  return null;
}

export function parsePasswordFile(text: string, file: string): Map<string, PasswordEntry> {
  const users = new Map<string, PasswordEntry>();
  splitLines(text).forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || raw.startsWith('#')) return;
    const colon = trimmed.indexOf(':');
    if (colon < 0) throw new AuthFileError('PASSWORD_LINE_INVALID', file, line, "expected 'user:hash'");
    const username = trimmed.slice(0, colon).trim();
    const hashText = trimmed.slice(colon + 1).trim();
    const problem = usernameProblem(username);
    if (problem) throw new AuthFileError('PASSWORD_LINE_INVALID', file, line, problem);
    if (hashText === '') throw new AuthFileError('PASSWORD_LINE_INVALID', file, line, `no password hash for user '${username}'`);
    const parsed = parsePasswordHash(hashText);
    if (!parsed.ok) throw new AuthFileError(parsed.code, file, line, `user '${username}': ${parsed.detail}`);
    const earlier = users.get(username);
    if (earlier) {
      throw new AuthFileError('PASSWORD_USER_DUPLICATE', file, line, `user '${username}' already defined on line ${earlier.line}`);
    }
    users.set(username, { username, hash: parsed.hash, line });
  });
  return users;
}

export class PasswordFile {
  private constructor(
    readonly path: string,
    private readonly users: Map<string, PasswordEntry>,
  ) {}

  /** Reads and validates the whole file; throws AuthFileError (FILE:LINE) on the first bad line. */
  static load(path: string): PasswordFile {
    return new PasswordFile(path, parsePasswordFile(readTextFile(path), path));
  }

  static fromText(text: string, name = '<text>'): PasswordFile {
    return new PasswordFile(name, parsePasswordFile(text, name));
  }

  get size(): number {
    return this.users.size;
  }

  has(username: string): boolean {
    return this.users.has(username);
  }

  /** True only for a known user whose hash matches; unknown users cost one decoy hash so timing tells nothing. */
  async verify(username: string, password: Buffer): Promise<boolean> {
    const entry = this.users.get(username);
    const ok = await verifyPassword(entry ? entry.hash : decoyHash(), password);
    return entry !== undefined && ok;
  }
}

/**
 * The file text with `username`'s line replaced by `username:hash` (appended when absent), or removed when
 * `hash` is null. Comments, other users and their order stay as they were, as mosquitto_passwd keeps them.
 */
export function setPasswordLine(text: string, username: string, hash: string | null): { text: string; found: boolean } {
  const out: string[] = [];
  let found = false;
  for (const raw of splitLines(text)) {
    const colon = raw.indexOf(':');
    const isUser = !raw.startsWith('#') && colon >= 0 && raw.slice(0, colon).trim() === username;
    if (!isUser) {
      out.push(raw);
    } else if (!found) {
      found = true;
      if (hash !== null) out.push(`${username}:${hash}`);
    }
  }
  if (!found && hash !== null) out.push(`${username}:${hash}`);
  return { text: out.length > 0 ? `${out.join('\n')}\n` : '', found };
}
