// CONNECT authentication: allow_anonymous + password file + per-address failure throttle, in the shape the
// broker's hook expects. The broker maps `bad-credentials` to CONNACK 4 (3.1.1) / 0x86 (5.0) and
// `not-authorized` to CONNACK 5 / 0x87. `detail` is for logs and traces; it never carries the password.
import type { Clock } from '../broker/ports.js';
import { DEFAULT_THROTTLE, FailureThrottle, type ThrottleOptions } from './failure-throttle.js';
import { PasswordFile } from './password-file.js';

export interface AuthRequest {
  clientId: string;
  username?: string;
  password?: Buffer;
  remoteAddress: string;
  /**
   * The user name taken from a verified client certificate (use_identity_as_username /
   * use_subject_as_username, see cert-identity.ts). When set, it replaces the CONNECT user name and no
   * password is checked, as in mosquitto.
   */
  certificateUsername?: string;
}

export type AuthDetail =
  | 'anonymous'
  | 'password'
  | 'certificate'
  | 'anonymous-refused'
  | 'unknown-user'
  | 'bad-password'
  | 'missing-password'
  | 'throttled';

export type AuthResult =
  | { ok: true; username?: string; detail: AuthDetail }
  | { ok: false; reason: 'bad-credentials' | 'not-authorized'; detail: AuthDetail; retryAfterMs?: number };

export interface AuthenticatorOptions {
  allowAnonymous: boolean;
  passwordFile?: string;
  throttle?: Partial<ThrottleOptions>;
  clock?: Pick<Clock, 'now'>;
}

export class Authenticator {
  private passwords: PasswordFile | null;
  private options: AuthenticatorOptions;
  private readonly throttle: FailureThrottle;

  /** Loads the password file now, so a bad file stops the start (AuthFileError with FILE:LINE). */
  constructor(options: AuthenticatorOptions) {
    this.options = options;
    this.passwords = options.passwordFile ? PasswordFile.load(options.passwordFile) : null;
    this.throttle = new FailureThrottle({ ...DEFAULT_THROTTLE, ...options.throttle }, options.clock);
  }

  /**
   * Re-reads the password file (SIGHUP), optionally with new settings. A bad file throws and leaves the
   * previous users in force, so a typo during reload does not lock everybody out or let everybody in.
   */
  reload(next: Partial<Pick<AuthenticatorOptions, 'allowAnonymous' | 'passwordFile'>> = {}): void {
    const options = { ...this.options, ...next };
    const passwords = options.passwordFile ? PasswordFile.load(options.passwordFile) : null;
    this.options = options;
    this.passwords = passwords;
  }

  get allowAnonymous(): boolean {
    return this.options.allowAnonymous;
  }

  get userCount(): number {
    return this.passwords?.size ?? 0;
  }

  async authenticate(request: AuthRequest): Promise<AuthResult> {
    const address = request.remoteAddress;
    const waitMs = this.throttle.lockedFor(address);
    if (waitMs > 0) return { ok: false, reason: 'not-authorized', detail: 'throttled', retryAfterMs: waitMs };

    if (request.certificateUsername !== undefined) {
      return { ok: true, username: request.certificateUsername, detail: 'certificate' };
    }
    const result = await this.check(request);
    if (result.ok) this.throttle.recordSuccess(address);
    else this.throttle.recordFailure(address);
    return result;
  }

  private async check(request: AuthRequest): Promise<AuthResult> {
    const { username, password } = request;
    if (username === undefined) {
      return this.options.allowAnonymous
        ? { ok: true, detail: 'anonymous' }
        : { ok: false, reason: 'not-authorized', detail: 'anonymous-refused' };
    }
    if (this.passwords === null) {
      // Without a password file a user name proves nothing: the client is anonymous in all but name.
      return this.options.allowAnonymous
        ? { ok: true, username, detail: 'anonymous' }
        : { ok: false, reason: 'not-authorized', detail: 'anonymous-refused' };
    }
    if (password === undefined) {
      const known = this.passwords.has(username);
      await this.passwords.verify(username, Buffer.alloc(0)); // same cost as a wrong password
      return { ok: false, reason: 'bad-credentials', detail: known ? 'missing-password' : 'unknown-user' };
    }
    if (await this.passwords.verify(username, password)) return { ok: true, username, detail: 'password' };
    return { ok: false, reason: 'bad-credentials', detail: this.passwords.has(username) ? 'bad-password' : 'unknown-user' };
  }
}
