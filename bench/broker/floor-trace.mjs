// Wake-up-to-write of several servers in one invocation, taking turns round after round: each server runs alone
// on core 1 (nice -15), the latency load generator on core 0; once the warm-up is over, `perf record` traces the
// server's main thread's syscalls for the measured seconds, and bench/broker/syscall-path.ts's rule (epoll
// wake-up that returned events -> first write syscall) is applied to the trace. Prints one line per run and the
// per-server medians with the load average. Root (perf, nice).
//   node bench/broker/floor-trace.mjs [--rounds=N] [--seconds=S] [--warmup=S] SERVER...
// SERVER: mosquitto | floor:MODE | floor:MODE:NODEFLAG[,NODEFLAG] | glassmq[:NODEFLAG,...] (dist/src/cli/main.js)
//   | entry:PATH (another glassmq build)
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
const opt = (name, dflt) => Number(args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt);
const ROUNDS = opt('rounds', 3);
const SECONDS = opt('seconds', 4);
const WARMUP = opt('warmup', 5);
const SERVERS = args.filter((a) => !a.startsWith('--'));
const ROOT = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'floor-trace-'));

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port) {
  for (let i = 0; i < 600; i++) {
    const ok = await new Promise((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => { c.destroy(); resolve(true); });
      c.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`port ${port} never opened`);
}

function pinned(cmd, core, env) {
  return spawn('taskset', ['-c', core, 'nice', '-n', '-15', ...cmd], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
}

function serverCommand(spec, port) {
  const [kind, a, b] = spec.split(':');
  if (kind === 'mosquitto') {
    const conf = join(dir, `m${port}.conf`);
    writeFileSync(conf, ['persistence false', 'log_dest stderr', 'allow_anonymous true', 'set_tcp_nodelay true', `listener ${port} 127.0.0.1`, ''].join('\n'));
    return { cmd: ['/usr/sbin/mosquitto', '-c', conf], env: {} };
  }
  if (kind === 'floor') {
    // NAME=value items are environment variables (UV_THREADPOOL_SIZE=1), the rest node flags
    const items = b ? b.split(',') : [];
    const env = Object.fromEntries(items.filter((f) => /^[A-Z_]+=/.test(f)).map((f) => f.split('=')));
    const flags = items.filter((f) => !/^[A-Z_]+=/.test(f));
    return { cmd: [process.execPath, ...flags, 'bench/broker/floor-server.mjs', String(port), a ?? 'direct'], env };
  }
  // entry:PATH runs another build of glassmq (an A/B of two builds)
  const entry = kind === 'entry' ? a : 'dist/src/cli/main.js';
  const flags = kind === 'entry' ? ['--max-semi-space-size=2'] : a ? a.split(',') : ['--max-semi-space-size=2'];
  return { cmd: [process.execPath, ...flags, entry, 'broker', '--memory', '--port', String(port)], env: {} };
}

function stop(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => { clearTimeout(t); resolve(); });
    child.kill('SIGTERM');
  });
}

const median = (xs) => { const s = [...xs].sort((x, y) => x - y); return s.length ? s[Math.floor(s.length / 2)] : NaN; };

/** Wake-up (epoll returning > 0) -> first write syscall enter, in us, per wake-up that wrote. */
function wakeToWrite(file) {
  const EPOLL = new Set([232, 281, 441]);
  const WRITE = new Set([1, 20, 44, 46]);
  const LINE = /^\s*(\d+\.\d+):\s+raw_syscalls:sys_(enter|exit): NR (\d+)(?: \(([0-9a-f]+)| = (-?\d+))?/;
  const out = [];
  let woke;
  let wrote = false;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = LINE.exec(line);
    if (!m) continue;
    const t = Number(m[1]) * 1e6;
    const nr = Number(m[3]);
    if (m[2] === 'enter') {
      if (EPOLL.has(nr)) { woke = undefined; wrote = false; }
      else if (WRITE.has(nr) && woke !== undefined && !wrote) { out.push(t - woke); wrote = true; }
    } else if (EPOLL.has(nr) && Number(m[5]) > 0) woke = t;
  }
  return out;
}

async function runOne(spec) {
  const port = await freePort();
  const { cmd, env } = serverCommand(spec, port);
  const server = pinned(cmd, '1', env);
  server.stderr.resume();
  try {
    await waitForPort(port);
    const gen = pinned([process.execPath, '--import', 'tsx', 'bench/broker/loadgen.ts', 'latency', String(port), `seconds=${SECONDS + 1}`, `warmup=${WARMUP}`], '0', {});
    let out = '';
    gen.stdout?.on('data', (d) => (out += d));
    const genDone = new Promise((resolve) => gen.on('close', resolve));
    // the load generator needs a moment to start (tsx) before its warm-up clock runs
    await new Promise((r) => setTimeout(r, (WARMUP + 1.5) * 1000));
    const data = join(dir, `p${port}.data`);
    spawnSync('perf', ['record', '-q', '-o', data, '-e', 'raw_syscalls:sys_enter', '-e', 'raw_syscalls:sys_exit', '-t', String(server.pid), '--', 'sleep', String(SECONDS)], { stdio: 'ignore' });
    const txt = join(dir, `p${port}.txt`);
    const s = spawnSync('perf', ['script', '-i', data, '--ns', '-F', 'time,event,trace'], { maxBuffer: 1 << 30 });
    writeFileSync(txt, s.stdout);
    const xs = wakeToWrite(txt);
    rmSync(data, { force: true });
    rmSync(txt, { force: true });
    gen.kill('SIGTERM');
    await genDone;
    return xs;
  } finally {
    await stop(server);
  }
}

const results = new Map(SERVERS.map((s) => [s, []]));
for (let round = 1; round <= ROUNDS; round++) {
  for (const spec of SERVERS) {
    const load = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
    const xs = await runOne(spec);
    const p50 = median(xs);
    results.get(spec).push(p50);
    console.log(`round ${round} ${spec.padEnd(40)} wake->write p50 ${p50.toFixed(1)} us (${xs.length} wake-ups, load ${load})`);
  }
}
console.log(`medians of ${ROUNDS} rounds (load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} at the end):`);
for (const [spec, xs] of results) console.log(`  ${spec.padEnd(40)} ${median(xs).toFixed(1)} us   [${xs.map((x) => x.toFixed(1)).join(', ')}]`);
rmSync(dir, { recursive: true, force: true });
