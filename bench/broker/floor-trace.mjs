// Wake-up-to-write of several servers in one invocation, taking turns round after round: each server runs alone
// on core 1 (nice -15), the latency load generator on core 0; once the warm-up is over, `perf record` traces the
// server's main thread's syscalls for the measured seconds, and bench/broker/syscall-path.ts's rule (epoll
// wake-up that returned events -> first write syscall) is applied to the trace. Prints one line per run and the
// per-server medians with the load average. Root (perf, nice).
//   node bench/broker/floor-trace.mjs [--rounds=N] [--seconds=S] [--warmup=S] SERVER...
// SERVER: mosquitto | floor:MODE | floor:MODE:NODEFLAG[,NODEFLAG] | glassmq[:NODEFLAG,...] (dist/src/cli/main.js)
//   | entry:PATH (another glassmq build)
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inTurns, median, perfTrace, underLatencyLoad } from './trace-servers.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => Number(args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt);
const ROUNDS = opt('rounds', 3);
const SECONDS = opt('seconds', 4);
const WARMUP = opt('warmup', 5);
const SERVERS = args.filter((a) => !a.startsWith('--'));
const dir = mkdtempSync(join(tmpdir(), 'floor-trace-'));

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

const runOne = (spec) => underLatencyLoad(spec, dir, WARMUP, SECONDS, (server) =>
  perfTrace(dir, `p${server.pid}`, ['-e', 'raw_syscalls:sys_enter', '-e', 'raw_syscalls:sys_exit', '-t', String(server.pid)], SECONDS, 'time,event,trace', wakeToWrite));

const results = await inTurns(SERVERS, ROUNDS, runOne, (spec, xs) => `${spec.padEnd(40)} wake->write p50 ${median(xs).toFixed(1)} us, ${xs.length} wake-ups`);
for (const [spec, runs] of results) {
  const p50s = runs.map(median);
  console.log(`  ${spec.padEnd(40)} ${median(p50s).toFixed(1)} us   [${p50s.map((x) => x.toFixed(1)).join(', ')}]`);
}
rmSync(dir, { recursive: true, force: true });
