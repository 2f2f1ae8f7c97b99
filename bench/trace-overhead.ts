// What the live trace costs the broker: QoS 0 msgs/s through createBroker (no trace hub at all), then through the
// composition root (every link registered with the trace hub) with nobody watching, with a watcher that drops events (the SSE/dashboard path
// minus the network), and with --trace printing to /dev/null.
//
//   node --import tsx bench/trace-overhead.ts [--messages N] [--payload BYTES] [--rounds R]
import { createConnection, type Socket } from 'node:net';
import { openSync, createWriteStream } from 'node:fs';
import { pino } from 'pino';
import { defaultConfig, type Config } from '../src/config/config.js';
import { startServer, type RunningServer } from '../src/server/start.js';
import { createBroker } from '../src/server/create-broker.js';
import { printTrace } from '../src/inspect/live/index.js';
import { connectPacket, publishPacket, subscribePacket } from './broker/wire.js';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!, process.argv[i + 1] ?? '');
const MESSAGES = Number(args.get('--messages') ?? 200_000);
const PAYLOAD = Number(args.get('--payload') ?? 64);
const ROUNDS = Number(args.get('--rounds') ?? 3);
const BATCH = 500;
const PUBLISH_HEADER_BYTES = 2;

type Mode = 'no hub (createBroker)' | 'no watcher' | 'watcher (events dropped)' | '--trace to /dev/null';

function connect(port: number, id: string): Promise<Socket> {
  return new Promise((resolve) => {
    const s = createConnection({ port, host: '127.0.0.1' }, () => {
      s.write(connectPacket(id));
      s.once('data', () => resolve(s)); // CONNACK
    });
  });
}

async function round(mode: Mode): Promise<number> {
  const config: Config = { ...defaultConfig(), tcp: [{ host: '127.0.0.1', port: 0 }], defaultListeners: false, memory: true, http: null, sysInterval: 0, maxOutputBuffer: 64 << 20 };
  // The baseline: the library's createBroker registers links with no trace hub at all.
  const running = mode === 'no hub (createBroker)'
    ? await createBroker({ host: '127.0.0.1', port: 0, sysInterval: 0, maxOutputBuffer: 64 << 20 })
    : await startServer(config, pino({ level: 'silent' }));
  let stop: (() => void) | undefined;
  const hub = 'trace' in running ? (running as RunningServer).trace : undefined;
  if (mode === 'watcher (events dropped)') stop = hub!.watch({}, () => undefined);
  if (mode === '--trace to /dev/null') stop = printTrace(hub!, createWriteStream('', { fd: openSync('/dev/null', 'w') }));
  const sub = await connect(running.port, 'sub');
  sub.write(subscribePacket('bench/#', 0));
  await new Promise((r) => sub.once('data', r)); // SUBACK
  const pub = await connect(running.port, 'pub');
  const packet = publishPacket('bench/t', Buffer.alloc(PAYLOAD, 0x61));
  const expectBytes = MESSAGES * packet.length;
  let got = 0;
  const start = process.hrtime.bigint();
  const done = new Promise<void>((resolve) => sub.on('data', (d: Buffer) => {
    got += d.length;
    if (got >= expectBytes) resolve();
  }));
  const batch = Buffer.concat(new Array<Buffer>(BATCH).fill(packet));
  for (let sent = 0; sent < MESSAGES; sent += BATCH) {
    if (!pub.write(batch)) await new Promise((r) => pub.once('drain', r));
  }
  await done;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  stop?.();
  pub.destroy();
  sub.destroy();
  await running.close();
  return MESSAGES / seconds;
}

const modes: Mode[] = ['no hub (createBroker)', 'no watcher', 'watcher (events dropped)', '--trace to /dev/null'];
const results = new Map<Mode, number[]>(modes.map((m) => [m, []]));
for (let r = 0; r < ROUNDS; r++) for (const m of modes) results.get(m)!.push(await round(m));
console.log(`QoS 0, ${MESSAGES} messages of ${PAYLOAD} B (${PAYLOAD + PUBLISH_HEADER_BYTES + 'bench/t'.length + 2} B packets), 1 publisher -> 1 subscriber, best of ${ROUNDS}`);
console.log('| mode | msgs/s (best) | msgs/s (median) |');
console.log('|---|---|---|');
for (const m of modes) {
  const xs = [...results.get(m)!].sort((a, b) => a - b);
  console.log(`| ${m} | ${Math.round(xs[xs.length - 1]!).toLocaleString('en')} | ${Math.round(xs[Math.floor(xs.length / 2)]!).toLocaleString('en')} |`);
}
