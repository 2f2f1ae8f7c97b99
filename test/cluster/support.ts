// The cluster suite's real peers: a redis-server on a free port, glassmq nodes started with --cluster, and
// MQTT.js clients; everything is stopped when the test ends (pass or fail).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'; // [cluster: Sentinel / Redis Cluster]
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import mqtt, { type IClientOptions, type IConnackPacket, type IPublishPacket, type MqttClient } from 'mqtt';
import { freePort, spawnGlassmq, stopProcess, waitForPort } from '../helpers/net.js';

/** Where cleanups go: a test's context, or a suite-level Cleanup (both stop everything at the end). */
export interface Teardown {
  after(fn: () => unknown): void;
}

/** Cleanups for a describe() block: register `after(() => cleanup.run())` in it. Runs newest first. */
export class Cleanup implements Teardown {
  private readonly fns: (() => unknown)[] = [];
  after(fn: () => unknown): void {
    this.fns.push(fn);
  }
  async run(): Promise<void> {
    for (const fn of this.fns.splice(0).reverse()) await fn();
  }
}

/** Generous bounds: the machine running the suite is shared and slow. */
export const STARTUP_MS = 60_000;
export const DELIVERY_MS = 20_000;
export const BOUND = { timeout: 180_000 };

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** A redis-server without persistence, so a restart comes back empty (the hardest case for the cluster). */
export async function startRedis(t: Teardown): Promise<RedisServer> {
  const port = await freePort();
  let proc: ChildProcess | undefined;
  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start() {
      proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
      await waitForPort(port, '127.0.0.1', STARTUP_MS);
    },
    async stop() {
      if (proc) await stopProcess(proc);
      proc = undefined;
    },
  };
  t.after(() => server.stop());
  await server.start();
  return server;
}

export interface Node {
  readonly id: string;
  readonly port: number;
  /** Everything the node printed so far (stdout and stderr). */
  output(): string;
  /** SIGKILL: the node dies without a word to anyone (resolves once the process is gone). */
  kill(): Promise<void>;
  /** SIGTERM: the node shuts down cleanly (resolves once the process is gone). */
  stop(): Promise<void>;
  /** SIGSTOP / SIGCONT: the node freezes (it looks dead to the others) and thaws. */
  freeze(): void;
  thaw(): void;
}

/** Starts `glassmq broker --cluster` as node `id`; stopped (SIGTERM, then SIGKILL) when the test ends. */
export async function startNode(t: Teardown, redis: RedisServer, id: string, extra: string[] = []): Promise<Node> {
  return launchNode(t, redis, id, ['--memory'], extra);
}

/** Like startNode, with the SQLite store in `dataDir`: the node's sessions survive its restart (same id, same dir). */
export async function startDurableNode(t: Teardown, redis: RedisServer, id: string, dataDir: string, extra: string[] = []): Promise<Node> {
  return launchNode(t, redis, id, ['--data-dir', dataDir], extra);
}

async function launchNode(t: Teardown, redis: RedisServer, id: string, storage: string[], extra: string[]): Promise<Node> {
  const port = await freePort();
  const args = ['broker', '--port', String(port), ...storage, '--sys-interval', '1', '--cluster', redis.url, '--node-id', id, ...extra];
  const child = spawnGlassmq(args);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGCONT'); // a frozen node hears SIGTERM
    return stopProcess(child);
  });
  await Promise.race([
    waitForPort(port, '127.0.0.1', STARTUP_MS),
    new Promise((_, reject) => child.once('exit', (code) => reject(new Error(`node ${id} exited with ${code}: ${out}`)))),
  ]);
  const kill = (): Promise<void> =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  return { id, port, output: () => out, kill, stop: () => stopProcess(child), freeze: () => void child.kill('SIGSTOP'), thaw: () => void child.kill('SIGCONT') };
}

let seq = 0;
export function uid(prefix = 'c'): string {
  seq += 1;
  return `${prefix}${process.pid}x${seq}`;
}

/** An MQTT.js client on a node (no automatic reconnect), force-closed when the test ends. */
export async function client(t: Teardown, node: Node, version: 4 | 5, opts: IClientOptions = {}): Promise<MqttClient> {
  const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${node.port}`, {
    protocolVersion: version,
    clientId: uid(),
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    ...opts,
  });
  t.after(() => c.end(true));
  return c;
}

export interface Received {
  topic: string;
  payload: string;
  packet: IPublishPacket;
}

/** Collects what a client receives; `until` waits (bounded) for a condition on everything received so far. */
export function collect(c: MqttClient): { messages: Received[]; until(pred: (m: Received[]) => boolean, what: string, ms?: number): Promise<void> } {
  const messages: Received[] = [];
  const waiters = new Set<() => void>();
  c.on('message', (topic, payload, packet) => {
    messages.push({ topic, payload: payload.toString(), packet });
    for (const w of waiters) w();
  });
  return {
    messages,
    until(pred, what, ms = DELIVERY_MS) {
      if (pred(messages)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (!pred(messages)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(messages.map((m) => [m.topic, m.payload]))}`));
        }, ms);
        waiters.add(check);
      });
    },
  };
}

/**
 * Filters travel between nodes through Redis, so a subscription made on one node is known to the others a moment
 * later. This publishes a probe on `probeTopic` (which the subscriber's filter matches) until one arrives, so the
 * test's real messages are published only once the route exists.
 */
export async function waitForRoute(pub: MqttClient, received: ReturnType<typeof collect>, probeTopic: string, ms = DELIVERY_MS): Promise<void> {
  const deadline = Date.now() + ms;
  let n = 0;
  while (!received.messages.some((m) => m.topic === probeTopic)) {
    if (Date.now() > deadline) throw new Error(`no route to ${probeTopic} after ${ms} ms`);
    await pub.publishAsync(probeTopic, `probe ${n++}`, { qos: 0 });
    await sleep(200);
  }
}

/** The current value of $SYS/broker/NAME on a node (retained, refreshed every second with --sys-interval 1). */
export async function sysValue(t: Teardown, node: Node, name: string): Promise<string> {
  const c = await client(t, node, 4);
  const got = collect(c);
  await c.subscribeAsync(`$SYS/broker/${name}`);
  await got.until((m) => m.length > 0, `$SYS/broker/${name} on ${node.id}`);
  c.end(true);
  return got.messages[0]!.payload;
}

/** Waits (bounded) until $SYS/broker/NAME on the node satisfies `pred`. */
export async function waitForSys(t: Teardown, node: Node, name: string, pred: (v: string) => boolean, ms = DELIVERY_MS): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await sysValue(t, node, name);
    if (pred(v)) return v;
    if (Date.now() > deadline) throw new Error(`$SYS/broker/${name} on ${node.id} stayed ${v}`);
    await sleep(500);
  }
}

/** Polls an async condition (bounded), e.g. what a node keeps in Redis. */
export async function waitFor(pred: () => Promise<boolean> | boolean, what: string, ms = DELIVERY_MS): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Polls `pred` until it holds (bounded): for conditions over several clients. */
export async function eventually(pred: () => boolean, what: string, ms = DELIVERY_MS): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// ---- [cluster: Sentinel / Redis Cluster] the other Redis shapes ioredis supports, started for real ----------------

/** A redis-server process on `port` with extra arguments, stopped with the test; resolves once it listens. */
async function redisProcess(t: Teardown, port: number, args: string[]): Promise<ChildProcess> {
  // its own directory: a replica writes the RDB it receives from its master to disk, whatever --save says
  const dir = mkdtempSync(join(tmpdir(), 'glassmq-redis-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...args], { stdio: 'ignore' });
  t.after(() => stopProcess(proc));
  await waitForPort(port, '127.0.0.1', STARTUP_MS);
  return proc;
}

/** Polls `check` (a Redis command that may fail while the server settles) until it holds (bounded). */
async function redisUntil(port: number, what: string, check: (r: Redis) => Promise<boolean>, ms = STARTUP_MS): Promise<void> {
  const r = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  r.on('error', () => {});
  const deadline = Date.now() + ms;
  try {
    await r.connect();
    while (!(await check(r).catch(() => false))) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(200);
    }
  } finally {
    r.disconnect();
  }
}

/**
 * A Redis master and one Sentinel watching it as `name` (quorum 1); `url` is the redis-sentinel:// URL the
 * nodes are given. Resolves once the Sentinel names the master.
 */
export async function startSentinel(t: Teardown, name = 'gmaster', opts: { replica?: boolean } = {}): Promise<RedisServer & { master: RedisServer; replica?: RedisServer }> {
  const master = await startRedis(t);
  let replica: RedisServer | undefined;
  if (opts.replica) {
    const rport = await freePort();
    const proc = await redisProcess(t, rport, ['--replicaof', '127.0.0.1', String(master.port)]);
    replica = { port: rport, url: `redis://127.0.0.1:${rport}`, start: () => Promise.reject(new Error('started once')), stop: () => stopProcess(proc) };
    await redisUntil(rport, `replica on ${rport} in sync`, async (r) => /master_link_status:up/.test(await r.info('replication')));
  }
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'glassmq-sentinel-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const conf = join(dir, 'sentinel.conf'); // Sentinel rewrites its file: it must be writable
  // with a replica: a master silent for 1 s is down, and the replica is promoted (quorum 1: this one Sentinel)
  const failover = opts.replica ? [`sentinel down-after-milliseconds ${name} 1000`, `sentinel failover-timeout ${name} 10000`] : [];
  writeFileSync(conf, [`port ${port}`, 'bind 127.0.0.1', `dir ${dir}`, `sentinel monitor ${name} 127.0.0.1 ${master.port} 1`, ...failover, ''].join('\n'));
  let proc: ChildProcess | undefined;
  const sentinel = {
    port,
    url: `redis-sentinel://127.0.0.1:${port}/${name}`,
    master,
    ...(replica && { replica }),
    async start() {
      proc = spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' });
      await waitForPort(port, '127.0.0.1', STARTUP_MS);
      await redisUntil(port, `Sentinel on ${port} to name master ${name}`, async (r) => {
        const addr = (await r.call('SENTINEL', 'get-master-addr-by-name', name)) as string[] | null;
        return addr?.[1] === String(master.port);
      });
    },
    async stop() {
      if (proc) await stopProcess(proc);
      proc = undefined;
    },
  };
  t.after(() => sentinel.stop());
  await sentinel.start();
  return sentinel;
}

/**
 * A Redis Cluster of three masters (no replicas), every slot assigned; `url` is the redis-cluster:// URL with
 * all three seeds. Resolves once every master reports cluster_state:ok.
 */
export async function startRedisCluster(t: Teardown): Promise<RedisServer & { ports: number[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'glassmq-rcluster-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const ports: number[] = [];
  for (let i = 0; i < 3; i++) {
    const port = await freePort();
    const bus = await freePort(); // the cluster bus port is chosen too: port + 10000 may be taken or out of range
    ports.push(port);
    await redisProcess(t, port, ['--cluster-enabled', 'yes', '--cluster-port', String(bus), '--cluster-config-file', join(dir, `nodes-${port}.conf`), '--dir', dir]);
  }
  const create = spawn('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  create.stdout!.on('data', (d) => (out += d));
  create.stderr!.on('data', (d) => (out += d));
  t.after(() => stopProcess(create));
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([
    new Promise<number | null>((resolve) => create.once('exit', resolve)),
    new Promise<string>((resolve) => (timer = setTimeout(() => resolve('timeout'), STARTUP_MS))),
  ]).finally(() => clearTimeout(timer));
  if (code !== 0) throw new Error(`redis-cli --cluster create: ${code}: ${out}`);
  for (const port of ports) {
    await redisUntil(port, `cluster_state:ok on ${port}`, async (r) => /cluster_state:ok/.test((await r.call('CLUSTER', 'INFO')) as string));
  }
  return {
    port: ports[0]!,
    ports,
    url: `redis-cluster://${ports.map((p) => `127.0.0.1:${p}`).join(',')}`,
    start: () => Promise.reject(new Error('a Redis Cluster is started once')),
    stop: () => Promise.resolve(),
  };
}

// ---- [sessions] persistent sessions across nodes -----------------------------------------------------------------

/**
 * Like client(), also returning the CONNACK (Session Present, reason code) and what the client receives from the
 * very start (a resumed session's messages may arrive in the same read as the CONNACK).
 */
export async function connectWithAck(
  t: Teardown,
  node: Node,
  version: 4 | 5,
  opts: IClientOptions = {},
): Promise<{ client: MqttClient; connack: IConnackPacket; got: ReturnType<typeof collect> }> {
  const c = mqtt.connect(`mqtt://127.0.0.1:${node.port}`, { protocolVersion: version, clientId: uid(), reconnectPeriod: 0, connectTimeout: 30_000, ...opts });
  t.after(() => c.end(true));
  const got = collect(c);
  const connack = await new Promise<IConnackPacket>((resolve, reject) => {
    c.once('connect', resolve);
    c.once('error', reject);
    c.once('close', () => reject(new Error(`connection to ${node.id} closed before CONNACK`)));
  });
  return { client: c, connack, got };
}

/** A plain Redis client on the test's redis-server (to watch what the nodes keep there), closed with the test. */
export async function redisClient(t: Teardown, redis: RedisServer): Promise<Redis> {
  const r = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  r.on('error', () => {});
  await r.connect();
  t.after(() => r.disconnect());
  return r;
}
