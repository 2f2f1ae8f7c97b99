// The three Redis connections of a node (commands; pub/sub, which Redis dedicates to subscribing; and the blocking
// read of the node's message stream, which would stall every command queued behind it) and their
// health: ready or not, how many outages, how long the last one lasted. Reconnects forever once started; at start
// a Redis that does not answer is an error, not a retry loop.
import { Redis } from 'ioredis';
import type { Logger } from '../broker/ports.js';
import { createRedisClient, type RedisTarget } from './redis-target.js';

const CONNECT_TIMEOUT_MS = 5000;
const RETRY_STEP_MS = 200;
const RETRY_MAX_MS = 2000;
const QUIT_WAIT_MS = 1000;

export class RedisLink {
  outages = 0;
  lastGapMs = 0;
  /** Called once when the command connection drops, and when either connection is ready again after that. */
  onLost: (() => void) | undefined;
  onBack: ((what: 'cmd' | 'sub') => void) | undefined;
  private down = false;
  private downSince = 0;

  private constructor(
    readonly cmd: Redis,
    readonly sub: Redis,
    /** Only for XREADGROUP BLOCK on this node's stream (node-stream.ts). */
    readonly rd: Redis,
  ) {}

  get ready(): boolean {
    return this.cmd.status === 'ready';
  }

  /** `target`: a redis:// URL, or a Sentinel / Redis Cluster target (redis-target.ts). */
  static async open(target: RedisTarget | string, logger: Logger): Promise<RedisLink> {
    let started = false;
    const options = {
      lazyConnect: true,
      connectTimeout: CONNECT_TIMEOUT_MS,
      // fail fast while Redis is away instead of queueing without bound: the bus counts what it could not send
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      enableAutoPipelining: true,
      retryStrategy: (times: number) => (started ? Math.min(times * RETRY_STEP_MS, RETRY_MAX_MS) : null),
    };
    // every connection is made by createRedisClient: standalone, Sentinel or Redis Cluster alike
    const cmd = createRedisClient(target, options);
    const sub = createRedisClient(target, { ...options, enableAutoPipelining: false });
    const rd = createRedisClient(target, { ...options, enableAutoPipelining: false });
    let firstError: unknown;
    for (const r of [cmd, sub, rd]) r.on('error', (err: Error) => {
      firstError ??= err;
      logger.debug({ err: err.message }, 'cluster: redis error');
    });
    try {
      await Promise.all([cmd.connect(), sub.connect(), rd.connect()]);
    } catch (err) {
      cmd.disconnect();
      sub.disconnect();
      rd.disconnect();
      throw new Error(describe(firstError ?? err), { cause: err });
    }
    started = true;
    const link = new RedisLink(cmd, sub, rd);
    link.watch();
    return link;
  }

  private watch(): void {
    const lost = (): void => {
      if (this.down) return;
      this.down = true;
      this.downSince = Date.now();
      this.outages++;
      this.onLost?.();
    };
    // the command connection decides: without it nothing can be sent (the pub/sub one resubscribes on its own)
    this.cmd.on('close', lost);
    this.cmd.on('ready', () => {
      if (!this.down) return;
      this.down = false;
      this.lastGapMs = Date.now() - this.downSince;
      this.onBack?.('cmd');
    });
    this.sub.on('ready', () => this.onBack?.('sub'));
  }

  disconnect(): void {
    this.cmd.disconnect();
    this.sub.disconnect();
    this.rd.disconnect();
  }

  async close(): Promise<void> {
    this.onLost = undefined;
    this.onBack = undefined;
    const quit = async (r: Redis): Promise<void> => {
      if (r.status !== 'ready') return r.disconnect();
      await Promise.race([r.quit().catch(() => {}), new Promise((res) => setTimeout(res, QUIT_WAIT_MS).unref())]);
      r.disconnect();
    };
    this.rd.disconnect(); // a blocked read has nothing to flush, and QUIT would wait behind it
    await Promise.all([quit(this.cmd), quit(this.sub)]);
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) return (err as NodeJS.ErrnoException).code === 'ECONNREFUSED' ? `connection refused (${err.message})` : err.message;
  return String(err);
}
