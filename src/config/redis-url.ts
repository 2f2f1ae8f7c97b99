// [cluster] The cluster's Redis as a URL (--cluster, `cluster` in the config file): a standalone Redis, a set of
// Sentinels and the name of the master they watch, or the seed nodes of a Redis Cluster. Read here, in the config
// layer, so a mistake is a usage error before anything starts; src/cluster/redis-target.ts turns the result into
// ioredis clients (the server hands one to the other).

export interface RedisEndpoint {
  host: string;
  port: number;
}

export type RedisTarget =
  /** ioredis reads the URL itself (as before the other forms existed), so its query options keep working. */
  | { kind: 'standalone'; url: string }
  | { kind: 'sentinel'; sentinels: RedisEndpoint[]; name: string; db: number; tls: boolean; username?: string; password?: string }
  | { kind: 'cluster'; nodes: RedisEndpoint[]; tls: boolean; username?: string; password?: string };

/** What the flag's help and every error line say is accepted. */
export const REDIS_URL_FORMS = 'redis://HOST:PORT[/DB], redis-sentinel://HOST:PORT[,HOST:PORT...]/MASTER[?db=N] or redis-cluster://HOST:PORT[,HOST:PORT...] (rediss... for TLS)';

/** A URL that is none of the accepted forms; `part` is the piece that is wrong (never holds the password). */
export class RedisUrlError extends Error {
  override readonly name = 'RedisUrlError';
  constructor(
    readonly code: 'BAD_SCHEME' | 'BAD_HOST' | 'BAD_PORT' | 'BAD_DB' | 'MISSING_MASTER' | 'BAD_PATH' | 'BAD_OPTION',
    readonly part: string,
    detail: string,
  ) {
    super(detail);
  }
}

const DEFAULT_PORT = { standalone: 6379, sentinel: 26379, cluster: 6379 } as const;
const MAX_PORT = 65_535;
/** Redis's default `databases 16`; a server configured with more still answers a bad index clearly at SELECT. */
const MAX_DB = 1_000_000;
const SCHEMES: Record<string, { kind: RedisTarget['kind']; tls: boolean }> = {
  'redis:': { kind: 'standalone', tls: false },
  'rediss:': { kind: 'standalone', tls: true },
  'redis-sentinel:': { kind: 'sentinel', tls: false },
  'rediss-sentinel:': { kind: 'sentinel', tls: true },
  'redis-cluster:': { kind: 'cluster', tls: false },
  'rediss-cluster:': { kind: 'cluster', tls: true },
};
const MASTER_NAME = /^[A-Za-z0-9._-]+$/;

/** Throws RedisUrlError naming the bad part. */
export function parseRedisUrl(url: string): RedisTarget {
  const m = /^([a-z-]+:)\/\/(?:([^@/]*)@)?([^/?#]*)(\/[^?#]*)?(?:\?([^#]*))?$/.exec(url);
  const scheme = m ? SCHEMES[m[1]!] : undefined;
  if (!m || !scheme) throw new RedisUrlError('BAD_SCHEME', url.split('//')[0] ?? url, `expected ${REDIS_URL_FORMS}`);
  const [, , auth, hosts = '', path = '', query] = m;
  const endpoints = parseEndpoints(hosts, DEFAULT_PORT[scheme.kind]);
  if (scheme.kind === 'standalone') {
    if (endpoints.length !== 1) throw new RedisUrlError('BAD_HOST', hosts, `one HOST:PORT for redis://, got "${hosts}" (several Sentinels: redis-sentinel://; a Redis Cluster: redis-cluster://)`);
    if (path !== '' && path !== '/') parseDb(path.slice(1));
    return { kind: 'standalone', url };
  }
  const credentials = parseAuth(auth);
  if (scheme.kind === 'cluster') {
    if (path !== '' && path !== '/') throw new RedisUrlError('BAD_PATH', path, `a Redis Cluster has only database 0: nothing may follow the hosts, got "${path}"`);
    if (query !== undefined) throw new RedisUrlError('BAD_OPTION', query, `redis-cluster:// takes no options, got "?${query}"`);
    return { kind: 'cluster', nodes: endpoints, tls: scheme.tls, ...credentials };
  }
  const name = decodeURIComponent(path.slice(1));
  if (name === '') throw new RedisUrlError('MISSING_MASTER', url, 'redis-sentinel:// needs the master name after the hosts: redis-sentinel://HOST:PORT/MASTER');
  if (!MASTER_NAME.test(name)) throw new RedisUrlError('MISSING_MASTER', name, `master name "${name}": use letters, digits, . _ -`);
  let db = 0;
  for (const option of query === undefined || query === '' ? [] : query.split('&')) {
    const [key, value = ''] = option.split('=');
    if (key !== 'db') throw new RedisUrlError('BAD_OPTION', option, `unknown option "${key}" (redis-sentinel:// takes ?db=N)`);
    db = parseDb(value);
  }
  return { kind: 'sentinel', sentinels: endpoints, name, db, tls: scheme.tls, ...credentials };
}

/** The URL with its password replaced, for every line a person reads. */
export function maskRedisUrl(url: string): string {
  return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
}

function parseEndpoints(hosts: string, defaultPort: number): RedisEndpoint[] {
  if (hosts === '') throw new RedisUrlError('BAD_HOST', hosts, 'no host: expected HOST:PORT after //');
  return hosts.split(',').map((h) => {
    const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::([^:]*))?$/.exec(h);
    if (!m) throw new RedisUrlError('BAD_HOST', h, `bad host "${h}": expected HOST or HOST:PORT`);
    const host = m[1]!.startsWith('[') ? m[1]!.slice(1, -1) : m[1]!;
    if (m[2] === undefined) return { host, port: defaultPort };
    const port = Number(m[2]);
    if (!/^\d+$/.test(m[2]) || port < 1 || port > MAX_PORT) throw new RedisUrlError('BAD_PORT', m[2], `bad port "${m[2]}" in "${h}": expected 1-${MAX_PORT}`);
    return { host, port };
  });
}

function parseDb(text: string): number {
  const db = Number(text);
  if (!/^\d+$/.test(text) || db > MAX_DB) throw new RedisUrlError('BAD_DB', text, `bad database "${text}": expected a number (0-15 on a default Redis)`);
  return db;
}

function parseAuth(auth: string | undefined): { username?: string; password?: string } {
  if (auth === undefined || auth === '') return {};
  const colon = auth.indexOf(':');
  // redis://:PASSWORD@ is the usual form for a Redis with `requirepass` and no ACL user
  const username = decodeURIComponent(colon < 0 ? auth : auth.slice(0, colon));
  const password = colon < 0 ? undefined : decodeURIComponent(auth.slice(colon + 1));
  return { ...(username !== '' && { username }), ...(password !== undefined && { password }) };
}

/** parseRedisUrl with the message a person reads: what is wrong, then the URL as given (password masked). */
export function clusterUrl(url: string): RedisTarget {
  try {
    return parseRedisUrl(url);
  } catch (err) {
    if (!(err instanceof RedisUrlError)) throw err;
    throw new RedisUrlError(err.code, err.part, `${err.message}, got "${maskRedisUrl(url)}"`);
  }
}
