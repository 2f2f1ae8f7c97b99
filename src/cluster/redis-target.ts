// Which Redis the cluster uses and how to reach it: a standalone server (a URL ioredis reads), the master a set of
// Sentinels names (ioredis follows failovers), or a Redis Cluster (ioredis follows slots). The URL is read in
// src/config/redis-url.ts; this file builds the ioredis client for each of the node's connections.
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';

export interface RedisEndpoint {
  host: string;
  port: number;
}

export type RedisTarget =
  | { kind: 'standalone'; url: string }
  | { kind: 'sentinel'; sentinels: RedisEndpoint[]; name: string; db: number; tls: boolean; username?: string; password?: string }
  | { kind: 'cluster'; nodes: RedisEndpoint[]; tls: boolean; username?: string; password?: string };

/** How RedisLink wants every connection to behave, whatever the target. */
export interface ClientTuning {
  connectTimeout: number;
  enableOfflineQueue: boolean;
  maxRetriesPerRequest: number;
  enableAutoPipelining: boolean;
  /** ms before the next attempt, or null to give up (at start: the node reports Redis unreachable). */
  retryStrategy: (times: number) => number | null;
}

/**
 * One new, not yet connected (lazyConnect) client. A Cluster is returned typed as Redis: both are ioredis
 * Commanders with the same commands, events ('ready', 'close', 'messageBuffer') and status values, and the bus
 * uses nothing else; the hash-tagged key prefix (keys.ts) keeps each MULTI on one slot.
 */
export function createRedisClient(target: RedisTarget | string, tuning: ClientTuning): Redis {
  const t: RedisTarget = typeof target === 'string' ? { kind: 'standalone', url: target } : target;
  const base: RedisOptions = { ...tuning, lazyConnect: true };
  switch (t.kind) {
    case 'standalone':
      return new Redis(t.url, base);
    case 'sentinel':
      return new Redis({
        ...base,
        sentinels: t.sentinels,
        name: t.name,
        db: t.db,
        ...credentials(t),
        ...(t.tls && { tls: {}, sentinelTLS: {}, enableTLSForSentinelMode: true }),
        // before the start succeeded, no Sentinel answering is an error rather than a retry loop
        sentinelRetryStrategy: tuning.retryStrategy,
      });
    case 'cluster': {
      const { retryStrategy, enableOfflineQueue, enableAutoPipelining, ...perNode } = tuning;
      const options: ClusterOptions = {
        lazyConnect: true,
        enableOfflineQueue,
        enableAutoPipelining,
        clusterRetryStrategy: retryStrategy,
        redisOptions: { ...perNode, ...credentials(t), ...(t.tls && { tls: {} }) },
      };
      return new Cluster(t.nodes, options) as unknown as Redis;
    }
  }
}

function credentials(t: { username?: string; password?: string }): Pick<RedisOptions, 'username' | 'password'> {
  return { ...(t.username !== undefined && { username: t.username }), ...(t.password !== undefined && { password: t.password }) };
}
