// Where one message's round trip goes, kernel included: the latency load generator (core 0) and a server (core 1,
// alone, nice -15) are traced together (`perf record -a` of scheduler events and both processes' syscalls) once the
// warm-up is over, and every message is cut into the steps below, from the publisher's write to the subscriber's
// read. floor-trace.mjs sees only the server's own syscalls (wake-up -> write); this shows also how long the
// server takes to be woken and scheduled, and how long its write takes to wake the subscriber. Root (perf, nice).
//   node bench/broker/wake-chain.mjs [--rounds=N] [--seconds=S] [--warmup=S] SERVER...
// SERVER as in floor-trace.mjs (see trace-servers.mjs)
//
// Steps (p50 of each over the messages whose chain was complete, in us):
//   send     publisher's write syscall enter -> the kernel marks the server runnable (sched_waking)
//   wake     waking -> epoll_wait returns in the server (IPI, idle exit, scheduler, return to user space; this VM's
//            kernel does not report every switch-in from idle, so the two are not told apart)
//   user     epoll return -> the server's first write syscall (read, decode, route, encode)
//   deliver  server's write enter -> the load generator is marked runnable (loopback TCP in the write)
//   gen      load generator waking -> its read syscall enter (its wake-up and event loop, the same for all)
//   total    send enter -> subscriber's read enter
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inTurns, median, perfTrace, underLatencyLoad } from './trace-servers.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => Number(args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt);
const ROUNDS = opt('rounds', 3);
const SECONDS = opt('seconds', 3);
const WARMUP = opt('warmup', 5);
const SERVERS = args.filter((a) => !a.startsWith('--'));
const dir = mkdtempSync(join(tmpdir(), 'wake-chain-'));
const STEPS = ['send', 'wake', 'user', 'deliver', 'gen', 'total'];

const EPOLL = new Set([232, 281, 441]);
const WRITE = new Set([1, 20, 44, 46]);
const READ = new Set([0, 19, 45, 47]);

/**
 * Cuts the trace into message chains. `perf script -F tid,time,event,trace` lines look like
 *   `  1234 5.678901234: raw_syscalls:sys_enter: NR 1 (...)` and `... sched:sched_waking: comm=node pid=1234 ...`.
 * A chain starts at a load generator write that finds the server asleep and ends at the load generator's next read;
 * chains where the server was already awake, or where anything is missing, are left out (counted).
 */
function chains(file, serverPid, genPid) {
  const LINE = /^\s*(\d+)\s+(\d+\.\d+):\s+(\S+):\s+(.*)$/;
  const out = [];
  let c; // the chain being built
  let skipped = 0;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = LINE.exec(line);
    if (!m) continue;
    const tid = Number(m[1]);
    const t = Number(m[2]) * 1e6;
    const ev = m[3];
    const rest = m[4];
    if (ev === 'raw_syscalls:sys_enter' || ev === 'raw_syscalls:sys_exit') {
      const nr = Number(/NR (\d+)/.exec(rest)[1]);
      const enter = ev.endsWith('enter');
      if (tid === genPid) {
        if (enter && WRITE.has(nr) && !c) c = { send: t };
        else if (enter && READ.has(nr) && c?.bwrite !== undefined && c.genWaking !== undefined) {
          out.push({
            send: c.waking - c.send, wake: c.epollExit - c.waking,
            user: c.bwrite - c.epollExit, deliver: c.genWaking - c.bwrite, gen: t - c.genWaking, total: t - c.send,
          });
          c = undefined;
        }
      } else if (tid === serverPid && c) {
        const ret = Number(/= (-?\d+)/.exec(rest)?.[1] ?? 0);
        if (!enter && EPOLL.has(nr) && ret > 0 && c.epollExit === undefined) {
          if (c.waking === undefined) { skipped++; c = undefined; continue; }
          c.epollExit = t;
        } else if (enter && WRITE.has(nr) && c.epollExit !== undefined && c.bwrite === undefined) c.bwrite = t;
      }
    } else if (ev === 'sched:sched_waking' && c) {
      const pid = Number(/ pid=(\d+)/.exec(rest)[1]);
      if (pid === serverPid && c.waking === undefined && c.epollExit === undefined) c.waking = t;
      else if (pid === genPid && c.bwrite !== undefined && c.genWaking === undefined) c.genWaking = t;
    }
  }
  return { out, skipped };
}

const runOne = (spec) => underLatencyLoad(spec, dir, WARMUP, SECONDS, (server, gen) => {
  const filter = `common_pid == ${server.pid} || common_pid == ${gen.pid}`;
  return perfTrace(dir, `c${server.pid}`, ['-a', '-e', 'raw_syscalls:sys_enter', '--filter', filter, '-e', 'raw_syscalls:sys_exit', '--filter', filter,
    '-e', 'sched:sched_waking'], SECONDS, 'tid,time,event,trace', (file) => chains(file, server.pid, gen.pid));
});

const p50sOf = ({ out }) => Object.fromEntries(STEPS.map((k) => [k, median(out.map((x) => x[k]))]));
const runs = await inTurns(SERVERS, ROUNDS, runOne, (spec, r) => {
  const p50s = p50sOf(r);
  return `${spec.padEnd(24)} ${STEPS.map((k) => `${k} ${p50s[k].toFixed(1)}`).join('  ')}  ${r.out.length} chains, ${r.skipped} with the server awake`;
});
const results = new Map([...runs].map(([spec, rs]) => [spec, rs.map(p50sOf)]));
console.log('p50 per step (us):');
console.log(`  ${'server'.padEnd(24)} ${STEPS.map((k) => k.padStart(8)).join('')}`);
for (const [spec, rows] of results) console.log(`  ${spec.padEnd(24)} ${STEPS.map((k) => median(rows.map((r) => r[k])).toFixed(1).padStart(8)).join('')}`);
rmSync(dir, { recursive: true, force: true });
