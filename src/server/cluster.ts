// [cluster] Opens the Redis cluster bus a Config asks for (--cluster), and closes it after the broker.
import { hostname } from 'node:os';
import type { Logger as PinoLogger } from 'pino';
import type { Config } from '../config/config.js';
import { parseRedisUrl } from '../config/redis-url.js';
import type { ClusterBus, Logger } from '../broker/ports.js';
import type { ClusterError } from '../cluster/index.js';
import type { RunningBroker } from './create-broker.js';
import type { SessionStore } from '../broker/ports.js'; // [sessions]
import { sessionFactory, type Delivery, type Session } from '../broker/session.js'; // [sessions]
import type { Message } from '../broker/message.js'; // [sessions]

/** undefined without --cluster; throws ClusterError (REDIS_UNREACHABLE, BAD_NODE_ID, MISSING_URL). */
export async function openCluster(config: Config, logger: PinoLogger): Promise<ClusterBus | undefined> {
  const c = config.cluster;
  if (!c) return undefined;
  // loaded only with --cluster: ioredis and the cluster engine are the largest part of the startup heap
  const { ClusterError, maskUrl, RedisClusterBus } = await import('../cluster/index.js');
  if (c.url === '') throw new ClusterError('MISSING_URL', '', 'needs --cluster redis://HOST:PORT');
  const nodeId = c.nodeId ?? `${hostname().replace(/[^A-Za-z0-9._-]/g, '_')}-${process.pid}`;
  // the flag / directive already checked the URL; a standalone target is handed to ioredis as the URL itself
  const target = parseRedisUrl(c.url);
  const bus = await RedisClusterBus.connect({ url: c.url, nodeId, logger: logger as unknown as Logger, ...(target.kind !== 'standalone' && { target }) });
  logger.info(`cluster: node ${nodeId} joined through ${maskUrl(c.url)}`);
  return bus;
}

/**
 * [sessions] With --cluster, sessions live in Redis, shared by the nodes (a client resumes its session on any
 * node); the node's SQLite file (or memory, --memory) keeps only its retained messages. undefined: no cluster.
 */
export async function openClusterSessions(bus: ClusterBus | undefined, logger: PinoLogger): Promise<SessionStore<Session> | undefined> {
  if (!bus) return undefined;
  const { RedisClusterBus } = await import('../cluster/index.js');
  if (!(bus instanceof RedisClusterBus)) return undefined;
  const store = await bus.openSessionStore<Session, Delivery, Message>(sessionFactory);
  logger.info(`cluster: sessions in Redis (${store.size} session(s) left by this node's previous run restored)`);
  return store;
}

/** The ClusterError a failed cluster start threw, if it is one (by name: the cluster module loads only with --cluster). */
export function asClusterError(err: unknown): ClusterError | undefined {
  return err instanceof Error && err.name === 'ClusterError' ? (err as ClusterError) : undefined;
}

/** The broker (and its listeners) close first, so the last wills still reach the other nodes; then the bus. */
export function withCluster<R extends RunningBroker>(running: R, bus: ClusterBus | undefined): R {
  if (!bus) return running;
  let closing: Promise<void> | undefined;
  return { ...running, close: () => (closing ??= running.close().finally(() => bus.close())) };
}
