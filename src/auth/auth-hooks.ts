// The broker's hook functions (src/broker/hooks.ts) made from an Authenticator and an AclFile, so wiring is
// one line in src/server. Types are structural: auth/ may import only broker/ports.ts (shared/DESIGN.md).
// With per_listener_settings the server passes `select` to pick each listener's pair.
import type { LinkInfo } from '../broker/ports.js';
import type { AclFile } from './acl-file.js';
import type { AuthResult, Authenticator } from './authenticator.js';
import { DEFAULT_THROTTLE } from './failure-throttle.js';

/** MQTT 5.0 CONNACK reason codes (Table 3-1); the broker maps them to 3.1.1 return codes 4 and 5. */
export const CONNACK_BAD_USER_NAME_OR_PASSWORD = 0x86;
export const CONNACK_NOT_AUTHORIZED = 0x87;

export interface ListenerSecurity {
  authenticator: Authenticator;
  /** null: no acl_file, everything allowed (mosquitto's behaviour without one). */
  acl: AclFile | null;
  /** use_identity_as_username / use_subject_as_username on this listener. */
  certificateUsername?: 'identity' | 'subject';
}

interface ConnectInfo {
  readonly clientId: string;
  readonly username?: string;
  readonly password?: Buffer;
  readonly link: LinkInfo;
}

interface Client {
  readonly clientId: string;
  readonly username: string | undefined;
  readonly link: LinkInfo;
}

/** Accept, accept as this user (certificate listeners), or refuse with a 5.0 CONNACK reason code. */
export type AuthVerdict = true | { username: string } | number;

export interface AuthHooks {
  /** Synchronous when no password has to be hashed (the broker then answers CONNECT on its fast path). */
  authenticate(ctx: ConnectInfo): AuthVerdict | Promise<AuthVerdict>;
  authorizePublish(client: Client, topic: string): boolean;
  authorizeSubscribe(client: Client, topicFilter: string): boolean;
  authorizeRead(client: Client, topic: string): boolean;
}

/** CONNACK reason for a refusal: bad credentials -> 0x86 (3.1.1: 4), otherwise 0x87 (3.1.1: 5). */
export function connackReason(result: AuthResult): number | true {
  if (result.ok) return true;
  return result.reason === 'bad-credentials' ? CONNACK_BAD_USER_NAME_OR_PASSWORD : CONNACK_NOT_AUTHORIZED;
}

/**
 * Hooks for the broker. A listener that takes the user name from the client certificate needs the transport
 * to have verified it (LinkInfo.tls.authorized) and to report peerCommonName / peerSubject (computed with
 * cert-identity.ts); such a client is refused with 0x87 when it has none. The verdict `{ username }` asks the
 * broker to use the certificate's user name instead of the CONNECT one (for the ACL, logs and $SYS).
 */
export function createAuthHooks(select: (link: LinkInfo) => ListenerSecurity): AuthHooks {
  const aclCtx = (c: Client) => (c.username === undefined ? { clientId: c.clientId } : { clientId: c.clientId, username: c.username });
  const failed = new FailedAddresses();
  return {
    authenticate(ctx) {
      const security = select(ctx.link);
      let certificateUsername: string | undefined;
      if (security.certificateUsername) {
        const tls = ctx.link.tls;
        certificateUsername = security.certificateUsername === 'identity' ? tls?.peerCommonName : tls?.peerSubject;
        if (!tls?.authorized || certificateUsername === undefined) return CONNACK_NOT_AUTHORIZED;
      }
      const address = ctx.link.remoteAddress;
      // No password to check (a verified certificate, or anonymous access without a user name) and no failed
      // login from this address (so the authenticator's throttle holds nothing for it): the answer is known now.
      if (!failed.has(address)) {
        if (certificateUsername !== undefined) return { username: certificateUsername };
        if (ctx.username === undefined && security.authenticator.allowAnonymous) return true;
      }
      const request = { clientId: ctx.clientId, username: ctx.username, password: ctx.password, remoteAddress: address, certificateUsername };
      return security.authenticator.authenticate(request).then((result) => {
        failed.note(address, result.ok);
        if (result.ok && certificateUsername !== undefined) return { username: certificateUsername };
        return connackReason(result);
      });
    },
    authorizePublish: (client, topic) => select(client.link).acl?.canPublish(aclCtx(client), topic) ?? true,
    authorizeSubscribe: (client, filter) => select(client.link).acl?.canSubscribe(aclCtx(client), filter) ?? true,
    authorizeRead: (client, topic) => select(client.link).acl?.canRead(aclCtx(client), topic) ?? true,
  };
}

/**
 * Addresses whose last login through these hooks failed: only those may be throttled, so every other one can
 * skip the authenticator when no password is involved. Bounded: past the limit every login goes the slow way.
 */
class FailedAddresses {
  private readonly addresses = new Set<string>();
  private overflow = false;

  has(address: string): boolean {
    return this.overflow || this.addresses.has(address);
  }

  note(address: string, ok: boolean): void {
    if (ok) this.addresses.delete(address);
    else if (this.addresses.size < DEFAULT_THROTTLE.maxTracked) this.addresses.add(address);
    else this.overflow = true;
  }
}
