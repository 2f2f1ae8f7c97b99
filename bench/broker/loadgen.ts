// The load generator of bench/broker: one scenario against one broker port, raw sockets and
// pre-encoded packets, result printed as one `RESULT {json}` line. run.ts pins it to its own core.
//   node --import tsx bench/broker/loadgen.ts <fanin|fanout|qos1|latency|idle> <port> [key=value ...]
import { connect, type Socket } from 'node:net';
import {
  connectPacket, FrameScanner, packetIdOffset, publishPacket, pubackFor, subscribePacket,
  TYPE_CONNACK, TYPE_PUBACK, TYPE_PUBLISH, TYPE_SUBACK,
} from './wire.js';

type Handler = (type: number, buf: Buffer, bodyStart: number) => void;

/** One MQTT 3.1.1 connection: a socket, a frame scanner, a replaceable packet handler. */
class Conn {
  handler: Handler = () => undefined;
  afterData: () => void = () => undefined;
  private constructor(readonly socket: Socket) {
    const scanner = new FrameScanner((type, _flags, buf, start) => this.handler(type, buf, start));
    socket.on('data', (chunk: Buffer) => {
      scanner.push(chunk);
      this.afterData();
    });
    socket.on('error', (err) => {
      throw new Error(`socket error: ${err.message}`);
    });
  }

  static open(port: number, clientId: string, keepalive = 0): Promise<Conn> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host: '127.0.0.1' });
      socket.setNoDelay(true);
      socket.once('error', reject);
      socket.once('connect', () => {
        const c = new Conn(socket);
        c.handler = (type) => {
          if (type === TYPE_CONNACK) resolve(c);
        };
        socket.write(connectPacket(clientId, keepalive));
      });
    });
  }

  subscribe(filter: string, qos: number): Promise<void> {
    return new Promise((resolve) => {
      this.handler = (type) => {
        if (type === TYPE_SUBACK) resolve();
      };
      this.socket.write(subscribePacket(filter, qos));
    });
  }
}

function args(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of process.argv.slice(4)) {
    const [k, v] = a.split('=');
    out[k!] = Number(v);
  }
  return out;
}

const elapsedSince = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e9;

async function fanIn(port: number, o: Record<string, number>): Promise<object> {
  const PUBS = o.publishers ?? 8;
  const M = o.messages ?? 200_000;
  const CHUNK = 50;
  const WINDOW = 4000;
  const payload = Buffer.alloc(o.payload ?? 32, 120);
  const sub = await Conn.open(port, 'bench-in-sub');
  await sub.subscribe('bench/in', 0);
  const pubs = await Promise.all(Array.from({ length: PUBS }, (_, i) => Conn.open(port, `bench-in-pub${i}`)));
  const chunk = Buffer.concat(Array.from({ length: CHUNK }, () => publishPacket('bench/in', payload)));
  let sent = 0;
  let received = 0;
  let next = 0;
  const pump = (): void => {
    while (sent - received < WINDOW && sent < M) {
      pubs[next++ % PUBS]!.socket.write(chunk);
      sent += CHUNK;
    }
  };
  const t0 = process.hrtime.bigint();
  await new Promise<void>((resolve) => {
    sub.handler = (type) => {
      if (type === TYPE_PUBLISH) received++;
    };
    sub.afterData = () => {
      if (received >= M) resolve();
      else pump();
    };
    pump();
  });
  const seconds = elapsedSince(t0);
  for (const c of [sub, ...pubs]) c.socket.destroy();
  return { messages: M, received, lost: M - received, seconds, rate: received / seconds };
}

async function fanOut(port: number, o: Record<string, number>): Promise<object> {
  const SUBS = o.subscribers ?? 50;
  const M = o.messages ?? 20_000;
  const CHUNK = 20;
  const WINDOW = 2000;
  const payload = Buffer.alloc(o.payload ?? 32, 120);
  const subs = await Promise.all(Array.from({ length: SUBS }, (_, i) => Conn.open(port, `bench-out-sub${i}`)));
  for (const s of subs) await s.subscribe('bench/out', 0);
  const pub = await Conn.open(port, 'bench-out-pub');
  const chunk = Buffer.concat(Array.from({ length: CHUNK }, () => publishPacket('bench/out', payload)));
  const counts = new Array<number>(SUBS).fill(0);
  let total = 0;
  let sent = 0;
  const pump = (): void => {
    while (sent - total / SUBS < WINDOW && sent < M) {
      pub.socket.write(chunk);
      sent += CHUNK;
    }
  };
  const t0 = process.hrtime.bigint();
  await new Promise<void>((resolve) => {
    subs.forEach((s, i) => {
      s.handler = (type) => {
        if (type === TYPE_PUBLISH) {
          counts[i]!++;
          total++;
        }
      };
      s.afterData = () => {
        if (total >= M * SUBS) resolve();
        else pump();
      };
    });
    pump();
  });
  const seconds = elapsedSince(t0);
  for (const c of [pub, ...subs]) c.socket.destroy();
  const expected = M * SUBS;
  return { messages: M, deliveries: total, lost: expected - total, minPerSubscriber: Math.min(...counts), seconds, rate: total / seconds };
}

async function qos1Pairs(port: number, o: Record<string, number>): Promise<object> {
  const PAIRS = o.pairs ?? 16;
  const M = o.messages ?? 10_000; // per pair
  const WINDOW = o.window ?? 16; // below every broker's default inflight limit (20)
  const RING = 1024;
  const payload = Buffer.alloc(o.payload ?? 32, 120);
  let delivered = 0;
  let finished = 0;
  const t0ref: { t0: bigint } = { t0: 0n };
  const done = new Promise<void>((resolve) => {
    void (async () => {
      const starters: (() => void)[] = [];
      for (let p = 0; p < PAIRS; p++) {
        const topic = `bench/q1/${p}`;
        const sub = await Conn.open(port, `bench-q1-sub${p}`);
        await sub.subscribe(topic, 1);
        const pub = await Conn.open(port, `bench-q1-pub${p}`);
        const ring = Array.from({ length: RING }, (_, i) => {
          const pk = publishPacket(topic, payload, 1, 1);
          pk.writeUInt16BE(i + 1, packetIdOffset(pk));
          return pk;
        });
        let got = 0;
        const acks: Buffer[] = [];
        sub.handler = (type, buf, start) => {
          if (type !== TYPE_PUBLISH) return;
          acks.push(pubackFor(buf, start));
          got++;
          delivered++;
        };
        sub.afterData = () => {
          if (acks.length) sub.socket.write(acks.length === 1 ? acks[0]! : Buffer.concat(acks));
          acks.length = 0;
          if (got === M && ++finished === PAIRS) resolve();
        };
        let sent = 0;
        let inflight = 0;
        const pump = (): void => {
          const out: Buffer[] = [];
          while (inflight < WINDOW && sent < M) {
            out.push(ring[sent % RING]!);
            sent++;
            inflight++;
          }
          if (out.length) pub.socket.write(out.length === 1 ? out[0]! : Buffer.concat(out));
        };
        pub.handler = (type) => {
          if (type === TYPE_PUBACK) inflight--;
        };
        pub.afterData = pump;
        starters.push(pump);
      }
      t0ref.t0 = process.hrtime.bigint();
      for (const s of starters) s();
    })();
  });
  await done;
  const seconds = elapsedSince(t0ref.t0);
  return { messages: M * PAIRS, delivered, lost: M * PAIRS - delivered, seconds, rate: delivered / seconds };
}

/**
 * QoS 0 send-to-receive time at a steady rate. The first `warmup` seconds (default 5) are sent the same way but
 * reported apart (coldP50): a JIT-compiled broker (glassmq, aedes) runs its hot path unoptimized for its first
 * few thousand messages, and a broker serves for hours, so the p50 / p99 are of the steady state after it.
 */
async function latency(port: number, o: Record<string, number>): Promise<object> {
  const RATE = o.rate ?? 1000;
  const SECONDS = o.seconds ?? 5;
  const WARMUP = o.warmup ?? 5;
  const sub = await Conn.open(port, 'bench-lat-sub');
  await sub.subscribe('bench/lat', 0);
  const pub = await Conn.open(port, 'bench-lat-pub');
  const template = publishPacket('bench/lat', Buffer.alloc(16));
  const stampAt = template.length - 16;
  const warmupCount = Math.round(RATE * WARMUP);
  const cold: number[] = [];
  const samples: number[] = [];
  // dump=1: every measured message's send time (ms since the start) and latency, to stderr, to look at the tail
  const sentAt: number[] = [];
  let received = 0;
  sub.handler = (type, buf, start) => {
    if (type !== TYPE_PUBLISH) return;
    const at = start + 2 + buf.readUInt16BE(start);
    const stamp = buf.readBigUInt64BE(at);
    const ms = Number(process.hrtime.bigint() - stamp) / 1e6;
    if (received++ < warmupCount) cold.push(ms);
    else {
      samples.push(ms);
      if (o.dump) sentAt.push(Number(stamp - t0) / 1e6);
    }
  };
  const total = warmupCount + RATE * SECONDS;
  let sent = 0;
  const t0 = process.hrtime.bigint();
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor(elapsedSince(t0) * RATE));
      while (sent < due) {
        const pk = Buffer.from(template);
        pk.writeBigUInt64BE(process.hrtime.bigint(), stampAt);
        pub.socket.write(pk);
        sent++;
      }
      if (sent >= total) {
        clearInterval(timer);
        setTimeout(resolve, 500);
      }
    }, 1);
  });
  sub.socket.destroy();
  pub.socket.destroy();
  if (o.dump) process.stderr.write(samples.map((ms, i) => `${sentAt[i]!.toFixed(3)} ${ms.toFixed(4)}\n`).join(''));
  const pct = (xs: number[], q: number): number => xs[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? NaN;
  // without a warm-up, the first 10 % (as before warm-ups existed)
  const warm = (WARMUP > 0 ? samples : samples.slice(Math.floor(samples.length / 10))).sort((a, b) => a - b);
  cold.sort((a, b) => a - b);
  return {
    sent, received, lost: sent - received,
    p50: pct(warm, 0.5), p90: pct(warm, 0.9), p99: pct(warm, 0.99), max: warm.at(-1) ?? NaN,
    coldP50: pct(cold, 0.5), coldP99: pct(cold, 0.99),
  };
}

async function idle(port: number, o: Record<string, number>): Promise<object> {
  const N = o.connections ?? 10_000;
  // 0 (default): no keepalive, as before; real clients send 60, which costs the broker a timer each
  const KEEPALIVE = o.keepalive ?? 0;
  const CONCURRENCY = 200;
  const conns: Conn[] = [];
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i += CONCURRENCY) {
    const batch = Array.from({ length: Math.min(CONCURRENCY, N - i) }, (_, k) => Conn.open(port, `idle${i + k}`, KEEPALIVE));
    conns.push(...(await Promise.all(batch)));
  }
  const seconds = elapsedSince(t0);
  return { connections: conns.length, seconds, rate: conns.length / seconds };
}

const SCENARIOS: Record<string, (port: number, o: Record<string, number>) => Promise<object>> = {
  fanin: fanIn,
  fanout: fanOut,
  qos1: qos1Pairs,
  latency,
  idle,
};

const [scenario, portText] = process.argv.slice(2);
const run = SCENARIOS[scenario ?? ''];
if (!run || !portText) {
  console.error(`usage: loadgen.ts <${Object.keys(SCENARIOS).join('|')}> <port> [key=value ...]`);
  process.exit(2);
}
const result = await run(Number(portText), args());
console.log(`RESULT ${JSON.stringify(result)}`);
// The idle scenario holds its connections until run.ts has measured the broker and stops us.
if (scenario !== 'idle') process.exit(0);
