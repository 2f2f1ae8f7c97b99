// Who may use the HTTP listener. On a loopback address anyone on this machine may (like the MQTT listener);
// bound anywhere else every API call needs the token. Host headers are checked on loopback so that a web page
// on another site cannot reach the API through DNS rebinding.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const TOKEN_BYTES = 16;
const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

export type AccessDenial = 'TOKEN_REQUIRED' | 'TOKEN_INVALID' | 'HOST_REJECTED';

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_NAMES.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host) || host === '::ffff:127.0.0.1';
}

export function generateToken(): string {
  return randomBytes(TOKEN_BYTES).toString('hex');
}

/** The token a request carries: `Authorization: Bearer T` or `?token=T` (EventSource cannot set headers). */
export function requestToken(req: IncomingMessage, url: URL): string | undefined {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice('Bearer '.length).trim();
  return url.searchParams.get('token') ?? undefined;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The Host header's name part ("127.0.0.1:18083" -> "127.0.0.1", "[::1]:80" -> "[::1]"). */
function hostName(header: string | undefined): string {
  if (!header) return '';
  if (header.startsWith('[')) return header.slice(0, header.indexOf(']') + 1);
  const colon = header.indexOf(':');
  return colon < 0 ? header : header.slice(0, colon);
}

export interface AccessPolicy {
  /** undefined: no token needed (loopback listener without --http-token). */
  readonly token: string | undefined;
  /** Whether the listener is bound to a loopback address. */
  readonly loopback: boolean;
}

/** Why a request is refused, or undefined when it may proceed. */
export function checkAccess(policy: AccessPolicy, req: IncomingMessage, url: URL): AccessDenial | undefined {
  if (policy.loopback && !isLoopbackHost(hostName(req.headers.host))) return 'HOST_REJECTED';
  if (policy.token === undefined) return undefined;
  const given = requestToken(req, url);
  if (given === undefined) return 'TOKEN_REQUIRED';
  return sameSecret(given, policy.token) ? undefined : 'TOKEN_INVALID';
}
