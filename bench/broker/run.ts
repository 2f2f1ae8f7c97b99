// Whole-broker benchmark: glassmq, Debian mosquitto and aedes one after another, each pinned to one
// core, driven by the same raw-socket load generator pinned to the other core.
//   node --import tsx bench/broker/run.ts [--cluster] [--quick] [--rounds=N] [--nice=N] [--entry=dist/src/cli/main.js] [--only=glassmq,mosquitto,aedes] [--scenarios=fanin,fanout,qos1,latency,idle] [--node-flag=--max-semi-space-size=2 ...] [--profile] [--json] [--no-build]
// glassmq runs from its built output (dist/, as `npm start` does), never through tsx: tsx's transform keeps every
// function's source name and helpers alive (~256 B per named closure) and its loader thread costs CPU, so a tsx
// run measures tsx. The compile step (`tsc -p tsconfig.build.json`, as `npm run build` without the web UI) runs
// first unless --no-build.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, REPO_ROOT, stopProcess, waitForPort } from '../../test/helpers/net.js';

type BrokerName = 'glassmq' | 'mosquitto' | 'aedes';
const BROKER_CORE = '1';
const LOAD_CORE = '0';
/** Open files allowed to the broker and the load generator (the idle scenario needs > 10,000). */
const FD_LIMIT = 20_000;

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const PROFILE = argv.includes('--profile');
const JSON_OUT = argv.includes('--json');
/** --entry=PATH: another build of glassmq (an A/B of two work trees); implies --no-build. */
const ENTRY = argv.find((a) => a.startsWith('--entry='))?.slice('--entry='.length);
const BUILD = !argv.includes('--no-build') && ENTRY === undefined;
const GLASSMQ_ENTRY = ENTRY ?? join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
/** --rounds=N: every scenario N times, the brokers taking turns within each round; the table shows medians. */
const ROUNDS = Math.max(1, Number(argv.find((a) => a.startsWith('--rounds='))?.slice('--rounds='.length) ?? 1));
/** --nice=N: broker and load generator at this niceness (root: < 0), so other work on a shared box disturbs less. */
const NICE = argv.find((a) => a.startsWith('--nice='))?.slice('--nice='.length);
/**
 * Node options for the glassmq process only, so the load generator runs unchanged. Default: what bin/glassmq.js's
 * shebang sets (the installed `glassmq` command); `--node-flag=` (empty) runs node's defaults.
 */
const GIVEN_FLAGS = argv.filter((a) => a.startsWith('--node-flag=')).map((a) => a.slice('--node-flag='.length));
const NODE_FLAGS = GIVEN_FLAGS.length > 0 ? GIVEN_FLAGS.filter((f) => f !== '') : ['--max-semi-space-size=2'];
const SCENARIOS = argv.find((a) => a.startsWith('--scenarios='))?.slice('--scenarios='.length).split(',');
const ONLY = (argv.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',') ?? ['glassmq', 'mosquitto', 'aedes']) as BrokerName[];
// [cluster] --cluster: two glassmq nodes on Redis against one node (bench/broker/cluster.ts), instead of the brokers
if (argv.includes('--cluster')) {
  await (await import('./cluster.js')).runCluster(argv);
  process.exit(0);
}

/** Scenario parameters: full run about 4 minutes on a 2-core box, --quick under one. */
const PLAN = QUICK
  ? { fanin: 'messages=100000', fanout: 'messages=4000', qos1: 'messages=2000', latency: 'seconds=2 warmup=2', idle: 'connections=2000' }
  : { fanin: 'messages=400000', fanout: 'messages=10000', qos1: 'messages=5000', latency: 'seconds=5 warmup=5', idle: 'connections=10000' };

interface Started {
  child: ChildProcess;
  port: number;
  cleanup(): void;
}

function pinned(cmd: string[], core: string): ChildProcess {
  const nice = NICE === undefined ? '' : `nice -n ${Number(NICE)} `;
  const shellLine = `ulimit -n ${FD_LIMIT} && exec ${nice}taskset -c ${core} ${cmd.map((c) => `'${c}'`).join(' ')}`;
  return spawn('bash', ['-c', shellLine], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
}

async function startBroker(name: BrokerName, scenarioKey: string): Promise<Started> {
  const port = await freePort();
  let cmd: string[];
  let cleanup = (): void => undefined;
  if (name === 'glassmq') {
    const prof = PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${join(REPO_ROOT, 'bench', 'broker', 'profiles', scenarioKey)}`] : [];
    cmd = [process.execPath, ...NODE_FLAGS, ...prof, GLASSMQ_ENTRY, 'broker', '--memory', '--port', String(port), '--max-connections', String(FD_LIMIT)];
  } else if (name === 'mosquitto') {
    const dir = mkdtempSync(join(tmpdir(), 'bench-mosq-'));
    const conf = join(dir, 'mosquitto.conf');
    // mosquitto logs as by default (stderr: a line per connection and disconnection), as glassmq does
    writeFileSync(conf, ['persistence false', 'log_dest stderr', 'allow_anonymous true', 'set_tcp_nodelay true', `listener ${port} 127.0.0.1`, 'max_connections -1', ''].join('\n'));
    cmd = ['/usr/sbin/mosquitto', '-c', conf];
    cleanup = () => rmSync(dir, { recursive: true, force: true });
  } else {
    cmd = [process.execPath, '--import', 'tsx', 'bench/broker/aedes-server.ts', String(port)];
  }
  const child = pinned(cmd, BROKER_CORE);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  child.stdout!.resume();
  try {
    await waitForPort(port, '127.0.0.1', 60_000);
  } catch (err) {
    await stopProcess(child);
    throw new Error(`${name} did not start: ${stderr}`, { cause: err });
  }
  return { child, port, cleanup };
}

/** CPU time (user + system) a process has used so far, in ms: less disturbed by a busy box than wall-clock rates. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in USER_HZ (100) ticks
}

function vmRssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

/** Runs the load generator; resolves with its RESULT, calling onResult first (while it still runs). */
function loadgen(scenario: string, port: number, params: string, onResult?: () => Promise<void>): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const child = pinned([process.execPath, '--import', 'tsx', 'bench/broker/loadgen.ts', scenario, String(port), ...params.split(' ')], LOAD_CORE);
    let out = '';
    let err = '';
    let result: Record<string, number> | undefined;
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.stderr!.on('data', (d) => (err += d));
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /RESULT (.*)\n/.exec(out);
      if (m && !result) {
        result = JSON.parse(m[1]!) as Record<string, number>;
        void (onResult ? onResult() : Promise.resolve()).then(() => child.kill('SIGTERM'));
      }
    });
    child.on('close', () => {
      clearTimeout(timer);
      if (result) resolve(result);
      else reject(new Error(`loadgen ${scenario} failed: ${err.slice(-2000)}`));
    });
  });
}

type Row = Record<string, number>;
const results: Record<BrokerName, Row> = { glassmq: {}, mosquitto: {}, aedes: {} };

async function scenario(name: BrokerName, key: keyof typeof PLAN, record: (r: Row, b: Started) => Promise<void> | void): Promise<void> {
  if (SCENARIOS && !SCENARIOS.includes(key)) return;
  const b = await startBroker(name, key);
  try {
    let baseline = 0;
    if (key === 'idle') {
      await new Promise((r) => setTimeout(r, 500));
      baseline = vmRssKb(b.child.pid!);
    }
    let after = 0;
    const cpuBefore = cpuMs(b.child.pid!);
    const r = await loadgen(key, b.port, PLAN[key], key === 'idle' ? async () => {
      await new Promise((res) => setTimeout(res, 1000));
      after = vmRssKb(b.child.pid!);
    } : undefined);
    if (key === 'idle') r.rssPerConnKb = (after - baseline) / r.connections!;
    else r.cpuUsPerMsg = ((cpuMs(b.child.pid!) - cpuBefore) * 1000) / (r.received ?? r.deliveries ?? r.delivered ?? NaN);
    await record(r, b);
    process.stderr.write(`  ${name} ${key}: ${JSON.stringify(r)}\n`);
  } finally {
    await stopProcess(b.child);
    b.cleanup();
  }
}

async function benchBroker(name: BrokerName): Promise<Row> {
  const row: Row = {};
  let lost = 0;
  await scenario(name, 'fanin', (r) => { row.fanin = r.rate!; row.faninCpu = r.cpuUsPerMsg!; lost += r.lost!; });
  await scenario(name, 'fanout', (r) => { row.fanout = r.rate!; row.fanoutCpu = r.cpuUsPerMsg!; lost += r.lost!; });
  await scenario(name, 'qos1', (r) => { row.qos1 = r.rate!; row.qos1Cpu = r.cpuUsPerMsg!; lost += r.lost!; });
  await scenario(name, 'latency', (r) => { row.p50 = r.p50!; row.p99 = r.p99!; row.coldP50 = r.coldP50!; row.latencyCpu = r.cpuUsPerMsg!; lost += r.lost!; });
  await scenario(name, 'idle', (r) => { row.rssPerConnKb = r.rssPerConnKb!; row.connectRate = r.rate!; });
  if (!SCENARIOS || SCENARIOS.some((s) => s !== 'idle')) row.lost = lost;
  return row;
}

/** Each cell's median over the rounds (messages lost: the sum, since any loss counts). */
function medianRow(rows: Row[]): Row {
  const out: Row = {};
  for (const key of new Set(rows.flatMap((r) => Object.keys(r)))) {
    const xs = rows.map((r) => r[key]).filter((x): x is number => x !== undefined).sort((a, b) => a - b);
    out[key] = key === 'lost' ? xs.reduce((a, b) => a + b, 0) : xs.length % 2 ? xs[(xs.length - 1) / 2]! : (xs[xs.length / 2 - 1]! + xs[xs.length / 2]!) / 2;
  }
  return out;
}

function fmt(n: number | undefined, digits = 0): string {
  if (n === undefined || Number.isNaN(n)) return '-';
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function ratio(a: number | undefined, b: number | undefined, lowerIsBetter = false): string {
  if (!a || !b) return '-';
  return `${(lowerIsBetter ? b / a : a / b).toFixed(2)}x`;
}

function printTable(): void {
  const rows: [string, keyof Row, number, boolean][] = [
    ['fan-in QoS 0, 8 -> 1 (msg/s)', 'fanin', 0, false],
    ['fan-out QoS 0, 1 -> 50 (deliveries/s)', 'fanout', 0, false],
    ['QoS 1, 16 pairs (msg/s)', 'qos1', 0, false],
    ['latency p50 at 1,000 msg/s (ms)', 'p50', 3, true],
    ['latency p99 at 1,000 msg/s (ms)', 'p99', 3, true],
    ['latency p50, first seconds (warm-up) (ms)', 'coldP50', 3, true],
    ['broker CPU per message, fan-in (us)', 'faninCpu', 2, true],
    ['broker CPU per delivery, fan-out (us)', 'fanoutCpu', 2, true],
    ['broker CPU per message, QoS 1 (us)', 'qos1Cpu', 2, true],
    ['broker CPU per message, latency (us)', 'latencyCpu', 1, true],
    ['idle connections: RSS per connection (KB)', 'rssPerConnKb', 2, true],
    ['idle connections: connect rate (conn/s)', 'connectRate', 0, false],
    ['messages lost (all scenarios)', 'lost', 0, true],
  ];
  const g = results.glassmq;
  const head = ['scenario'.padEnd(44), 'glassmq'.padStart(12), 'mosquitto'.padStart(12), 'aedes'.padStart(12), 'g/mosq'.padStart(8), 'g/aedes'.padStart(8)];
  console.log(head.join(' '));
  for (const [label, key, digits, lower] of rows) {
    const cells = [label.padEnd(44), ...(['glassmq', 'mosquitto', 'aedes'] as BrokerName[]).map((b) => fmt(results[b][key], digits).padStart(12))];
    const ratios = key === 'lost' ? ['', ''] : [ratio(g[key], results.mosquitto[key], lower), ratio(g[key], results.aedes[key], lower)];
    console.log([...cells, ratios[0]!.padStart(8), ratios[1]!.padStart(8)].join(' '));
  }
  console.log('ratios: > 1.00x means glassmq is better (for latency and RSS the inverse ratio is shown)');
}

/** Compiles src/ to dist/ so glassmq is measured as users run it; a type error elsewhere still emits JavaScript. */
function buildGlassmq(): void {
  const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (r.status !== 0) process.stderr.write(`build: tsc reported errors (running what it emitted):\n${(r.stdout + r.stderr).slice(-2000)}\n`);
  if (!existsSync(GLASSMQ_ENTRY)) throw new Error(`build: ${GLASSMQ_ENTRY} missing; run \`npm run build\``);
}

const started = Date.now();
if (ONLY.includes('glassmq')) {
  if (BUILD) buildGlassmq();
  else if (!existsSync(GLASSMQ_ENTRY)) throw new Error(`--no-build: ${GLASSMQ_ENTRY} missing; run \`npm run build\` first`);
}
if (PROFILE) mkdirSync(join(REPO_ROOT, 'bench', 'broker', 'profiles'), { recursive: true });
const perRound: Record<BrokerName, Row[]> = { glassmq: [], mosquitto: [], aedes: [] };
for (let round = 1; round <= ROUNDS; round++) {
  for (const name of ONLY) {
    process.stderr.write(`${name}${ROUNDS > 1 ? ` (round ${round} of ${ROUNDS})` : ''}:\n`);
    perRound[name].push(await benchBroker(name));
  }
}
for (const name of ONLY) results[name] = medianRow(perRound[name]);
printTable();
if (ROUNDS > 1) console.log(`medians of ${ROUNDS} rounds; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} at the end`);
if (JSON_OUT) console.log(JSON.stringify(results));
process.stderr.write(`total ${(Date.now() - started) / 1000} s (${QUICK ? 'quick' : 'full'} run; broker on core ${BROKER_CORE}, load on core ${LOAD_CORE})\n`);
