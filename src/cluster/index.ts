// The cluster layer's public surface: the Redis bus and its errors (docs/cluster.md).
export { RedisClusterBus, type RedisBusOptions } from './redis-bus.js';
export { ClusterError, maskUrl, type ClusterErrorCode } from './errors.js';
export type { RedisTarget } from './redis-target.js';
