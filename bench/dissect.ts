// Benchmark of `glassmq dissect`: writes a large capture of MQTT traffic with the inspector's own pcapng writer,
// then times `dissect --json` to /dev/null in a child process and reports MB/s and peak RSS.
//
//   node --import tsx bench/dissect.ts [--mb 200] [--mode json|summary] [--file PATH] [--keep]
//
// The child is this file again with `--child FILE MODE`, its stdout on /dev/null: it runs the CLI in-process and
// prints its RSS at start and its peak RSS at the end, so memory flatness is visible.
import { openSync, writeSync, closeSync, statSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PcapngWriter } from '../src/inspect/pcapng-writer.js';
import { TcpSynthesizer } from '../src/inspect/synth-tcp.js';
import { encodePacket, type Packet } from '../src/protocol/index.js';

const MB = 1024 * 1024;

function arg(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

/** Publishers and subscribers of one broker: mixed payload sizes, QoS 0 and 1, a few large messages. */
function generate(path: string, targetBytes: number): { packets: number } {
  const fd = openSync(path, 'w');
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let written = 0;
  const flush = (): void => {
    if (pending.length) writeSync(fd, Buffer.concat(pending, pendingBytes));
    written += pendingBytes;
    pending = [];
    pendingBytes = 0;
  };
  const writer = new PcapngWriter((b) => {
    pending.push(b);
    pendingBytes += b.length;
    if (pendingBytes > 4 * MB) flush();
  });
  const synth = new TcpSynthesizer(writer);
  const v = 4;
  const enc = (p: Packet): Buffer => encodePacket(p, v);
  let t = Date.UTC(2026, 0, 1);
  let packets = 0;
  const CLIENTS = 16;
  const SUBSCRIBERS = 4;
  for (let c = 0; c < CLIENTS; c++) {
    synth.open(c, { ip: `10.0.${c >> 8}.${(c & 0xff) + 1}`, port: 40000 + c }, { ip: '10.0.100.1', port: 1883 }, t);
    synth.data(c, true, enc({ type: 'connect', protocolName: 'MQTT', protocolVersion: 4, clean: true, keepalive: 60, clientId: `bench-${c}` }), t);
    synth.data(c, false, enc({ type: 'connack', sessionPresent: false, reasonCode: 0 }), t);
    packets += 2;
    if (c < SUBSCRIBERS) {
      synth.data(c, true, enc({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'bench/#', qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0 }] }), t);
      synth.data(c, false, enc({ type: 'suback', packetId: 1, reasonCodes: [1] }), t);
      packets += 2;
    }
  }
  const payloads = [16, 100, 200, 1000, 4000].map((n, i) => Buffer.alloc(n, 0x41 + i));
  const big = Buffer.alloc(150_000, 0x5a);
  let i = 0;
  let id = 1;
  while (written + pendingBytes < targetBytes) {
    const from = SUBSCRIBERS + (i % (CLIENTS - SUBSCRIBERS));
    const qos = (i % 3 === 0 ? 1 : 0) as 0 | 1;
    const payload = i % 997 === 0 ? big : payloads[i % payloads.length]!;
    const packetId = qos ? (id = (id % 65535) + 1) : undefined;
    const publish = enc({ type: 'publish', topic: `bench/${from}/${i % 50}`, payload, qos, retain: false, dup: false, packetId });
    // Several publishes per segment now and then, as a busy client writes them.
    const burst = i % 5 === 0 ? Buffer.concat([publish, publish, publish]) : publish;
    const n = burst === publish ? 1 : 3;
    t += 0.05;
    synth.data(from, true, burst, t);
    packets += n;
    if (qos) {
      synth.data(from, false, enc({ type: 'puback', packetId: packetId! }), t);
      packets += 1;
    }
    const forwarded = enc({ type: 'publish', topic: `bench/${from}/${i % 50}`, payload, qos: 0, retain: false, dup: false });
    for (let s = 0; s < SUBSCRIBERS; s++) {
      for (let k = 0; k < n; k++) synth.data(s, false, forwarded, t);
      packets += n;
    }
    i++;
  }
  for (let c = 0; c < CLIENTS; c++) {
    synth.data(c, true, enc({ type: 'disconnect' }), t);
    synth.close(c, t);
    packets++;
  }
  flush();
  closeSync(fd);
  return { packets };
}

async function child(file: string, mode: string): Promise<void> {
  const startRss = process.memoryUsage().rss;
  const { run } = await import('../src/cli/dissect.js');
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  const code = await run(mode === 'json' ? [file, '--json'] : [file]);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const peak = process.resourceUsage().maxRSS * 1024;
  process.stderr.write(JSON.stringify({ code, ms, cpuMs, startRss, peakRss: peak, endRss: process.memoryUsage().rss }) + '\n');
}

async function main(): Promise<void> {
  if (process.argv.includes('--child')) {
    const i = process.argv.indexOf('--child');
    return child(process.argv[i + 1]!, process.argv[i + 2]!);
  }
  const mb = Number(arg('--mb', '200'));
  const mode = arg('--mode', 'json')!;
  let file = arg('--file');
  let tmp: string | undefined;
  if (!file) {
    tmp = mkdtempSync(join(tmpdir(), 'glassmq-bench-dissect-'));
    file = join(tmp, `mqtt-${mb}mb.pcapng`);
    const g0 = Date.now();
    const { packets } = generate(file, mb * MB);
    console.log(`generated ${file}: ${(statSync(file).size / MB).toFixed(1)} MB, ${packets} MQTT packets in ${((Date.now() - g0) / 1000).toFixed(1)} s`);
  }
  try {
    const size = statSync(file).size;
    const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', file, mode], { encoding: 'utf8', stdio: ['ignore', openSync('/dev/null', 'w'), 'pipe'] });
    const line = r.stderr.trim().split('\n').pop() ?? '';
    let res: { code: number; ms: number; cpuMs: number; startRss: number; peakRss: number; endRss: number };
    try {
      res = JSON.parse(line);
    } catch {
      throw new Error(`child failed: ${r.stderr}`);
    }
    const mbps = size / MB / (res.ms / 1000);
    console.log(`dissect ${mode === 'json' ? '--json' : '(summary)'} ${(size / MB).toFixed(1)} MB in ${(res.ms / 1000).toFixed(2)} s: ${mbps.toFixed(1)} MB/s wall (exit ${res.code})`);
    // On a shared machine the wall clock includes waiting for a CPU; per CPU second is the stable figure.
    console.log(`CPU ${(res.cpuMs / 1000).toFixed(2)} s: ${(size / MB / (res.cpuMs / 1000)).toFixed(1)} MB per CPU second`);
    console.log(`RSS at start ${(res.startRss / MB).toFixed(0)} MB, at end ${(res.endRss / MB).toFixed(0)} MB, peak ${(res.peakRss / MB).toFixed(0)} MB`);
  } finally {
    if (tmp && !process.argv.includes('--keep')) rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
