// The broker the conformance and interop suites talk to: glassmq in-process by default, or Debian's
// mosquitto with BROKER_UNDER_TEST=mosquitto (proves the tests themselves can fail and pass).
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnGlassmq, stopProcess, waitForPort } from './net.js';

export type BrokerKind = 'glassmq' | 'mosquitto';

export interface BrokerOptions {
  maxKeepalive?: number;
  maxPacketSize?: number;
  maxInflight?: number;
  maxQueued?: number;
  maxQueuedBytes?: number;
  maxConnections?: number;
  sysInterval?: number;
  retainAvailable?: boolean;
  /** Topics whose PUBLISH the authorization refuses (exact names). */
  denyPublish?: string[];
  /** Topic filters whose SUBSCRIBE the authorization refuses (exact filters). */
  denySubscribe?: string[];
  /** Also open a WebSocket listener (its port is `wsPort`); glassmq then runs as a CLI child process. */
  websocket?: boolean;
}

export interface BrokerUnderTest {
  port: number;
  kind: BrokerKind;
  /** Set when started with `websocket: true`. */
  wsPort?: number;
  stop(): Promise<void>;
  /** glassmq only: the in-process broker object, for memory/queue introspection in limit tests. */
  handle?: unknown;
}

export const BROKER_KIND: BrokerKind = process.env.BROKER_UNDER_TEST === 'mosquitto' ? 'mosquitto' : 'glassmq';

export function startBroker(options: BrokerOptions = {}): Promise<BrokerUnderTest> {
  if (BROKER_KIND === 'mosquitto') return startMosquitto(options);
  return options.websocket ? startGlassmqCli(options) : startGlassmq(options);
}

/** Starts a broker and registers its stop on the test context, so it stops even when the test fails. */
export async function brokerFor(t: { after(fn: () => unknown): void }, options: BrokerOptions = {}): Promise<BrokerUnderTest> {
  const b = await startBroker(options);
  t.after(() => b.stop());
  return b;
}

interface GlassmqHandle {
  port: number;
  close(): Promise<void>;
}

async function startGlassmq(o: BrokerOptions): Promise<BrokerUnderTest> {
  const mod = (await import('../../src/index.js')) as unknown as {
    createBroker(opts: Record<string, unknown>): Promise<GlassmqHandle>;
  };
  const { denyPublish, denySubscribe, ...limits } = o;
  const hooks: Record<string, unknown> = {};
  if (denyPublish?.length) {
    const deny = new Set(denyPublish);
    hooks.authorizePublish = (_client: unknown, topic: string | { topic: string }) =>
      !deny.has(typeof topic === 'string' ? topic : topic.topic);
  }
  if (denySubscribe?.length) {
    const deny = new Set(denySubscribe);
    hooks.authorizeSubscribe = (_client: unknown, filter: string | { topicFilter: string }) =>
      !deny.has(typeof filter === 'string' ? filter : filter.topicFilter);
  }
  const b = await mod.createBroker({ host: '127.0.0.1', port: 0, ...limits, hooks });
  return { port: b.port, kind: 'glassmq', stop: () => b.close(), handle: b };
}

/** glassmq as `glassmq broker --memory --port P --ws-port W` (createBroker opens TCP only). */
async function startGlassmqCli(o: BrokerOptions): Promise<BrokerUnderTest> {
  if (Object.keys(o).some((k) => k !== 'websocket')) throw new Error('with websocket: true, glassmq takes no other options yet');
  const port = await freePort();
  const wsPort = await freePort();
  const child = spawnGlassmq(['broker', '--memory', '--port', String(port), '--ws-port', String(wsPort)]);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  child.stdout!.resume();
  try {
    await waitForPort(port, '127.0.0.1', 30_000);
    await waitForPort(wsPort, '127.0.0.1', 30_000);
  } catch (err) {
    await stopProcess(child);
    throw new Error(`glassmq did not start: ${stderr}`, { cause: err });
  }
  return { port, wsPort, kind: 'glassmq', stop: () => stopProcess(child) };
}

async function startMosquitto(o: BrokerOptions): Promise<BrokerUnderTest> {
  const dir = mkdtempSync(join(tmpdir(), 'glassmq-mosq-'));
  // mosquitto started as root drops to user "mosquitto", which must still read the ACL file.
  chmodSync(dir, 0o755);
  const port = await freePort();
  const conf: string[] = ['per_listener_settings false', 'persistence false', 'log_dest stderr', 'log_type error', 'allow_anonymous true'];
  if (o.maxKeepalive !== undefined) conf.push(`max_keepalive ${o.maxKeepalive}`);
  if (o.maxPacketSize !== undefined) conf.push(`max_packet_size ${o.maxPacketSize}`);
  if (o.maxInflight !== undefined) conf.push(`max_inflight_messages ${o.maxInflight}`);
  if (o.maxQueued !== undefined) conf.push(`max_queued_messages ${o.maxQueued}`);
  if (o.maxQueuedBytes !== undefined) conf.push(`max_queued_bytes ${o.maxQueuedBytes}`);
  if (o.sysInterval !== undefined) conf.push(`sys_interval ${o.sysInterval}`);
  if (o.retainAvailable === false) conf.push('retain_available false');
  if (o.denyPublish?.length || o.denySubscribe?.length) {
    // mosquitto's ACL takes the first matching line, so the denials come before the catch-all grant.
    const acl: string[] = [];
    for (const t of [...(o.denyPublish ?? []), ...(o.denySubscribe ?? [])]) acl.push(`topic deny ${t}`);
    acl.push('topic readwrite #', 'topic read $SYS/#');
    writeFileSync(join(dir, 'acl'), acl.join('\n') + '\n');
    conf.push(`acl_file ${join(dir, 'acl')}`);
  }
  conf.push(`listener ${port} 127.0.0.1`);
  if (o.maxConnections !== undefined) conf.push(`max_connections ${o.maxConnections}`);
  const wsPort = o.websocket ? await freePort() : undefined;
  if (wsPort) conf.push(`listener ${wsPort} 127.0.0.1`, 'protocol websockets');
  writeFileSync(join(dir, 'mosquitto.conf'), conf.join('\n') + '\n');
  const child = spawn('/usr/sbin/mosquitto', ['-c', join(dir, 'mosquitto.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  try {
    await waitForPort(port);
    if (wsPort) await waitForPort(wsPort);
  } catch (err) {
    await stopProcess(child);
    throw new Error(`mosquitto did not start: ${stderr}`, { cause: err });
  }
  return {
    port,
    wsPort,
    kind: 'mosquitto',
    stop: async () => {
      await stopProcess(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
