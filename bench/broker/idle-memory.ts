// Memory of glassmq per idle MQTT connection, measured inside the broker after a forced full GC (RSS, V8 heap,
// external memory), with an optional heap snapshot of the loaded broker to name what each connection holds.
// The broker runs from the built output (`npm run build` first; run.ts builds it too) unless --from=src.
//   node --import tsx bench/broker/idle-memory.ts [--connections=10000] [--keepalive=0] [--from=dist|src] [--snapshot=FILE] [--cpu-prof=DIR] [--node-flag=F ...] [-- extra broker flags]
// The broker's node runs with --max-semi-space-size=2 as bin/glassmq.js starts it; `--node-flag=` (empty) for node's defaults.
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { freePort, REPO_ROOT, stopProcess, waitForPort } from '../../test/helpers/net.js';

type Memory = NodeJS.MemoryUsage;
type Reply = { kind: 'measure'; memory: Memory; spaces: Record<string, number> } | { kind: 'snapshot'; path?: string; error?: string };

const argv = process.argv.slice(2);
const dashdash = argv.indexOf('--');
const own = dashdash < 0 ? argv : argv.slice(0, dashdash);
const extra = dashdash < 0 ? [] : argv.slice(dashdash + 1);
const opt = (name: string): string | undefined => own.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const N = Number(opt('connections') ?? 10_000);
const KEEPALIVE = Number(opt('keepalive') ?? 0);
const FROM = opt('from') ?? 'dist';
const SNAPSHOT = opt('snapshot');
const CPU_PROF = opt('cpu-prof');
const GIVEN_FLAGS = own.filter((a) => a.startsWith('--node-flag=')).map((a) => a.slice('--node-flag='.length));
const NODE_FLAGS = GIVEN_FLAGS.length > 0 ? GIVEN_FLAGS.filter((f) => f !== '') : ['--max-semi-space-size=2'];

function ask(child: ChildProcess, msg: unknown, kind: Reply['kind']): Promise<Reply> {
  return new Promise((resolve, reject) => {
    // also what keeps this process alive while the broker works (a heap snapshot takes seconds)
    const timer = setTimeout(() => reject(new Error(`no '${kind}' reply from the broker`)), 120_000);
    const on = (reply: Reply): void => {
      if (reply.kind !== kind) return;
      child.off('message', on);
      clearTimeout(timer);
      resolve(reply);
    };
    child.on('message', on);
    child.send(msg as string);
  });
}

/** process.memoryUsage() after a full GC, plus each V8 heap space's resident bytes (as `space:NAME`). */
async function measure(child: ChildProcess): Promise<Memory & Record<string, number>> {
  const reply = (await ask(child, 'measure', 'measure')) as { memory: Memory; spaces: Record<string, number> };
  return { ...reply.memory, ...Object.fromEntries(Object.entries(reply.spaces).map(([k, v]) => [`space:${k}`, v])) };
}

function holdIdle(port: number): Promise<{ child: ChildProcess; result: Record<string, number> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/broker/loadgen.ts', 'idle', String(port), `connections=${N}`, `keepalive=${KEEPALIVE}`], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /RESULT (.*)\n/.exec(out);
      if (m) resolve({ child, result: JSON.parse(m[1]!) as Record<string, number> });
    });
    child.on('close', () => reject(new Error(`loadgen idle failed: ${err.slice(-2000)}`)));
  });
}

const port = await freePort();
const entry = FROM === 'src' ? ['--import', 'tsx', 'src/cli/main.ts'] : ['dist/src/cli/main.js'];
const broker = spawn(
  process.execPath,
  ['--expose-gc', ...NODE_FLAGS, ...(CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${resolve(CPU_PROF)}`] : []), '--import', './bench/broker/gc-probe.mjs', ...entry, 'broker', '--memory', '--port', String(port), '--max-connections', String(N * 2), ...extra],
  { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] },
);
let logBytes = 0;
broker.stderr!.on('data', (d: Buffer) => (logBytes += d.length));
let load: ChildProcess | undefined;
try {
  await waitForPort(port, '127.0.0.1', 60_000);
  await new Promise((r) => setTimeout(r, 300));
  const before = await measure(broker);
  const logBefore = logBytes;
  const held = await holdIdle(port);
  load = held.child;
  await new Promise((r) => setTimeout(r, 1000));
  const after = await measure(broker);
  const per = (k: string): string => `${(((after[k] ?? 0) - (before[k] ?? 0)) / N / 1024).toFixed(2)} KB`;
  console.log(`glassmq (${FROM}) ${N} idle connections, keepalive ${KEEPALIVE}: connect rate ${held.result.rate!.toFixed(0)} conn/s`);
  console.log(`  per connection after GC: rss ${per('rss')}, heapTotal ${per('heapTotal')}, heapUsed ${per('heapUsed')}, external ${per('external')}, arrayBuffers ${per('arrayBuffers')}`);
  const spaces = Object.keys(after).filter((k) => k.startsWith('space:') && Math.abs(after[k]! - (before[k] ?? 0)) >= N * 10);
  console.log(`  resident heap spaces per connection: ${spaces.map((k) => `${k.slice('space:'.length)} ${per(k)}`).join(', ')}`);
  console.log(`  log output: ${((logBytes - logBefore) / N).toFixed(0)} bytes per connection`);
  console.log(`  totals: rss ${(before.rss / 1048576).toFixed(1)} -> ${(after.rss / 1048576).toFixed(1)} MB, heapUsed ${(before.heapUsed / 1048576).toFixed(1)} -> ${(after.heapUsed / 1048576).toFixed(1)} MB`);
  if (SNAPSHOT) {
    const reply = (await ask(broker, { kind: 'snapshot', path: resolve(SNAPSHOT) }, 'snapshot')) as { path?: string; error?: string };
    if (reply.error) throw new Error(`heap snapshot failed: ${reply.error}`);
    console.log(`  heap snapshot: ${reply.path} (summarise: node --import tsx bench/broker/heap-summary.ts ${reply.path} --per=${N})`);
  }
} finally {
  if (load) await stopProcess(load);
  await stopProcess(broker);
}
