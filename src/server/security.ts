// [security] Authentication and authorization built from the Config: one Authenticator (password file,
// allow_anonymous, failure throttle) and one AclFile per distinct settings, chosen per listener, turned into
// the broker's hooks. Reloaded on SIGHUP: a broken file keeps the previous one in force.
import { TLSSocket } from 'node:tls';
import type { Logger as PinoLogger } from 'pino';
import { AclFile } from '../auth/acl-file.js';
import { createAuthHooks, type ListenerSecurity } from '../auth/auth-hooks.js';
import { Authenticator } from '../auth/authenticator.js';
import { DEFAULT_THROTTLE, type ThrottleOptions } from '../auth/failure-throttle.js'; // [security] auth_fail_* settings
import { certificateUsername } from '../auth/cert-identity.js';
import { AuthFileError } from '../auth/errors.js';
import type { BrokerHooks } from '../broker/hooks.js';
import type { Link, LinkInfo } from '../broker/ports.js';
import { listenerSecurity } from '../config/config-file.js';
import type { Config, ListenerConfig } from '../config/config.js';
import { ReasonCode } from '../protocol/constants.js';

const MS_PER_SECOND = 1000;

/** A password or ACL file that stops the start; the message is `FILE:LINE: what is wrong`. */
export class SecurityStartError extends Error {
  override readonly name = 'SecurityStartError';
  constructor(readonly fileError: Error) {
    super(fileError.message);
  }
}

export interface Security {
  /** authenticate, authorizePublish, authorizeSubscribe, authorizeRead for the broker. */
  readonly hooks: BrokerHooks;
  /** Ties a listening listener (by name) to the entry it was built from (per-listener settings, certificate user names). */
  bindListener(name: string, listener: ListenerConfig): void;
  /** Exact certificate identity on TLS links of listeners that take the user name from the certificate. */
  prepareLink(link: Link): Link;
  /** Re-reads every password and ACL file; returns the errors (the previous file stays in force for each). */
  reload(): Error[];
  /** One line per distinct setting, for the start log. */
  describe(): string[];
}

/** One set of files with its loaded state; shared by the listeners that use the same settings. */
interface Domain {
  readonly key: string;
  readonly allowAnonymous: boolean;
  readonly passwordFile: string | undefined;
  readonly aclFile: string | undefined;
  readonly authenticator: Authenticator;
  acl: AclFile | null;
}

/**
 * Loads every password and ACL file the configuration names, so a bad file stops the start with its
 * AuthFileError (`FILE:LINE: ...`).
 */
export function createSecurity(config: Config, logger: PinoLogger): Security {
  try {
    return buildSecurity(config, logger);
  } catch (err) {
    if (err instanceof AuthFileError) throw new SecurityStartError(err);
    throw err;
  }
}

function buildSecurity(config: Config, logger: PinoLogger): Security {
  const domains = new Map<string, Domain>();
  // mosquitto 2's local-only default looks at every flag listener, ws/tls/wss/unix too (listenerSecurity), so
  // `--host 0.0.0.0 --ws-port N` does not let anonymous clients in
  const domainFor = (listener?: ListenerConfig): Domain => {
    const s = listenerSecurity(config, listener);
    const key = JSON.stringify([s.allowAnonymous, s.passwordFile ?? null, s.aclFile ?? null]);
    let d = domains.get(key);
    if (!d) {
      const authenticator = new Authenticator({ allowAnonymous: s.allowAnonymous, passwordFile: s.passwordFile, throttle: throttleOptions(config) }); // [security] throttle settings
      d = { key, allowAnonymous: s.allowAnonymous, passwordFile: s.passwordFile, aclFile: s.aclFile, authenticator, acl: s.aclFile ? AclFile.load(s.aclFile) : null };
      domains.set(key, d);
    }
    return d;
  };
  const view = (d: Domain, listener?: ListenerConfig): ListenerSecurity => ({
    authenticator: d.authenticator,
    get acl() {
      return d.acl; // read on every check, so a reload takes effect at once
    },
    ...(listener?.certificateUsername ? { certificateUsername: listener.certificateUsername } : {}),
  });

  // Flag and default listeners use the global settings; each file listener its own view (certificate mode,
  // per_listener_settings). Loading them all now makes a bad file fail the start, not the first login.
  const fallback = view(domainFor());
  const byConfig = new Map<ListenerConfig, ListenerSecurity>();
  for (const l of config.listeners ?? []) byConfig.set(l, view(domainFor(l), l));
  const byName = new Map<string, ListenerSecurity>();
  const certificateListeners = new Map<string, 'identity' | 'subject'>();
  const select = (link: LinkInfo): ListenerSecurity => byName.get(link.listener) ?? fallback;

  const auth = createAuthHooks(select);
  const withAcl = [...domains.values()].some((d) => d.aclFile !== undefined);
  const hooks: BrokerHooks = {
    async authenticate(ctx) {
      const verdict = await auth.authenticate(ctx);
      if (typeof verdict === 'number') {
        // never the password: only who, from where, and the code they got
        const code = verdict === ReasonCode.BadUserNameOrPassword ? 'bad user name or password' : 'not authorised';
        logger.info({ clientId: ctx.clientId, username: ctx.username, remote: ctx.link.remoteAddress, listener: ctx.link.listener }, `connection refused: ${code}`);
      }
      return verdict;
    },
  };
  if (withAcl) {
    // without any acl_file everything is allowed: no hook, so delivery's hot path stays free
    hooks.authorizePublish = (client, topic) => auth.authorizePublish(client, topic);
    hooks.authorizeSubscribe = (client, filter) => auth.authorizeSubscribe(client, filter);
    hooks.authorizeRead = (client, topic) => auth.authorizeRead(client, topic);
  }

  return {
    hooks,
    bindListener(name, listener) {
      // [transport] a flag listener has the global settings, plus --use-identity-as-username on tls/wss
      const s = byConfig.get(listener) ?? (listener.certificateUsername ? view(domainFor(), listener) : undefined);
      if (s) byName.set(name, s);
      if (listener.certificateUsername) certificateListeners.set(name, listener.certificateUsername);
    },
    prepareLink(link) {
      const mode = certificateListeners.get(link.info.listener);
      if (mode && link.info.tls && link.stream instanceof TLSSocket) exactIdentity(link, link.stream, mode);
      return link;
    },
    reload() {
      const errors: Error[] = [];
      for (const d of domains.values()) {
        try {
          d.authenticator.reload();
        } catch (err) {
          errors.push(err as Error);
        }
        if (!d.aclFile) continue;
        try {
          d.acl = AclFile.load(d.aclFile);
        } catch (err) {
          errors.push(err as Error);
        }
      }
      return errors;
    },
    describe() {
      const throttle = { ...DEFAULT_THROTTLE, ...throttleOptions(config) }; // [security] the throttle in force
      const throttleLine = throttle.lockoutMs === 0
        ? 'security: failed-login throttle off'
        : `security: failed-login throttle ${throttle.maxFailures} failure(s) in ${throttle.windowMs / MS_PER_SECOND} s -> ${throttle.lockoutMs / MS_PER_SECOND} s lockout per address`;
      return [throttleLine, ...[...domains.values()].map(
        (d) =>
          `security: anonymous ${d.allowAnonymous ? 'allowed' : 'refused'}, ` +
          `password file ${d.passwordFile ?? 'none'} (${d.authenticator.userCount} user(s)), acl file ${d.aclFile ?? 'none (everything allowed)'}`,
      )];
    },
  };
}

/**
 * The transport reports the certificate subject from Node's parsed object, which loses attribute order,
 * multi-valued RDNs and escaping; mosquitto's user name is OpenSSL's RFC 2253 text of the DER, which
 * cert-identity.ts reproduces. A certificate the user name cannot come from (no CN, a NUL in it) leaves the
 * fact unset, so the client is refused (0x87).
 */
function exactIdentity(link: Link, socket: TLSSocket, mode: 'identity' | 'subject'): void {
  const tls = link.info.tls!;
  const result = certificateUsername(socket.getPeerCertificate(), mode);
  const key = mode === 'identity' ? 'peerCommonName' : 'peerSubject';
  if (result.ok) tls[key] = result.username;
  else delete tls[key];
}

/** [security] auth_fail_limit / auth_fail_window / auth_lockout: any of them 0 turns the throttle off (no lockout ever). */
function throttleOptions(config: Config): Partial<ThrottleOptions> {
  const t = config.authThrottle;
  if (!t) return {};
  const out: Partial<ThrottleOptions> = {};
  if (t.limit !== undefined) out.maxFailures = t.limit;
  if (t.windowS !== undefined) out.windowMs = t.windowS * MS_PER_SECOND;
  if (t.lockoutS !== undefined) out.lockoutMs = t.lockoutS * MS_PER_SECOND;
  if (t.limit === 0 || t.windowS === 0 || t.lockoutS === 0) out.lockoutMs = 0; // a lock that ends as it starts
  return out;
}
