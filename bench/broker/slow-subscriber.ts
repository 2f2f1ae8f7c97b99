// Slow-subscriber benchmark (issue 3): one MQTT.js publisher keeps WINDOW QoS 1 (or 2) PUBLISHes in flight to one
// subscriber that reads in bursts (its socket paused PAUSE_MS of every PERIOD_MS), so it drains slower than the
// broker accepts. A broker that accepts faster than the subscriber reads must hold the publisher back, not drop.
// Prints sent, delivered (in order?), lost, the broker's queue-full drop counter and the delivery rate.
//   node --import tsx bench/broker/slow-subscriber.ts [--broker=glassmq|mosquitto] [--entry=PATH] [--messages=N]
//     [--qos=1|2] [--max-queued=N] [--window=N] [--pause-ms=N] [--period-ms=N] [--repeat=N]
// --entry: the glassmq CLI to run (a .ts file through tsx, a .js file with node; default this tree's
// src/cli/main.ts), so two trees can be compared. The broker runs on core 1, the clients on this process's core.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { CLI_ENTRY, freePort, stopProcess, waitForPort } from '../../test/helpers/net.js';

function arg(name: string, fallback: string): string {
  return process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
}

const BROKER = arg('broker', 'glassmq');
const ENTRY = arg('entry', CLI_ENTRY);
const MESSAGES = Number(arg('messages', '20000'));
const QOS = Number(arg('qos', '1')) as 1 | 2;
const MAX_QUEUED = Number(arg('max-queued', '1000'));
const WINDOW = Number(arg('window', '100'));
const PAUSE_MS = Number(arg('pause-ms', '20'));
const PERIOD_MS = Number(arg('period-ms', '50'));
const REPEAT = Number(arg('repeat', '1'));
/** Delivery is over once nothing arrived for this long after the publisher finished. */
const QUIET_MS = 3000;
const TOPIC = 'bench/slow';

interface Started {
  child: ChildProcess;
  port: number;
  cleanup(): void;
}

async function startBroker(): Promise<Started> {
  const port = await freePort();
  let cmd: string[];
  let cleanup = (): void => undefined;
  if (BROKER === 'mosquitto') {
    const dir = mkdtempSync(join(tmpdir(), 'bench-mosq-'));
    const conf = join(dir, 'mosquitto.conf');
    writeFileSync(conf, ['persistence false', 'allow_anonymous true', `max_queued_messages ${MAX_QUEUED}`, 'sys_interval 1', `listener ${port} 127.0.0.1`, ''].join('\n'));
    cmd = ['/usr/sbin/mosquitto', '-c', conf];
    cleanup = () => rmSync(dir, { recursive: true, force: true });
  } else {
    const runner = ENTRY.endsWith('.ts') ? [process.execPath, '--import', 'tsx'] : [process.execPath];
    cmd = [...runner, ENTRY, 'broker', '--memory', '--port', String(port), '--max-queued', String(MAX_QUEUED), '--sys-interval', '1'];
  }
  const child = spawn('taskset', ['-c', '1', ...cmd], { stdio: 'ignore' });
  await waitForPort(port, '127.0.0.1', 60_000);
  return { child, port, cleanup };
}

/** The broker's count of QoS 1/2 messages dropped on a full session queue (glassmq), or of all drops (mosquitto). */
async function droppedCounter(port: number): Promise<number> {
  const topic = BROKER === 'mosquitto' ? '$SYS/broker/publish/messages/dropped' : '$SYS/broker/dropped/queue-full';
  const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0 });
  try {
    const value = new Promise<number>((resolve) => c.on('message', (_t, p) => resolve(Number(p.toString()))));
    await c.subscribeAsync(topic);
    return await Promise.race([value, new Promise<number>((r) => setTimeout(() => r(NaN), 3000))]);
  } finally {
    c.end(true);
  }
}

async function run(port: number, round: number): Promise<{ delivered: number; inOrder: boolean; seconds: number; heldPublishMs: number }> {
  const topic = `${TOPIC}/${round}`;
  const sub = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, clean: true });
  const pub = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0 });
  await sub.subscribeAsync(topic, { qos: QOS });
  let delivered = 0;
  let inOrder = true;
  let lastSeq = -1;
  let lastAt = Date.now();
  sub.on('message', (_t, payload) => {
    const seq = payload.readUInt32BE(0);
    if (seq <= lastSeq) inOrder = false; // gaps are losses, counted below; order means no going back
    lastSeq = seq;
    delivered++;
    lastAt = Date.now();
  });
  // reads in bursts: the subscriber's socket is paused PAUSE_MS of every PERIOD_MS
  const socket = sub.stream;
  const pacer = setInterval(() => {
    socket.pause();
    setTimeout(() => socket.resume(), PAUSE_MS);
  }, PERIOD_MS);
  const t0 = Date.now();
  let next = 0;
  let longestWait = 0;
  const sendOne = (): Promise<void> | undefined => {
    if (next >= MESSAGES) return undefined;
    const payload = Buffer.alloc(64);
    payload.writeUInt32BE(next++, 0);
    const sentAt = Date.now();
    return pub.publishAsync(topic, payload, { qos: QOS }).then(() => {
      longestWait = Math.max(longestWait, Date.now() - sentAt);
      return sendOne();
    });
  };
  const senders: Promise<void>[] = [];
  for (let i = 0; i < WINDOW; i++) senders.push(sendOne() ?? Promise.resolve());
  await Promise.all(senders);
  while (delivered < MESSAGES && Date.now() - lastAt < QUIET_MS) await new Promise((r) => setTimeout(r, 50));
  clearInterval(pacer);
  socket.resume();
  const seconds = (lastAt - t0) / 1000;
  pub.end(true);
  sub.end(true);
  return { delivered, inOrder, seconds, heldPublishMs: longestWait };
}

async function main(): Promise<void> {
  const b = await startBroker();
  try {
    for (let round = 0; round < REPEAT; round++) {
      const r = await run(b.port, round);
      await new Promise((res) => setTimeout(res, 1500)); // one $SYS interval
      const dropped = await droppedCounter(b.port);
      console.log(
        `${BROKER} ${ENTRY === CLI_ENTRY ? '' : `(${ENTRY}) `}QoS ${QOS}, window ${WINDOW}, max-queued ${MAX_QUEUED}, sub paused ${PAUSE_MS}/${PERIOD_MS} ms: ` +
          `sent ${MESSAGES}, delivered ${r.delivered}${r.inOrder ? ' in order' : ' OUT OF ORDER'}, lost ${MESSAGES - r.delivered}, ` +
          `dropped counter ${dropped} (cumulative), ${(r.delivered / r.seconds).toFixed(0)} msg/s delivered, longest PUBLISH->ack ${r.heldPublishMs} ms`,
      );
    }
  } finally {
    await stopProcess(b.child);
    b.cleanup();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
