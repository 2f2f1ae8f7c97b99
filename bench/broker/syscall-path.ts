// Where a broker's time goes between waking up and handing a message to the kernel, from a syscall trace of its
// main thread (`perf record -e raw_syscalls:sys_enter -e raw_syscalls:sys_exit -t PID`, then
// `perf script --ns -F time,event,trace`). For each wake-up (epoll_wait / epoll_pwait returning events) that
// leads to a write: wake -> first write syscall (user space: read, decode, route, encode), the write syscall
// itself (loopback delivery to the receiver), and how many syscalls the cycle makes. Works for any broker, so it
// compares glassmq with mosquitto without the load generator's noise; tracing adds ~1 us per syscall to both.
//   node --import tsx bench/broker/syscall-path.ts trace.txt [more.txt ...]
import { readFileSync } from 'node:fs';

const EPOLL = new Set([232, 281, 441]); // epoll_wait, epoll_pwait, epoll_pwait2
const WRITE = new Set([1, 20, 44, 46]); // write, writev, sendto, sendmsg
const LINE = /^\s*(\d+\.\d+):\s+raw_syscalls:sys_(enter|exit): NR (\d+)(?: \(([0-9a-f]+)| = (-?\d+))?/;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : NaN;
}
function pct(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))]! : NaN;
}

for (const file of process.argv.slice(2)) {
  const toWrite: number[] = [];
  const writeTime: number[] = [];
  const syscalls: number[] = [];
  let wokeAt: number | undefined;
  let firstWrite: number | undefined;
  let writeEnter = 0;
  let calls = 0;
  const flush = (): void => {
    if (wokeAt !== undefined && firstWrite !== undefined) syscalls.push(calls);
    wokeAt = undefined;
    firstWrite = undefined;
    calls = 0;
  };
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = LINE.exec(line);
    if (!m) continue;
    const t = Number(m[1]) * 1e6; // us
    const nr = Number(m[3]);
    if (m[2] === 'enter') {
      if (EPOLL.has(nr)) flush();
      else calls++;
      if (WRITE.has(nr) && wokeAt !== undefined && firstWrite === undefined) {
        firstWrite = t;
        writeEnter = t;
        toWrite.push(t - wokeAt);
      }
    } else if (EPOLL.has(nr)) {
      if (Number(m[5]) > 0) wokeAt = t;
    } else if (WRITE.has(nr) && firstWrite === writeEnter && writeEnter > 0) {
      writeTime.push(t - writeEnter);
      writeEnter = 0;
    }
  }
  flush();
  const us = (n: number): string => `${n.toFixed(1)} us`;
  console.log(`${file}: ${toWrite.length} wake-ups that wrote`);
  // by fifths of the run: a JIT-compiled broker is slower until its hot functions are optimized
  const fifth = Math.ceil(toWrite.length / 5);
  const byFifth = [0, 1, 2, 3, 4].map((i) => us(median(toWrite.slice(i * fifth, (i + 1) * fifth))));
  console.log(`  wake -> first write, p50 by fifth of the run: ${byFifth.join(', ')}`);
  console.log(`  wake -> first write syscall: p50 ${us(median(toWrite))}, p90 ${us(pct(toWrite, 0.9))}, p99 ${us(pct(toWrite, 0.99))}`);
  const warm = toWrite.slice(Math.floor(toWrite.length / 2));
  console.log(`  second half of the run:       p50 ${us(median(warm))}, p90 ${us(pct(warm, 0.9))}`);
  console.log(`  first write syscall:         p50 ${us(median(writeTime))}, p90 ${us(pct(writeTime, 0.9))}`);
  console.log(`  syscalls per wake-up:        p50 ${median(syscalls)}`);
}
