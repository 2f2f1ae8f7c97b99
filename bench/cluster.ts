// Cluster benchmark (issue 10): two glassmq nodes on one redis-server.
//   local:   QoS 1 point-to-point, publisher and subscriber on the same node (--cluster on, no remote subscriber)
//   cross:   QoS 1 point-to-point, publisher on node 1, subscriber on node 2 (through Redis: the node stream)
//   cross0:  QoS 0 across nodes (pub/sub), in bursts of WINDOW that each wait for their delivery
//   cpu:     CPU time of the two nodes and redis-server per cross-node message (steadier than rates on a shared machine)
//   latency: one QoS 1 message at a time across nodes, publish -> delivery, median and p99
//   scale:   two node-local pairs at once, on two nodes vs both on one node (the target: > 1.5x)
// Run: node --import tsx bench/cluster.ts [messages] [--max-queued=N]
// The nodes run with the broker's default --max-queued (1000) unless told: cross-node backpressure (docs/cluster.md)
// holds a flood instead of dropping; the run ends with each node's $SYS/broker/dropped/queue-full.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import mqtt, { type MqttClient } from 'mqtt';
import { CLI_ENTRY, freePort, waitForPort } from '../test/helpers/net.js';

const args = process.argv.slice(2);
const MESSAGES = Number(args.find((a) => !a.startsWith('--')) ?? 20_000);
const WINDOW = 100;
const LATENCY_SAMPLES = 500;
const PAYLOAD = Buffer.alloc(64, 0x61);
/** --max-queued=N for the nodes; absent: the broker's default. */
const MAX_QUEUED = args.find((a) => a.startsWith('--max-queued='))?.slice('--max-queued='.length);
/** A run whose subscriber got nothing for this long has lost messages: it ends, and says so. */
const IDLE_MS = 10_000;
let lostQos1 = 0;

const children: ChildProcess[] = [];

async function start(cmd: string, args: string[], port: number): Promise<void> {
  const child = spawn(cmd, args, { stdio: 'ignore' });
  children.push(child);
  await waitForPort(port, '127.0.0.1', 60_000);
}

async function connect(port: number): Promise<MqttClient> {
  return mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { protocolVersion: 5, reconnectPeriod: 0 });
}

/** Messages per second from `pub` to `sub` with WINDOW QoS 1 publishes in flight. */
async function throughput(pub: MqttClient, sub: MqttClient, topic: string): Promise<number> {
  await sub.subscribeAsync(topic, { qos: 1 });
  await routeReady(pub, sub, topic);
  let received = 0;
  let last = Date.now();
  const done = new Promise<void>((resolve) => {
    sub.on('message', (t) => {
      if (t !== topic) return;
      last = Date.now();
      if (++received === MESSAGES) resolve();
    });
    const idle = setInterval(() => Date.now() - last > IDLE_MS && resolve(), 1000);
    idle.unref();
  });
  const t0 = process.hrtime.bigint();
  let issued = 0; // counted when sent, not when acknowledged: exactly MESSAGES leave with WINDOW in flight
  const next = (): Promise<void> | undefined => (issued++ < MESSAGES ? pub.publishAsync(topic, PAYLOAD, { qos: 1 }).then(() => void next()) : undefined);
  for (let i = 0; i < WINDOW; i++) void next();
  await done;
  lostQos1 += MESSAGES - received;
  return received / (Number(process.hrtime.bigint() - t0) / 1e9);
}

/** $SYS/broker/NAME on the node at `port` (published every second: --sys-interval 1). */
async function sysValue(port: number, name: string): Promise<string> {
  const c = await connect(port);
  try {
    const got = new Promise<string>((resolve) => c.on('message', (_t, payload) => resolve(payload.toString())));
    await c.subscribeAsync(`$SYS/broker/${name}`);
    return await Promise.race([got, new Promise<string>((resolve) => setTimeout(() => resolve('?'), 5000).unref())]);
  } finally {
    c.end(true);
  }
}

/** Messages per second from `pub` to `sub` at QoS 0, WINDOW at a time (each burst waits for its delivery: no flood). */
async function throughputQos0(pub: MqttClient, sub: MqttClient, topic: string): Promise<{ rate: number; lost: number }> {
  await sub.subscribeAsync(topic, { qos: 0 });
  await routeReady(pub, sub, topic);
  let received = 0;
  let target = 0;
  let wake: (() => void) | undefined;
  sub.on('message', (t) => {
    if (t === topic && ++received >= target) wake?.();
  });
  const t0 = process.hrtime.bigint();
  for (let sent = 0; sent < MESSAGES; sent += WINDOW) {
    target = received + WINDOW;
    const burst = new Promise<void>((resolve) => {
      wake = resolve;
      setTimeout(resolve, 1000).unref(); // a lost QoS 0 message must not stall the run
    });
    for (let i = 0; i < WINDOW; i++) pub.publish(topic, PAYLOAD, { qos: 0 });
    await burst;
  }
  return { rate: MESSAGES / (Number(process.hrtime.bigint() - t0) / 1e9), lost: MESSAGES - received };
}

/** CPU time (ms) used so far by the nodes and redis-server (Linux /proc: utime + stime, 100 ticks per second). */
function childrenCpuMs(): number {
  let ticks = 0;
  for (const c of children) {
    try {
      const fields = readFileSync(`/proc/${c.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone
    }
  }
  return ticks * 10;
}

async function routeReady(pub: MqttClient, sub: MqttClient, topic: string): Promise<void> {
  let ok = false;
  const probe = `${topic}-probe`;
  await sub.subscribeAsync(probe, { qos: 0 });
  sub.on('message', (t) => t === probe && (ok = true));
  while (!ok) {
    await pub.publishAsync(probe, 'p', { qos: 0 });
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function latency(pub: MqttClient, sub: MqttClient, topic: string): Promise<number[]> {
  await sub.subscribeAsync(topic, { qos: 1 });
  await routeReady(pub, sub, topic);
  const samples: number[] = [];
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const arrived = new Promise<void>((resolve) => sub.once('message', () => resolve()));
    const t0 = process.hrtime.bigint();
    await pub.publishAsync(topic, PAYLOAD, { qos: 1 });
    await arrived;
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return samples.sort((a, b) => a - b);
}

async function main(): Promise<void> {
  const redisPort = await freePort();
  await start('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], redisPort);
  const ports = [await freePort(), await freePort()];
  await Promise.all(
    ports.map((p, i) =>
      start(
        process.execPath,
        ['--import', 'tsx', CLI_ENTRY, 'broker', '--port', String(p), '--memory', '--sys-interval', '1', ...(MAX_QUEUED ? ['--max-queued', MAX_QUEUED] : []), '--cluster', `redis://127.0.0.1:${redisPort}`, '--node-id', `bench${i}`],
        p,
      ),
    ),
  );
  const [p1, s1, p2, s2] = await Promise.all([connect(ports[0]!), connect(ports[0]!), connect(ports[0]!), connect(ports[1]!)]);
  const local = await throughput(p1!, s1!, 'bench/local');
  let cpu0 = childrenCpuMs();
  const cross = await throughput(p2!, s2!, 'bench/cross');
  const crossCpu = ((childrenCpuMs() - cpu0) * 1000) / MESSAGES;
  cpu0 = childrenCpuMs();
  const cross0 = await throughputQos0(p2!, s2!, 'bench/cross0');
  const cross0Cpu = ((childrenCpuMs() - cpu0) * 1000) / MESSAGES;
  const lat = await latency(p2!, s2!, 'bench/latency');
  // two pairs at the same time: both on node 0, then one on each node
  const pairs = await Promise.all([0, 0, 0, 0, 0, 0, 1, 1].map((i) => connect(ports[i]!)));
  const rate = async (a: number, b: number, c: number, d: number, tag: string): Promise<number> => {
    const t0 = process.hrtime.bigint();
    await Promise.all([throughput(pairs[a]!, pairs[b]!, `bench/${tag}1`), throughput(pairs[c]!, pairs[d]!, `bench/${tag}2`)]);
    return (2 * MESSAGES) / (Number(process.hrtime.bigint() - t0) / 1e9);
  };
  const oneNode = await rate(0, 1, 2, 3, 'one');
  const twoNodes = await rate(4, 5, 6, 7, 'two');
  const at = (q: number): string => lat[Math.min(lat.length - 1, Math.floor(q * lat.length))]!.toFixed(2);
  const dropped = await Promise.all(ports.map((p) => sysValue(p, 'dropped/queue-full')));
  console.log(`messages per run: ${MESSAGES}, QoS 1, window ${WINDOW}, payload ${PAYLOAD.length} B, --max-queued ${MAX_QUEUED ?? 'default (1000)'}`);
  console.log(`node-local pair (cluster on): ${local.toFixed(0)} msg/s`);
  console.log(`cross-node pair:              ${cross.toFixed(0)} msg/s (${((cross / local) * 100).toFixed(0)} % of node-local), ${crossCpu.toFixed(0)} us CPU per message (nodes + redis)`);
  console.log(`cross-node QoS 0, bursts of ${WINDOW}: ${cross0.rate.toFixed(0)} msg/s, ${cross0Cpu.toFixed(0)} us CPU per message (nodes + redis), ${cross0.lost} lost`);
  console.log(`cross-node latency (QoS 1, one at a time, publish -> delivery): median ${at(0.5)} ms, p99 ${at(0.99)} ms`);
  console.log(`two node-local pairs at once: on one node ${oneNode.toFixed(0)} msg/s, one pair per node ${twoNodes.toFixed(0)} msg/s (${(twoNodes / oneNode).toFixed(2)}x)`);
  console.log(`QoS 1 messages not delivered: ${lostQos1}; $SYS/broker/dropped/queue-full: ${dropped.join(' / ')} (node 0 / node 1)`);
  for (const c of [p1, s1, p2, s2, ...pairs]) c!.end(true);
}

main()
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const c of children) c.kill('SIGTERM');
  });
