// bench/broker over other transports: the same scenarios (bench/broker/loadgen.ts, unchanged) against glassmq's and
// mosquitto's WebSocket and TLS listeners, next to plain TCP, so the cost of each layer and the ratio to mosquitto
// are both visible. Broker on one core, load generator on the other, as run.ts does.
//   node --import tsx bench/broker/transports.ts [--quick] [--only=glassmq,mosquitto] [--transports=tcp,ws,tls] [--json]
//
// loadgen.ts speaks raw TCP through `net.connect`. To run it over ws or tls without a copy of it, this file is
// also loaded into the load generator (`--import`, with BENCH_TRANSPORT set): it then only replaces
// net.connect with a connect that returns a WebSocket stream (binary frames, subprotocol mqtt) or a TLS socket.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import WebSocket, { createWebSocketStream } from 'ws';

const PRELOAD_ENV = 'BENCH_TRANSPORT';
type Transport = 'tcp' | 'ws' | 'tls';

// ---- preload mode: inside loadgen.ts, net.connect reaches the broker over ws or tls ---------------------------------

/** The real net.connect: ws opens its own TCP connection with it (the replaced one would recurse). */
const tcpConnect = net.connect;

function wsConnect(port: number, host: string): Duplex {
  // ws sets TCP_NODELAY itself; no permessage-deflate (neither broker negotiates it for MQTT)
  const ws = new WebSocket(`ws://${host}:${port}/mqtt`, ['mqtt'], { perMessageDeflate: false, createConnection: (o: object) => tcpConnect(o as net.NetConnectOpts) });
  const stream = createWebSocketStream(ws) as Duplex & { setNoDelay(): Duplex };
  stream.setNoDelay = () => stream;
  ws.once('open', () => stream.emit('connect'));
  return stream;
}

function tlsConnect(port: number, host: string): Duplex {
  // a throwaway self-signed certificate; what loadgen writes on 'connect' (TCP up) is sent once TLS is up
  return tls.connect({ port, host, rejectUnauthorized: false, ALPNProtocols: ['mqtt'] });
}

function installTransport(kind: string): void {
  const open = kind === 'ws' ? wsConnect : kind === 'tls' ? tlsConnect : undefined;
  if (!open) throw new Error(`${PRELOAD_ENV}=${kind}: expected ws or tls`);
  (net as unknown as { connect: (o: { port: number; host: string }) => Duplex }).connect = (o) => open(o.port, o.host);
  syncBuiltinESMExports(); // loadgen's `import { connect } from 'node:net'` now sees this one
}

// ---- benchmark mode -------------------------------------------------------------------------------------------------

const BROKER_CORE = '1';
const LOAD_CORE = '0';
const FD_LIMIT = 20_000;
const LOADGEN_TIMEOUT_MS = 180_000;
const REPO_ROOT = new URL('../..', import.meta.url).pathname;

type BrokerName = 'glassmq' | 'mosquitto';
type Row = Record<string, number>;

/** The plan of bench/broker/run.ts (full about 1.5 minutes per broker and transport; --quick about 30 s). */
function plan(quick: boolean): Record<string, string> {
  return quick
    ? { fanin: 'messages=100000', fanout: 'messages=4000', qos1: 'messages=2000', latency: 'seconds=2', idle: 'connections=2000' }
    : { fanin: 'messages=400000', fanout: 'messages=20000', qos1: 'messages=10000', latency: 'seconds=5', idle: 'connections=10000' };
}

function pinned(cmd: string[], core: string, env: NodeJS.ProcessEnv = {}): ChildProcess {
  const shellLine = `ulimit -n ${FD_LIMIT} && exec taskset -c ${core} ${cmd.map((c) => `'${c}'`).join(' ')}`;
  return spawn('bash', ['-c', shellLine], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ port, host: '127.0.0.1' }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listening on ${port}`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

interface Certs {
  dir: string;
  cert: string;
  key: string;
}

/** A self-signed certificate mosquitto can read too (it drops root for the `mosquitto` user). */
async function makeCerts(): Promise<Certs> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-tls-'));
  chmodSync(dir, 0o755);
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const child = spawn('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert,
    '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  await new Promise((r) => child.once('exit', r));
  chmodSync(key, 0o644);
  return { dir, cert, key };
}

interface Started {
  child: ChildProcess;
  port: number;
  cleanup(): void;
}

async function startBroker(name: BrokerName, transport: Transport, certs: Certs): Promise<Started> {
  const port = await freePort();
  let cmd: string[];
  let cleanup = (): void => undefined;
  if (name === 'glassmq') {
    const listener = transport === 'tcp' ? ['--port', String(port)] : transport === 'ws' ? ['--ws-port', String(port)] : ['--tls-port', String(port), '--cert', certs.cert, '--key', certs.key];
    cmd = [process.execPath, '--import', 'tsx', 'src/cli/main.ts', 'broker', '--memory', ...listener, '--max-connections', String(FD_LIMIT)];
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'bench-mosq-'));
    chmodSync(dir, 0o755);
    const conf = join(dir, 'mosquitto.conf');
    const lines = ['persistence false', 'log_dest none', 'allow_anonymous true', 'set_tcp_nodelay true', `listener ${port} 127.0.0.1`, 'max_connections -1'];
    // Debian's mosquitto 2.0.11 exits "Unable to start any listening sockets" when a websockets listener is the only
    // one (its libwebsockets keeps the socket to itself: eclipse-mosquitto/mosquitto#2284, #2578), and binds it on
    // every interface whatever the address (#3045): a plain listener next to it lets it start.
    if (transport === 'ws') lines.push('protocol websockets', `listener ${await freePort()} 127.0.0.1`);
    if (transport === 'tls') {
      copyFileSync(certs.cert, join(dir, 'cert.pem'));
      copyFileSync(certs.key, join(dir, 'key.pem'));
      chmodSync(join(dir, 'key.pem'), 0o644);
      lines.push(`certfile ${join(dir, 'cert.pem')}`, `keyfile ${join(dir, 'key.pem')}`);
    }
    writeFileSync(conf, `${lines.join('\n')}\n`);
    cmd = ['/usr/sbin/mosquitto', '-c', conf];
    cleanup = () => rmSync(dir, { recursive: true, force: true });
  }
  const child = pinned(cmd, BROKER_CORE);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  child.stdout!.resume();
  try {
    await waitForPort(port, 60_000);
  } catch (err) {
    await stop(child);
    throw new Error(`${name} ${transport} did not start: ${stderr}`, { cause: err });
  }
  return { child, port, cleanup };
}

function vmRssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

/** bench/broker/loadgen.ts over `transport`; resolves with its RESULT, calling onResult first (while it still runs). */
function loadgen(scenario: string, transport: Transport, port: number, params: string, onResult?: () => Promise<void>): Promise<Row> {
  const preload = transport === 'tcp' ? [] : ['--import', './bench/broker/transports.ts'];
  const env = transport === 'tcp' ? {} : { [PRELOAD_ENV]: transport };
  return new Promise((resolve, reject) => {
    const child = pinned([process.execPath, '--import', 'tsx', ...preload, 'bench/broker/loadgen.ts', scenario, String(port), ...params.split(' ')], LOAD_CORE, env);
    let out = '';
    let err = '';
    let result: Row | undefined;
    const timer = setTimeout(() => child.kill('SIGKILL'), LOADGEN_TIMEOUT_MS);
    child.stderr!.on('data', (d) => (err += d));
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /RESULT (.*)\n/.exec(out);
      if (m && !result) {
        result = JSON.parse(m[1]!) as Row;
        void (onResult ? onResult() : Promise.resolve()).then(() => child.kill('SIGTERM'));
      }
    });
    child.on('close', () => {
      clearTimeout(timer);
      if (result) resolve(result);
      else reject(new Error(`loadgen ${scenario} over ${transport} failed: ${err.slice(-2000)}`));
    });
  });
}

async function benchOne(name: BrokerName, transport: Transport, certs: Certs, quick: boolean): Promise<Row> {
  const row: Row = {};
  let lost = 0;
  for (const [scenario, params] of Object.entries(plan(quick))) {
    const b = await startBroker(name, transport, certs);
    try {
      let baseline = 0;
      let after = 0;
      if (scenario === 'idle') {
        await new Promise((r) => setTimeout(r, 500));
        baseline = vmRssKb(b.child.pid!);
      }
      const r = await loadgen(scenario, transport, b.port, params, scenario === 'idle' ? async () => {
        await new Promise((res) => setTimeout(res, 1000));
        after = vmRssKb(b.child.pid!);
      } : undefined);
      if (scenario === 'idle') {
        row.rssPerConnKb = (after - baseline) / r.connections!;
        row.connectRate = r.rate!;
      } else if (scenario === 'latency') {
        row.p50 = r.p50!;
        row.p99 = r.p99!;
      } else {
        row[scenario] = r.rate!;
      }
      lost += r.lost ?? 0;
      process.stderr.write(`  ${name} ${transport} ${scenario}: ${JSON.stringify(r)}\n`);
    } catch (err) {
      process.stderr.write(`  ${name} ${transport} ${scenario}: FAILED ${(err as Error).message.split('\n')[0]}\n`);
    } finally {
      await stop(b.child);
      b.cleanup();
    }
  }
  row.lost = lost;
  return row;
}

const ROWS: [string, string, number, boolean][] = [
  ['fan-in QoS 0, 8 -> 1 (msg/s)', 'fanin', 0, false],
  ['fan-out QoS 0, 1 -> 50 (deliveries/s)', 'fanout', 0, false],
  ['QoS 1, 16 pairs (msg/s)', 'qos1', 0, false],
  ['latency p50 at 1,000 msg/s (ms)', 'p50', 3, true],
  ['latency p99 at 1,000 msg/s (ms)', 'p99', 3, true],
  ['idle: RSS per connection (KB)', 'rssPerConnKb', 2, true],
  ['idle: connect rate (conn/s)', 'connectRate', 0, false],
  ['messages lost (all scenarios)', 'lost', 0, true],
];

function fmt(n: number | undefined, digits: number): string {
  return n === undefined || Number.isNaN(n) ? '-' : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** > 1 means `a` is better (for lower-is-better rows the inverse ratio). */
function ratio(a: number | undefined, b: number | undefined, lowerIsBetter: boolean): string {
  if (!a || !b) return '-';
  return `${(lowerIsBetter ? b / a : a / b).toFixed(2)}x`;
}

function printTable(results: Record<string, Row>, transports: Transport[], brokers: BrokerName[]): void {
  const columns = transports.flatMap((t) => brokers.map((b) => `${b} ${t}`));
  const head = ['scenario'.padEnd(40), ...columns.map((c) => c.padStart(15))];
  const ratioColumns = transports.map((t) => `g/mosq ${t}`);
  const selfColumns = transports.filter((t) => t !== 'tcp').map((t) => `g ${t}/tcp`);
  console.log([...head, ...[...ratioColumns, ...selfColumns].map((c) => c.padStart(12))].join(' '));
  for (const [label, key, digits, lower] of ROWS) {
    const cells = columns.map((c) => fmt(results[c]?.[key], digits).padStart(15));
    const vsMosq = transports.map((t) => (key === 'lost' ? '' : ratio(results[`glassmq ${t}`]?.[key], results[`mosquitto ${t}`]?.[key], lower)).padStart(12));
    const vsTcp = transports.filter((t) => t !== 'tcp').map((t) => (key === 'lost' ? '' : ratio(results[`glassmq ${t}`]?.[key], results['glassmq tcp']?.[key], lower)).padStart(12));
    console.log([label.padEnd(40), ...cells, ...vsMosq, ...vsTcp].join(' '));
  }
  console.log('g/mosq: > 1.00x means glassmq is better than mosquitto on that transport; g ws/tcp: glassmq over ws relative to its own tcp');
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const quick = argv.includes('--quick');
  const brokers = (argv.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',') ?? ['glassmq', 'mosquitto']) as BrokerName[];
  const transports = (argv.find((a) => a.startsWith('--transports='))?.slice('--transports='.length).split(',') ?? ['tcp', 'ws', 'tls']) as Transport[];
  const certs = await makeCerts();
  const results: Record<string, Row> = {};
  const started = Date.now();
  try {
    for (const transport of transports) {
      for (const name of brokers) {
        process.stderr.write(`${name} over ${transport}:\n`);
        results[`${name} ${transport}`] = await benchOne(name, transport, certs, quick);
      }
    }
  } finally {
    rmSync(certs.dir, { recursive: true, force: true });
  }
  printTable(results, transports, brokers);
  if (argv.includes('--json')) console.log(JSON.stringify(results));
  process.stderr.write(`total ${(Date.now() - started) / 1000} s (${quick ? 'quick' : 'full'} run; broker on core ${BROKER_CORE}, load on core ${LOAD_CORE})\n`);
}

const preloadFor = process.env[PRELOAD_ENV];
if (preloadFor) installTransport(preloadFor);
else await main();
