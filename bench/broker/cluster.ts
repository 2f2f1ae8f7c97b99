// `bench/broker/run.ts --cluster` (issue 10): two glassmq nodes on one redis-server, each pinned to its own core,
// against one node (no --cluster) on one core, with QoS 1 pairs (window 16, as run.ts's qos1 scenario):
//   single: all pairs on one plain node                     -> the one-node figure
//   alone:  all pairs on one node with --cluster (no other node) -> what --cluster costs a node
//   local:  half of the pairs on each node, pub and sub on the same node -> aggregate, and the ratio to single
//   cross:  every pair's publisher on one node and subscriber on the other (half each way), through Redis
//   latency: one QoS 1 message at a time, publish -> delivery, on one node and across nodes (median, p99)
// The load runs in one more process: the pairs in C (qos1-pairs.c, built with cc; --node-load: this file with
// --load, on the raw-socket packets of wire.ts), the latency in Node. Redis and the load generator are not pinned:
// on a 2-core machine they share the nodes' cores, and the table ends with the best case that leaves.
//   node --import tsx bench/broker/run.ts --cluster [--quick] [--rounds=N] [--max-queued=N] [--node-load] [--no-build]
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, REPO_ROOT, stopProcess, waitForPort } from '../../test/helpers/net.js';
import { connectPacket, FrameScanner, packetIdOffset, publishPacket, pubackFor, subscribePacket, TYPE_CONNACK, TYPE_PUBACK, TYPE_PUBLISH, TYPE_SUBACK } from './wire.js';

const GLASSMQ_ENTRY = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
const NODE_FLAGS = ['--max-semi-space-size=2'];
const CORES = ['0', '1'];
const PAIRS = 16;
/** Below every broker's default inflight limit (20), as run.ts's qos1 scenario. */
const WINDOW = 16;
const RING = 1024;
const PAYLOAD = Buffer.alloc(32, 120);
const STARTUP_MS = 60_000;
const QOS_BITS = 0x06;
const WARMUP_SHARE = 0.2;
/** /proc/PID/stat times are in clock ticks (USER_HZ, 100 on Linux). */
const CLOCK_TICKS = 100;
const LOAD_LIMIT_MS = 300_000;
/** A pairs run that has not finished by then reports what arrived (a stall is a finding, not a hang). */
const PAIRS_LIMIT_MS = 120_000;

interface PairSpec {
  pubPort: number;
  subPort: number;
  topic: string;
}

// ---- load generator (child process) ---------------------------------------------------------------------------

class Conn {
  /** `flags`: the fixed header's low 4 bits (QoS in bits 1-2 for a PUBLISH). */
  handler: (type: number, flags: number, buf: Buffer, bodyStart: number) => void = () => undefined;
  afterData: () => void = () => undefined;
  private constructor(readonly socket: Socket) {
    const scanner = new FrameScanner((type, flags, buf, start) => this.handler(type, flags, buf, start));
    socket.on('data', (chunk: Buffer) => {
      scanner.push(chunk);
      this.afterData();
    });
  }

  static open(port: number, clientId: string): Promise<Conn> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host: '127.0.0.1' });
      socket.setNoDelay(true);
      socket.once('error', reject);
      socket.once('connect', () => {
        const c = new Conn(socket);
        c.handler = (type) => type === TYPE_CONNACK && resolve(c);
        socket.write(connectPacket(clientId));
      });
    });
  }

  subscribe(filter: string): Promise<void> {
    return new Promise((resolve) => {
      this.handler = (type) => type === TYPE_SUBACK && resolve();
      this.socket.write(subscribePacket(filter, 1));
    });
  }
}

/**
 * QoS 1 pairs, WINDOW publishes in flight each. A cross-node route exists only once the subscriber's node has
 * announced its filter: every pair first sends probes until one arrives, then the clock starts.
 */
async function pairsLoad(pairs: PairSpec[], perPair: number): Promise<object> {
  const ready: Promise<void>[] = [];
  const starters: (() => void)[] = [];
  let delivered = 0;
  /** The first WARMUP_SHARE of the messages are sent the same way but not timed. */
  const warm = Math.floor(perPair * pairs.length * WARMUP_SHARE);
  let warmAt = 0n;
  /** PUBACKs the publishers got: a message acknowledged and never delivered is lost, one not acknowledged is stuck. */
  let acked = 0;
  let finished = 0;
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((r) => (resolveDone = r));
  for (const [i, p] of pairs.entries()) {
    const sub = await Conn.open(p.subPort, `bench-c-sub${i}-${process.pid}`);
    await sub.subscribe(p.topic);
    const pub = await Conn.open(p.pubPort, `bench-c-pub${i}-${process.pid}`);
    const ring = Array.from({ length: RING }, (_, k) => {
      const pk = publishPacket(p.topic, PAYLOAD, 1, 1);
      pk.writeUInt16BE(k + 1, packetIdOffset(pk));
      return pk;
    });
    let routed = false;
    let got = 0;
    const acks: Buffer[] = [];
    ready.push(
      new Promise<void>((resolve) => {
        const probe = setInterval(() => pub.socket.write(publishPacket(p.topic, PAYLOAD, 0)), 100);
        sub.handler = (type, flags, buf, start) => {
          if (type !== TYPE_PUBLISH) return;
          if (!routed) {
            routed = true;
            clearInterval(probe);
            resolve();
          }
          if ((flags & QOS_BITS) === 0) return; // a QoS 0 probe
          acks.push(pubackFor(buf, start));
          got++;
          if (++delivered === warm) warmAt = process.hrtime.bigint(); // the clock starts after the JIT warm-up
        };
      }),
    );
    sub.afterData = () => {
      if (acks.length) sub.socket.write(acks.length === 1 ? acks[0]! : Buffer.concat(acks));
      acks.length = 0;
      if (got === perPair && ++finished === pairs.length) resolveDone();
    };
    let sent = 0;
    let inflight = 0;
    const pump = (): void => {
      const out: Buffer[] = [];
      while (inflight < WINDOW && sent < perPair) {
        out.push(ring[sent % RING]!);
        sent++;
        inflight++;
      }
      if (out.length) pub.socket.write(out.length === 1 ? out[0]! : Buffer.concat(out));
    };
    pub.handler = (type) => {
      if (type !== TYPE_PUBACK) return;
      inflight--;
      acked++;
    };
    pub.afterData = pump;
    starters.push(pump);
  }
  await Promise.all(ready);
  await new Promise((r) => setTimeout(r, 300)); // late probes drain
  const cpuStart = process.cpuUsage(); // the load generator's own CPU per message: what it leaves to the brokers
  for (const s of starters) s();
  // a message that never arrives must not hang the run: report what did arrive
  let timer: NodeJS.Timeout | undefined;
  const complete = await Promise.race([done.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), PAIRS_LIMIT_MS)))]);
  clearTimeout(timer);
  const seconds = warmAt === 0n ? NaN : Number(process.hrtime.bigint() - warmAt) / 1e9;
  const messages = perPair * pairs.length;
  const cpu = process.cpuUsage(cpuStart);
  const loadCpuUsPerMsg = (cpu.user + cpu.system) / delivered;
  return { messages, delivered, acked, lost: messages - delivered, complete: complete ? 1 : 0, seconds, rate: (delivered - warm) / seconds, loadCpuUsPerMsg };
}

/** One QoS 1 message at a time from pubPort to subPort: publish -> delivery in ms. */
async function latencyLoad(pair: PairSpec, samples: number): Promise<object> {
  const sub = await Conn.open(pair.subPort, `bench-c-lsub-${process.pid}`);
  await sub.subscribe(pair.topic);
  const pub = await Conn.open(pair.pubPort, `bench-c-lpub-${process.pid}`);
  const times: number[] = [];
  let sentAt = 0n;
  let next: () => void = () => undefined;
  sub.handler = (type, flags, buf, start) => {
    if (type !== TYPE_PUBLISH) return;
    const qos1 = (flags & QOS_BITS) !== 0;
    if (qos1) sub.socket.write(pubackFor(buf, start));
    if (qos1 && sentAt !== 0n) times.push(Number(process.hrtime.bigint() - sentAt) / 1e6);
    if (qos1 || sentAt === 0n) next(); // QoS 0 probes until the route exists, then one QoS 1 message at a time
  };
  // the first delivery proves the route; then `samples` timed ones (plus a 10 % warm-up left out)
  const warmup = Math.ceil(samples / 10);
  await new Promise<void>((resolve) => {
    let n = 0;
    const probe = setInterval(() => pub.socket.write(publishPacket(pair.topic, PAYLOAD, 0)), 100);
    next = () => {
      clearInterval(probe);
      if (n === warmup) times.length = 0;
      if (n++ === samples + warmup) return resolve();
      sentAt = process.hrtime.bigint();
      pub.socket.write(publishPacket(pair.topic, PAYLOAD, 1, (n % 60_000) + 1));
    };
  });
  times.sort((a, b) => a - b);
  const pct = (q: number): number => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? NaN;
  return { samples: times.length, p50: pct(0.5), p99: pct(0.99) };
}

// ---- orchestration --------------------------------------------------------------------------------------------

function pinned(cmd: string[], core: string | undefined): ChildProcess {
  const line = `exec ${core === undefined ? '' : `taskset -c ${core} `}${cmd.map((c) => `'${c}'`).join(' ')}`;
  return spawn('bash', ['-c', line], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
}

async function started(child: ChildProcess, port: number, what: string): Promise<ChildProcess> {
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  child.stdout!.resume();
  try {
    await waitForPort(port, '127.0.0.1', STARTUP_MS);
  } catch (e) {
    await stopProcess(child);
    throw new Error(`${what} did not start: ${err}`, { cause: e });
  }
  return child;
}

async function glassmq(core: string, extra: string[]): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  const child = pinned([process.execPath, ...NODE_FLAGS, GLASSMQ_ENTRY, 'broker', '--memory', '--port', String(port), ...extra], core);
  return { child: await started(child, port, `glassmq on core ${core}`), port };
}

/**
 * The QoS 1 pairs load in C (qos1-pairs.c), built once per run with the system's cc: it costs about half the CPU
 * per message of the Node load, which shares the two cores with the nodes on a small machine. undefined: no
 * compiler, or --node-load: the Node load of this file.
 */
function cLoad(argv: readonly string[]): string | undefined {
  if (argv.includes('--node-load')) return undefined;
  const out = join(tmpdir(), `glassmq-qos1-pairs-${process.pid}`);
  const r = spawnSync('cc', ['-O2', '-o', out, join(REPO_ROOT, 'bench', 'broker', 'qos1-pairs.c')], { encoding: 'utf8' });
  if (r.status === 0) return out;
  process.stderr.write(`cluster bench: no C load generator (${(r.stderr || String(r.error)).trim().slice(0, 200)}): using the Node one\n`);
  return undefined;
}

function runLoad(kind: 'pairs' | 'latency', spec: unknown, count: number, cBinary?: string): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const cmd =
      kind === 'pairs' && cBinary
        ? [cBinary, String(count), String(WINDOW), String(PAYLOAD.length), ...(spec as PairSpec[]).map((p) => `${p.pubPort}:${p.subPort}:${p.topic}`)]
        : [process.execPath, '--import', 'tsx', 'bench/broker/cluster.ts', '--load', kind, JSON.stringify(spec), String(count)];
    const child = pinned(cmd, undefined);
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), LOAD_LIMIT_MS);
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (err += d));
    child.on('close', () => {
      clearTimeout(timer);
      const m = /RESULT (.*)\n/.exec(out);
      if (m) resolve(JSON.parse(m[1]!) as Record<string, number>);
      else reject(new Error(`load ${kind} failed: ${err.slice(-2000)}`));
    });
  });
}

const lostNote = (r: Record<string, number>): string =>
  r.lost ? `; ${r.lost} of ${r.messages} not delivered within ${PAIRS_LIMIT_MS / 1000} s (${r.acked} acknowledged to their publishers)` : '';

const pairsOn = (pubPorts: number[], subPorts: number[], tag: string): PairSpec[] =>
  Array.from({ length: PAIRS }, (_, i) => ({ pubPort: pubPorts[i % pubPorts.length]!, subPort: subPorts[i % subPorts.length]!, topic: `bench/cluster/${tag}/${i}` }));

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

interface Scenario {
  label: string;
  pairs: PairSpec[];
  /** Processes whose CPU time is charged to this scenario's messages. */
  pids: number[];
  rates: number[];
  cpuUsPerMsg: number[];
  /** The load generator's CPU per message (it shares the cores on a small machine). */
  loadUsPerMsg: number[];
  lost: string;
}

export async function runCluster(argv: readonly string[]): Promise<void> {
  const quick = argv.includes('--quick');
  const perPair = quick ? 5000 : 20_000;
  const samples = quick ? 500 : 2000;
  const rounds = Number(argv.find((a) => a.startsWith('--rounds='))?.slice('--rounds='.length) ?? (quick ? 1 : 3));
  // the brokers' default limit (1000) unless told: a windowed QoS 1 flood across nodes is held by cross-node
  // backpressure (docs/cluster.md) instead of overflowing the receiving subscriber's queue
  const maxQueued = argv.find((a) => a.startsWith('--max-queued='))?.slice('--max-queued='.length);
  if (!argv.includes('--no-build')) {
    const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: REPO_ROOT, encoding: 'utf8' });
    if (r.status !== 0) process.stderr.write(`build: tsc reported errors (running what it emitted):\n${(r.stdout + r.stderr).slice(-2000)}\n`);
  }
  if (!existsSync(GLASSMQ_ENTRY)) throw new Error(`${GLASSMQ_ENTRY} missing; run \`npm run build\``);
  const cBinary = cLoad(argv);
  const load = (): string => loadavg().map((l) => l.toFixed(1)).join(' ');
  process.stderr.write(`cluster bench: ${cpus().length} cores, ${rounds} round(s), --max-queued ${maxQueued ?? 'default (1000)'}, ${cBinary ? 'C' : 'Node'} load generator, load average ${load()}\n`);

  const procs: ChildProcess[] = [];
  const redisServer = async (): Promise<{ pid: number; port: number }> => {
    const port = await freePort();
    const child = await started(pinned(['redis-server', '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], undefined), port, 'redis-server');
    procs.push(child);
    return { pid: child.pid!, port };
  };
  const node = async (core: string, extra: string[]): Promise<{ pid: number; port: number }> => {
    const n = await glassmq(core, [...(maxQueued ? ['--max-queued', maxQueued] : []), ...extra]);
    procs.push(n.child);
    return { pid: n.child.pid!, port: n.port };
  };
  try {
    // every broker stays up for the whole run, idle while another is measured, so the rounds can alternate
    const plain = await node(CORES[1]!, []);
    const redisAlone = await redisServer();
    const alone = await node(CORES[1]!, ['--cluster', `redis://127.0.0.1:${redisAlone.port}`, '--node-id', 'bench-alone']);
    const redis = await redisServer();
    const url = `redis://127.0.0.1:${redis.port}`;
    const two = [await node(CORES[0]!, ['--cluster', url, '--node-id', 'bench0']), await node(CORES[1]!, ['--cluster', url, '--node-id', 'bench1'])];
    const ports = two.map((n) => n.port);
    const redisPid = redis.pid;
    const scenarios: Scenario[] = [
      { label: 'one node, 16 QoS 1 pairs', pairs: pairsOn([plain.port], [plain.port], 'single'), pids: [plain.pid], rates: [], cpuUsPerMsg: [], loadUsPerMsg: [], lost: '' },
      { label: 'one node with --cluster, 16 pairs', pairs: pairsOn([alone.port], [alone.port], 'alone'), pids: [alone.pid], rates: [], cpuUsPerMsg: [], loadUsPerMsg: [], lost: '' },
      { label: 'two nodes, node-local pairs (8 + 8)', pairs: pairsOn(ports, ports, 'local'), pids: two.map((n) => n.pid), rates: [], cpuUsPerMsg: [], loadUsPerMsg: [], lost: '' },
      { label: 'two nodes, cross-node pairs (8 each way)', pairs: pairsOn(ports, [...ports].reverse(), 'cross'), pids: [...two.map((n) => n.pid), redisPid], rates: [], cpuUsPerMsg: [], loadUsPerMsg: [], lost: '' },
    ];
    for (let round = 0; round < rounds; round++) {
      for (const [k, sc] of scenarios.entries()) {
        const cpu0 = sc.pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
        const r = await runLoad('pairs', sc.pairs.map((p) => ({ ...p, topic: `${p.topic}/r${round}` })), perPair, cBinary);
        const cpu = sc.pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0) - cpu0;
        sc.rates.push(r.rate!);
        sc.cpuUsPerMsg.push((cpu / r.delivered!) * 1e6);
        sc.loadUsPerMsg.push(r.loadCpuUsPerMsg!);
        if (r.lost) sc.lost += lostNote(r);
        process.stderr.write(`  round ${round + 1} ${sc.label}: ${r.rate!.toFixed(0)} msg/s, ${sc.cpuUsPerMsg.at(-1)!.toFixed(1)} us CPU/msg (load generator ${r.loadCpuUsPerMsg!.toFixed(1)})${k === 2 ? ` (${(r.rate! / scenarios[0]!.rates.at(-1)!).toFixed(2)}x one node this round)` : ''}${lostNote(r)} [load ${load()}]\n`);
      }
    }
    const oneLatency = await runLoad('latency', { pubPort: plain.port, subPort: plain.port, topic: 'bench/cluster/lat1' }, samples);
    const crossLatency = await runLoad('latency', { pubPort: ports[0], subPort: ports[1], topic: 'bench/cluster/latx' }, samples);
    const base = median(scenarios[0]!.rates);
    console.log(`${'QoS 1, 32-byte payloads, window 16'.padEnd(44)} ${'msg/s (median)'.padStart(15)} ${'x one node'.padStart(11)} ${'CPU us/msg'.padStart(11)} ${'load gen'.padStart(9)}  per round (msg/s)`);
    for (const sc of scenarios) {
      const rate = median(sc.rates);
      console.log(`${sc.label.padEnd(44)} ${rate.toFixed(0).padStart(15)} ${`${(rate / base).toFixed(2)}x`.padStart(11)} ${median(sc.cpuUsPerMsg).toFixed(1).padStart(11)} ${median(sc.loadUsPerMsg).toFixed(1).padStart(9)}  ${sc.rates.map((x) => x.toFixed(0)).join(', ')}${sc.lost}`);
    }
    // What this machine allows at best: with both nodes busy, every delivered message costs a node's CPU (at least
    // what it costs one node with a core to itself) plus the load generator's, and all of them share the cores.
    // With a core per node and more for the load generator this bound goes away.
    // each round's two-node figure against the same round's one-node figure: the machine's load drifts between rounds
    const paired = scenarios[2]!.rates.map((r, i) => r / scenarios[0]!.rates[i]!);
    console.log(`${'node-local pairs / one node, round by round'.padEnd(44)} ${''.padStart(15)} ${`${median(paired).toFixed(2)}x`.padStart(11)}  median of ${paired.map((x) => x.toFixed(2)).join(', ')}`);
    const brokerUs = median(scenarios[0]!.cpuUsPerMsg);
    const loadUs = median(scenarios[2]!.loadUsPerMsg);
    const ceiling = (cpus().length / (brokerUs + loadUs)) * 1e6;
    console.log(
      `${`best case of node-local pairs on ${cpus().length} cores`.padEnd(44)} ${ceiling.toFixed(0).padStart(15)} ${`${(ceiling / base).toFixed(2)}x`.padStart(11)}  = ${cpus().length} cores / (node ${brokerUs.toFixed(1)} + load generator ${loadUs.toFixed(1)} us per message)`,
    );
    console.log(`${'latency one node, one QoS 1 at a time (ms)'.padEnd(44)} p50 ${oneLatency.p50!.toFixed(3)}, p99 ${oneLatency.p99!.toFixed(3)}`);
    console.log(`${'latency across nodes, one QoS 1 at a time (ms)'.padEnd(44)} p50 ${crossLatency.p50!.toFixed(3)}, p99 ${crossLatency.p99!.toFixed(3)}`);
    console.log('CPU us/msg: the measured brokers (and redis-server for cross-node) per delivered message; target for node-local pairs on two nodes: > 1.5x one node');
  } finally {
    for (const p of procs.reverse()) await stopProcess(p);
  }
  if (cBinary) rmSync(cBinary, { force: true });
  process.stderr.write(`load average after: ${load()}; nodes pinned to cores ${CORES.join(', ')} (plain and --cluster-alone nodes on core ${CORES[1]}), redis-server and the load generator not pinned\n`);
}

if (process.argv[2] === '--load') {
  const [kind, spec, count] = process.argv.slice(3);
  const result = kind === 'pairs' ? await pairsLoad(JSON.parse(spec!) as PairSpec[], Number(count)) : await latencyLoad(JSON.parse(spec!) as PairSpec, Number(count));
  console.log(`RESULT ${JSON.stringify(result)}`);
  process.exit(0);
}
