// What floor-trace.mjs and wake-chain.mjs share: free ports, a server spec -> its command line, pinned and
// niced processes, a server under the latency load, a perf trace read back as text, servers taking turns.
//   SERVER: mosquitto | floor:MODE | floor:MODE:NODEFLAG[,NODEFLAG] | glassmq[:NODEFLAG,...] (dist/src/cli/main.js)
//     | entry:PATH (another glassmq build)
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';

export const ROOT = new URL('../..', import.meta.url).pathname;

export function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export async function waitForPort(port) {
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

/** `cmd` on `core` at nice -15; stderr piped (resume or read it), stdout ignored. */
export function pinned(cmd, core, env) {
  return spawn('taskset', ['-c', core, 'nice', '-n', '-15', ...cmd], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
}

/** The command line (and environment) of SERVER `spec` on `port`; `dir` holds generated config files. */
export function serverCommand(spec, port, dir) {
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

export function stop(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => { clearTimeout(t); resolve(); });
    child.kill('SIGTERM');
  });
}

export const median = (xs) => { const s = [...xs].sort((x, y) => x - y); return s.length ? s[Math.floor(s.length / 2)] : NaN; };

/** `perf record RECORD_ARGS -- sleep SECONDS`, then `perf script --ns -F FIELDS` of it handed to `parse(file)`. */
export function perfTrace(dir, name, recordArgs, seconds, fields, parse) {
  const data = join(dir, `${name}.data`);
  const txt = join(dir, `${name}.txt`);
  spawnSync('perf', ['record', '-q', '-o', data, ...recordArgs, '--', 'sleep', String(seconds)], { stdio: 'ignore' });
  try {
    writeFileSync(txt, spawnSync('perf', ['script', '-i', data, '--ns', '-F', fields], { maxBuffer: 1 << 30 }).stdout);
    return parse(txt);
  } finally {
    rmSync(data, { force: true });
    rmSync(txt, { force: true });
  }
}

/**
 * Starts SERVER `spec` alone on core 1 and `loadgen.ts latency` on core 0 (`warmup` seconds, then `seconds + 2`
 * more), waits out the warm-up and returns `measure(server, gen)` (the pids are the processes': taskset and nice
 * exec into them); everything started is stopped.
 */
export async function underLatencyLoad(spec, dir, warmup, seconds, measure) {
  const port = await freePort();
  const { cmd, env } = serverCommand(spec, port, dir);
  const server = pinned(cmd, '1', env);
  server.stderr.resume();
  try {
    await waitForPort(port);
    const gen = pinned([process.execPath, '--import', 'tsx', 'bench/broker/loadgen.ts', 'latency', String(port), `seconds=${seconds + 2}`, `warmup=${warmup}`], '0', {});
    gen.stderr.resume();
    const genDone = new Promise((resolve) => gen.on('close', resolve));
    // the load generator needs a moment to start (tsx) before its warm-up clock runs
    await new Promise((r) => setTimeout(r, (warmup + 1.5) * 1000));
    try {
      return measure(server, gen);
    } finally {
      gen.kill('SIGTERM');
      await genDone;
    }
  } finally {
    await stop(server);
  }
}

const loadAverage = (n) => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, n).join(' ');

/**
 * Runs `runOne(spec)` for every server, round after round (so drift in the machine's load hits all alike), prints
 * `line(spec, result)` per run, and returns each server's results in round order.
 */
export async function inTurns(servers, rounds, runOne, line) {
  const results = new Map(servers.map((s) => [s, []]));
  for (let round = 1; round <= rounds; round++) {
    for (const spec of servers) {
      const load = loadAverage(1);
      const result = await runOne(spec);
      results.get(spec).push(result);
      console.log(`round ${round} ${line(spec, result)}, load ${load}`);
    }
  }
  console.log(`medians of ${rounds} rounds (load ${loadAverage(3)} at the end):`);
  return results;
}
