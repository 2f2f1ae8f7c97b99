// What an open dashboard costs the broker. A broker process (`glassmq broker`) takes QoS 0 PUBLISHes at a paced
// rate (default 100,000 msg/s) from a raw TCP publisher and routes them to one raw TCP subscriber, while a browser
// stand-in holds the dashboard's live stream open: none, the Overview (watch=overview) and the Flow and Clients
// views (watch=overview,clients,flow, which also turn the publish hook and the ping-tick hook on). For each it
// reports messages delivered per second and the broker process's CPU time per message (median and quartiles of
// short slices; the modes alternate slice by slice so a busy machine disturbs every mode alike).
//
//   node --import tsx bench/dashboard-overhead.ts [--rate 100000] [--seconds 2] [--rounds 16] [--cpu-prof DIR]
// --cpu-prof DIR writes the broker process's V8 CPU profile there (summarize it with bench/broker/profile-summary.ts).
import { connect, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { encodePacket } from '../src/protocol/index.js';
import { spawn } from 'node:child_process';
import { CLI_ENTRY, REPO_ROOT, freePort, spawnGlassmq, stopProcess, waitForPort } from '../test/helpers/net.js';
import { Broker } from '../src/broker/broker.js';
import type { ClientInfo } from '../src/broker/hooks.js';
import { createMessage } from '../src/broker/message.js';
import { TrafficObserver } from '../src/dashboard/traffic.js';

const args = process.argv.slice(2);
const opt = (name: string, def: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const RATE = opt('rate', 100_000);
const SECONDS = opt('seconds', 2);
const ROUNDS = opt('rounds', 16);
const PROFILE_DIR = args.includes('--cpu-prof') ? args[args.indexOf('--cpu-prof') + 1] : undefined;
const SETTLE_MS = 300;
const WARMUP_MS = 1000;
const TICK_MS = 10;
const TOPIC = 'bench/dashboard/t1';
const PAYLOAD = Buffer.alloc(32, 0x61);
const CLK_TCK = 100; // Linux USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s

const MODES = [
  { name: 'no dashboard open', watch: undefined },
  // the same as the first row: how far two identical runs differ on this machine
  { name: 'no dashboard open (A/A control)', watch: undefined },
  { name: 'Overview open (watch=overview)', watch: 'overview' },
  { name: 'Flow + Clients open (watch=overview,clients,flow)', watch: 'overview,clients,flow' },
] as const;

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // utime + stime
}

async function mqttClient(port: number, clientId: string): Promise<Socket> {
  const s = connect({ port, host: '127.0.0.1' });
  s.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    s.once('connect', resolve);
    s.once('error', reject);
  });
  s.write(encodePacket({ type: 'connect', protocolName: 'MQTT', protocolVersion: 4, clean: true, keepalive: 0, clientId }, 4));
  await new Promise<void>((resolve) => s.once('data', () => resolve())); // CONNACK
  return s;
}

async function main(): Promise<void> {
  const [port, httpPort] = [await freePort(), await freePort()];
  const brokerArgs = ['broker', '--memory', '--port', String(port), '--http-port', String(httpPort), '--sys-interval', '0'];
  // node refuses --cpu-prof in NODE_OPTIONS, so a profiled broker is spawned with it on its own command line
  const broker = PROFILE_DIR
    ? spawn(process.execPath, ['--cpu-prof', '--cpu-prof-dir', PROFILE_DIR, '--import', 'tsx', CLI_ENTRY, ...brokerArgs], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] })
    : spawnGlassmq(brokerArgs);
  broker.stderr!.resume();
  try {
    await waitForPort(port);
    await waitForPort(httpPort);
    const sub = await mqttClient(port, 'bench-sub');
    sub.write(encodePacket({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'bench/#', qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0 }] }, 4));
    await new Promise<void>((resolve) => sub.once('data', () => resolve())); // SUBACK
    let received = 0;
    sub.on('data', (d: Buffer) => (received += d.length));
    const pub = await mqttClient(port, 'bench-pub');
    const one = encodePacket({ type: 'publish', topic: TOPIC, payload: PAYLOAD, qos: 0, retain: false, dup: false }, 4);
    const maxBurst = Math.ceil((RATE * TICK_MS * 4) / 1000);
    const burst = Buffer.concat(Array.from({ length: maxBurst }, () => one));

    // Paced publishing as a token bucket: whatever the timer's lateness, RATE messages leave per second while the
    // broker keeps up; a backed-up socket skips (and counts) what it could not take.
    let sent = 0;
    let behind = 0;
    const startedAt = performance.now();
    const pacer = setInterval(() => {
      const owed = Math.floor(((performance.now() - startedAt) / 1000) * RATE) - sent;
      if (owed <= 0) return;
      const n = Math.min(owed, maxBurst);
      if (pub.writableLength > burst.length) {
        behind += n;
        sent += n;
        return;
      }
      pub.write(burst.subarray(0, n * one.length));
      sent += n;
    }, TICK_MS);
    await new Promise((r) => setTimeout(r, WARMUP_MS * 3)); // JIT warm-up before the first slice

    const results = new Map<string, { rate: number; cpuUsPerMsg: number; cpuShare: number }[]>();
    for (let round = 0; round < ROUNDS; round++) {
      // rotate the order, and reverse it every other round, so no mode always runs first or after the same one
      const rotated = MODES.map((_, i) => MODES[(i + Math.floor(round / 2)) % MODES.length]!);
      const order = round % 2 ? rotated.reverse() : rotated;
      for (const mode of order) {
        const ac = new AbortController();
        if (mode.watch) {
          const res = await fetch(`http://127.0.0.1:${httpPort}/api/events?watch=${mode.watch}`, { signal: ac.signal });
          void (async () => {
            try {
              for await (const _ of res.body as AsyncIterable<Uint8Array>) void _;
            } catch {
              // aborted at the end of the slice
            }
          })();
        }
        await new Promise((r) => setTimeout(r, SETTLE_MS));
        const bytes0 = received;
        const cpu0 = cpuSeconds(broker.pid!);
        const t0 = performance.now();
        await new Promise((r) => setTimeout(r, SECONDS * 1000));
        const seconds = (performance.now() - t0) / 1000;
        const msgs = (received - bytes0) / one.length;
        const cpu = cpuSeconds(broker.pid!) - cpu0;
        ac.abort();
        const list = results.get(mode.name) ?? [];
        list.push({ rate: msgs / seconds, cpuUsPerMsg: (cpu / msgs) * 1e6, cpuShare: cpu / seconds });
        results.set(mode.name, list);
      }
    }
    clearInterval(pacer);
    if (behind > 0) process.stderr.write(`  (the publisher skipped ${behind} messages: the broker did not keep up with ${RATE} msg/s)\n`);
    pub.destroy();
    sub.destroy();

    const quantile = (xs: number[], q: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))]!;
    const median = (xs: number[]): number => quantile(xs, 0.5);
    const baseCpu = median(results.get(MODES[0].name)!.map((r) => r.cpuUsPerMsg));
    console.log(`dashboard overhead: paced ${RATE.toLocaleString('en-US')} msg/s QoS 0 (${PAYLOAD.length} B payload), ${ROUNDS} slices of ${SECONDS} s per mode`);
    console.log(`${'mode'.padEnd(52)} ${'delivered/s'.padStart(12)} ${'broker CPU'.padStart(11)} ${'CPU us/msg [q1-q3]'.padStart(20)} ${'overhead'.padStart(9)}`);
    for (const mode of MODES) {
      const r = results.get(mode.name)!;
      const cpus = r.map((x) => x.cpuUsPerMsg);
      const cpuPerMsg = median(cpus);
      const spread = `${cpuPerMsg.toFixed(2)} [${quantile(cpus, 0.25).toFixed(2)}-${quantile(cpus, 0.75).toFixed(2)}]`;
      const overhead = mode === MODES[0] ? '-' : `${(((cpuPerMsg - baseCpu) / baseCpu) * 100).toFixed(1)}%`;
      console.log(
        `${mode.name.padEnd(52)} ${Math.round(median(r.map((x) => x.rate))).toLocaleString('en-US').padStart(12)} ${`${(median(r.map((x) => x.cpuShare)) * 100).toFixed(0)}%`.padStart(11)} ${spread.padStart(20)} ${overhead.padStart(9)}`,
      );
    }
  } finally {
    await stopProcess(broker);
  }
}

/**
 * The same cost measured in-process, free of scheduling noise: nanoseconds the dashboard adds per message with a
 * Topics/Flow view open (the publish hook).
 */
async function micro(): Promise<void> {
  const N = 1_000_000;
  const time = (fn: () => void): number => {
    for (let i = 0; i < N / 10; i++) fn(); // warm-up
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) fn();
    return Number(process.hrtime.bigint() - t0) / N;
  };
  const broker = new Broker({ sysInterval: 0 });
  const message = createMessage(TOPIC, PAYLOAD, 0, false, undefined, 0, 'bench-pub');
  const client = { clientId: 'bench-pub' } as ClientInfo;
  const idle = time(() => broker.hooks.published?.(message, client));
  const traffic = new TrafficObserver(broker);
  traffic.collectFlow = true;
  traffic.start();
  const hooked = time(() => broker.hooks.published?.(message, client));
  traffic.stop();
  await broker.close();

  console.log('');
  console.log('in-process cost per message (ns):');
  console.log(`  publish hook: none ${idle.toFixed(1)}, Topics/Flow view open ${hooked.toFixed(1)} (+${(hooked - idle).toFixed(1)})`);
  // A Clients view adds no per-packet work: its counters are the connection's own, read once a second, and its
  // ping ticks come from the ping handler's hook.
  console.log('  Clients view: nothing per packet (connection totals read at 1 Hz; pings from the ping handler)');
}

if (!args.includes('--micro-only')) await main();
await micro();
