// Persistence benchmarks (issue 7).
//   throughput: QoS 1 point-to-point (one publisher, one subscriber, both with persistent sessions) against
//               glassmq with the SQLite store, glassmq --memory, and Debian's mosquitto with `persistence true`.
//               Target: SQLite >= 0.7x of --memory.
//   rss:        1,000,000 QoS 1 messages queued across 10,000 offline sessions; the broker's RSS (VmRSS) after
//               the flood and after a restart that loads it all back. Target: < 300 MB.
//   profile:    the throughput run against glassmq with SQLite under `node --cpu-prof`; prints the top
//               self-time functions (bench/broker/profile-summary.ts) and leaves the .cpuprofile in a temp dir.
// Run: node --import tsx bench/persistence.ts [throughput|rss|profile|all] [messages]
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import { CLI_ENTRY, REPO_ROOT, freePort, waitForPort } from '../test/helpers/net.js';

const MODE = process.argv[2] ?? 'all';
const MESSAGES = Number(process.argv[3] ?? 50_000);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const WINDOW = 100;
const PAYLOAD = Buffer.alloc(64, 0x61);
const MOSQUITTO = '/usr/sbin/mosquitto';

interface Broker {
  proc: ChildProcess;
  port: number;
  dir: string;
}

async function startGlassmq(args: string[], dir: string, port?: number, nodeArgs: string[] = []): Promise<Broker> {
  port ??= await freePort();
  const proc = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', CLI_ENTRY, 'broker', '--port', String(port), '--sys-interval', '0', ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  await waitForPort(port, '127.0.0.1', 30_000);
  return { proc, port, dir };
}

async function startMosquitto(dir: string): Promise<Broker> {
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence true', `persistence_location ${dir}/`, 'max_queued_messages 0', ''].join('\n'),
  );
  const proc = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'ignore', 'ignore'] });
  await waitForPort(port, '127.0.0.1', 30_000);
  return { proc, port, dir };
}

async function stop(b: Broker, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (b.proc.exitCode !== null || b.proc.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    b.proc.once('exit', () => resolve());
    b.proc.kill(signal);
  });
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

async function connect(port: number, clientId: string): Promise<MqttClient> {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId, clean: false, protocolVersion: 4, reconnectPeriod: 0 });
  // as the broker does: without it, Nagle on the client and delayed ACKs on the broker's host stall small acks
  (client.stream as Partial<Socket>).setNoDelay?.(true);
  return client;
}

/** Messages per second from the first publish until the subscriber has the last one. */
async function pointToPoint(port: number, round: number): Promise<number> {
  const sub = await connect(port, `bench-sub-${round}`);
  await sub.subscribeAsync(`bench/${round}`, { qos: 1 });
  const pub = await connect(port, `bench-pub-${round}`);
  let received = 0;
  const start = process.hrtime.bigint();
  const done = new Promise<void>((resolve) =>
    sub.on('message', () => {
      if (++received === MESSAGES) resolve();
    }),
  );
  let sent = 0;
  let open = 0;
  await new Promise<void>((resolve) => {
    const pump = (): void => {
      while (open < WINDOW && sent < MESSAGES) {
        open++;
        sent++;
        pub.publish(`bench/${round}`, PAYLOAD, { qos: 1 }, () => {
          open--;
          if (sent === MESSAGES && open === 0) resolve();
          else pump();
        });
      }
    };
    pump();
  });
  await done;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await pub.endAsync();
  await sub.endAsync();
  return MESSAGES / seconds;
}

/** CPU time (user + system) the process has used, in microseconds. */
function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const CLOCK_TICKS_PER_S = 100;
  const UTIME = 11;
  const STIME = 12;
  return ((Number(fields[UTIME]) + Number(fields[STIME])) * 1e6) / CLOCK_TICKS_PER_S;
}

interface Figures {
  /** Best msg/s over the rounds. */
  rate: number;
  /** Median broker CPU time (user + system) per message over the rounds, in microseconds. */
  cpu: number;
}

interface Contender {
  name: string;
  start: (dir: string) => Promise<Broker>;
  broker?: Broker;
  dir?: string;
  rates: number[];
  cpus: number[];
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Every contender runs its rounds in turn (A B C D, A B C D, ...) with all brokers up, so a burst of load from
 * other jobs on a shared machine hits all of them alike. Best msg/s, and the median broker CPU time per
 * message: on a loaded machine the second says more about the cost of persistence than wall-clock rates do.
 */
async function interleaved(contenders: Contender[]): Promise<Figures[]> {
  try {
    for (const c of contenders) {
      c.dir = mkdtempSync(join(tmpdir(), 'glassmq-bench-'));
      c.broker = await c.start(c.dir);
      await pointToPoint(c.broker.port, 0); // warm-up
    }
    for (let r = 1; r <= ROUNDS; r++) {
      for (const c of contenders) {
        const pid = c.broker!.proc.pid!;
        const cpu0 = cpuMicros(pid);
        c.rates.push(await pointToPoint(c.broker!.port, r));
        c.cpus.push((cpuMicros(pid) - cpu0) / MESSAGES);
      }
    }
  } finally {
    for (const c of contenders) {
      if (c.broker) await stop(c.broker);
      if (c.dir) rmSync(c.dir, { recursive: true, force: true });
    }
  }
  return contenders.map((c) => {
    const f = { rate: Math.max(...c.rates), cpu: median(c.cpus) };
    console.log(
      `${c.name.padEnd(34)} ${Math.round(f.rate).toString().padStart(8)} msg/s  ${f.cpu.toFixed(1).padStart(6)} us CPU/msg  ` +
        `(rounds: ${c.rates.map((x) => Math.round(x)).join(', ')} msg/s; ${c.cpus.map((x) => x.toFixed(1)).join(', ')} us)`,
    );
    return f;
  });
}

const contender = (name: string, start: (dir: string) => Promise<Broker>): Contender => ({ name, start, rates: [], cpus: [] });

async function throughput(): Promise<void> {
  console.log(`QoS 1 point-to-point, ${MESSAGES} x ${PAYLOAD.length} B, window ${WINDOW}, ${ROUNDS} interleaved rounds`);
  // the subscriber may fall behind the publisher: let its queue hold the whole run on every broker
  const queue = ['--max-queued', String(MESSAGES * 2)];
  const [memory, sqlite, full, mosq] = await interleaved([
    contender('glassmq --memory', (dir) => startGlassmq(['--memory', ...queue], dir)),
    contender('glassmq sqlite (sync normal)', (dir) => startGlassmq(['--data-dir', dir, ...queue], dir)),
    contender('glassmq sqlite (sync full)', (dir) => startGlassmq(['--data-dir', dir, '--sync', 'full', ...queue], dir)),
    contender('mosquitto 2 (persistence true)', startMosquitto),
  ]);
  const ratio = (a: Figures, b: Figures): string =>
    `${(a.rate / b.rate).toFixed(2)}x by msg/s, ${(b.cpu / a.cpu).toFixed(2)}x by broker CPU per message`;
  console.log(`sqlite / memory:      ${ratio(sqlite!, memory!)}  (target >= 0.70x)`);
  console.log(`sqlite full / memory: ${ratio(full!, memory!)}`);
  console.log(`sqlite / mosquitto:   ${ratio(sqlite!, mosq!)}`);
}

const SESSIONS = 10_000;
const GROUPS = 100;
const QUEUED = 1_000_000;

/** 10,000 offline sessions in 100 topic groups; 10,000 publishes x 100 subscribers each = 1,000,000 queued. */
async function rss(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'glassmq-rss-'));
  const args = ['--data-dir', dir, '--max-queued', String(QUEUED), '--max-queued-bytes', String(1 << 30)];
  let b = await startGlassmq(args, dir);
  try {
    console.log(`rss: idle broker ${rssMb(b.proc.pid!)} MB`);
    const t0 = Date.now();
    const CONCURRENCY = 50;
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < SESSIONS) {
          const i = next++;
          const c = await connect(b.port, `offline-${i}`);
          await c.subscribeAsync(`rss/${i % GROUPS}`, { qos: 1 });
          await c.endAsync();
        }
      }),
    );
    console.log(`rss: ${SESSIONS} offline sessions made in ${Date.now() - t0} ms; broker ${rssMb(b.proc.pid!)} MB`);
    const pub = await connect(b.port, 'rss-pub');
    const publishes = QUEUED / (SESSIONS / GROUPS);
    let sent = 0;
    let open = 0;
    const t1 = Date.now();
    await new Promise<void>((resolve) => {
      const pump = (): void => {
        while (open < WINDOW && sent < publishes) {
          const topic = `rss/${sent % GROUPS}`;
          open++;
          sent++;
          pub.publish(topic, PAYLOAD, { qos: 1 }, () => {
            open--;
            if (sent === publishes && open === 0) resolve();
            else pump();
          });
        }
      };
      pump();
    });
    await pub.endAsync();
    const after = rssMb(b.proc.pid!);
    console.log(`rss: ${QUEUED} messages queued (${publishes} publishes x ${SESSIONS / GROUPS} subscribers) in ${Date.now() - t1} ms; broker RSS ${after} MB (target < 300)`);
    await stop(b, 'SIGKILL');
    const t2 = Date.now();
    b = await startGlassmq(args, dir, b.port);
    console.log(`rss: restarted after SIGKILL, ready in ${Date.now() - t2} ms; broker RSS ${rssMb(b.proc.pid!)} MB`);
    // the handler is in place before CONNACK: queued messages arrive right behind it
    const check = mqtt.connect(`mqtt://127.0.0.1:${b.port}`, { clientId: 'offline-0', clean: false, protocolVersion: 4, reconnectPeriod: 0 });
    const expected = publishes / GROUPS;
    let got = 0;
    const t3 = Date.now();
    await new Promise<void>((resolve) => check.on('message', () => ++got === expected && resolve()));
    await check.endAsync();
    console.log(`rss: offline-0 reconnected and received its ${expected} queued messages in ${Date.now() - t3} ms; broker RSS ${rssMb(b.proc.pid!)} MB`);
  } finally {
    await stop(b);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Where the SQLite broker spends its time in the throughput run (the .cpuprofile is written when it exits). */
async function profile(): Promise<void> {
  const profDir = mkdtempSync(join(tmpdir(), 'glassmq-prof-'));
  const queue = ['--max-queued', String(MESSAGES * 2)];
  await interleaved([
    contender('glassmq sqlite (sync normal), profiled', (dir) =>
      startGlassmq(['--data-dir', dir, ...queue], dir, undefined, ['--cpu-prof', '--cpu-prof-dir', profDir]),
    ),
  ]);
  const files = readdirSync(profDir).map((f) => join(profDir, f));
  console.log(`profile: ${files.join(' ')}`);
  const summary = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'bench/broker/profile-summary.ts'), ...files, '--top=40'], {
    stdio: 'inherit',
  });
  await new Promise((resolve) => summary.once('exit', resolve));
}

if (MODE === 'profile') await profile();
if (MODE === 'throughput' || MODE === 'all') await throughput();
if (MODE === 'rss' || MODE === 'all') await rss();
