// [cluster] Opens the Redis cluster bus a Config asks for (--cluster), and closes it after the broker.
import { hostname } from 'node:os';
import type { Logger as PinoLogger } from 'pino';
import type { Config } from '../config/config.js';
import type { ClusterBus, Logger } from '../broker/ports.js';
import { ClusterError, maskUrl, RedisClusterBus } from '../cluster/index.js';
import type { RunningBroker } from './create-broker.js';

/** undefined without --cluster; throws ClusterError (REDIS_UNREACHABLE, BAD_NODE_ID, MISSING_URL). */
export async function openCluster(config: Config, logger: PinoLogger): Promise<ClusterBus | undefined> {
  const c = config.cluster;
  if (!c) return undefined;
  if (c.url === '') throw new ClusterError('MISSING_URL', '', 'needs --cluster redis://HOST:PORT');
  const nodeId = c.nodeId ?? `${hostname().replace(/[^A-Za-z0-9._-]/g, '_')}-${process.pid}`;
  const bus = await RedisClusterBus.connect({ url: c.url, nodeId, logger: logger as unknown as Logger });
  logger.info(`cluster: node ${nodeId} joined through ${maskUrl(c.url)}`);
  return bus;
}

/** The broker (and its listeners) close first, so the last wills still reach the other nodes; then the bus. */
export function withCluster<R extends RunningBroker>(running: R, bus: ClusterBus | undefined): R {
  if (!bus) return running;
  let closing: Promise<void> | undefined;
  return { ...running, close: () => (closing ??= running.close().finally(() => bus.close())) };
}
