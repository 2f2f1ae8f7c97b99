// A raw TCP MQTT client for black-box broker tests: sends hand-built bytes, queues what comes back and
// asserts on it; a mismatch prints both packets decoded, the way mosquitto's broker tests do.
import { connect as netConnect, type Socket } from 'node:net';
import { LEVEL_5, RC, type Level, type TypeName } from './raw-codes.js';
import * as pk from './raw-packets.js';
import { describe, parsePacket, splitPackets, type RawPacket } from './raw-packets.js';

/** Default bound for waiting on one packet: generous for a loaded 2-core machine, still finite. */
export const WAIT_MS = 4000;

type Waiter = () => void;

export class RawClient {
  private readonly queue: RawPacket[] = [];
  private pending: Buffer = Buffer.alloc(0);
  private waiters: Waiter[] = [];
  /** Every packet ever received, in order (also those already taken from the queue). */
  readonly received: RawPacket[] = [];
  closed = false;
  closedAt = 0;
  /** Answer QoS 1/2 PUBLISHes and PUBRELs automatically (the packets are still queued). */
  autoAck = false;

  private constructor(
    readonly socket: Socket,
    public level: Level,
    readonly label: string,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      this.closedAt = Date.now();
      this.wake();
    });
  }

  static open(port: number, level: Level, label = 'client'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({ port, host: '127.0.0.1' });
      socket.setNoDelay(true);
      socket.once('connect', () => resolve(new RawClient(socket, level, label)));
      socket.once('error', reject);
    });
  }

  private onData(chunk: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const { packets, rest } = splitPackets(this.pending);
    this.pending = Buffer.from(rest);
    for (const bytes of packets) {
      const p = parsePacket(Buffer.from(bytes), this.level);
      this.received.push(p);
      this.queue.push(p);
      if (this.autoAck) this.ackFor(p);
    }
    if (packets.length) this.wake();
  }

  private ackFor(p: RawPacket): void {
    if (this.closed || this.socket.destroyed) return;
    if (p.type === 'PUBLISH' && p.qos === 1) this.send(pk.puback(this.level, p.packetId!));
    else if (p.type === 'PUBLISH' && p.qos === 2) this.send(pk.pubrec(this.level, p.packetId!));
    else if (p.type === 'PUBREL') this.send(pk.pubcomp(this.level, p.packetId!));
  }

  private wake(): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }

  /** Resolves on the next packet or close, or after ms. */
  private waitEvent(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.waiters.push(done);
    });
  }

  send(...bufs: Buffer[]): void {
    if (!this.socket.destroyed) this.socket.write(bufs.length === 1 ? bufs[0]! : Buffer.concat(bufs));
  }

  /** The next packet, or null when the connection closed or nothing came within ms. */
  async next(ms = WAIT_MS): Promise<RawPacket | null> {
    const deadline = Date.now() + ms;
    while (this.queue.length === 0) {
      const left = deadline - Date.now();
      if (this.closed || left <= 0) return null;
      await this.waitEvent(left);
    }
    return this.queue.shift()!;
  }

  /** Takes the next packet and asserts its type. */
  async expectPacket(type: TypeName, ms = WAIT_MS): Promise<RawPacket> {
    const p = await this.next(ms);
    if (!p) throw new Error(`${this.label}: expected ${type}, got ${this.closed ? 'connection closed' : `nothing within ${ms} ms`}`);
    if (p.type !== type) throw new Error(`${this.label}: expected ${type}\n  received: ${describe(p)}`);
    if (p.parseError) throw new Error(`${this.label}: malformed ${type} from broker\n  received: ${describe(p)}`);
    return p;
  }

  /** Takes the next packet and compares it byte for byte with `expected` (built by raw-packets). */
  async expectBytes(expected: Buffer, ms = WAIT_MS): Promise<RawPacket> {
    const want = parsePacket(expected, this.level);
    const p = await this.next(ms);
    if (!p) throw new Error(`${this.label}: expected ${describe(want)}\n  got ${this.closed ? 'connection closed' : 'nothing'}`);
    if (!p.bytes.equals(expected)) {
      throw new Error(`${this.label}: packet differs\n  expected: ${describe(want)}\n  received: ${describe(p)}`);
    }
    return p;
  }

  /** Asserts the broker closes the connection within ms, sending no packet first. */
  async expectClose(ms = WAIT_MS): Promise<void> {
    const p = await this.next(ms);
    if (p) throw new Error(`${this.label}: expected the connection to close, received ${describe(p)}`);
    if (!this.closed) throw new Error(`${this.label}: connection still open after ${ms} ms`);
  }

  /**
   * The spec's reaction to an error: 3.1.1 closes; 5.0 closes, sending DISCONNECT with one of `reasons`
   * first when it sends anything (4.13: "preferably"). With `requirePacket` a 5.0 DISCONNECT is mandatory.
   */
  async expectDisconnect(reasons: number | readonly number[], ms = WAIT_MS, requirePacket = false): Promise<void> {
    if (this.level !== LEVEL_5) return this.expectClose(ms);
    const allowed = typeof reasons === 'number' ? [reasons] : reasons;
    const want = allowed.map((r) => `0x${r.toString(16)}`).join(' or ');
    const p = await this.next(ms);
    if (p) {
      if (p.type !== 'DISCONNECT' || !allowed.includes(p.reasonCode!)) {
        throw new Error(`${this.label}: expected DISCONNECT rc=${want} then close\n  received: ${describe(p)}`);
      }
    } else if (requirePacket) {
      throw new Error(`${this.label}: expected DISCONNECT rc=${want}, got ${this.closed ? 'close without it' : 'nothing'}`);
    }
    await this.expectClose(ms);
  }

  /** Asserts no packet arrives (and the connection stays open) for ms. */
  async expectNothing(ms = 500): Promise<void> {
    const p = await this.next(ms);
    if (p) throw new Error(`${this.label}: expected nothing, received ${describe(p)}`);
    if (this.closed) throw new Error(`${this.label}: expected nothing, but the connection closed`);
  }

  /** Collects n packets of `type`, skipping none: any other packet fails. */
  async collect(type: TypeName, n: number, ms = WAIT_MS): Promise<RawPacket[]> {
    const out: RawPacket[] = [];
    while (out.length < n) {
      const p = await this.next(ms);
      if (!p) throw new Error(`${this.label}: got ${out.length} of ${n} ${type} packets, then ${this.closed ? 'close' : 'silence'}`);
      if (p.type !== type) throw new Error(`${this.label}: collecting ${type}, received ${describe(p)}`);
      out.push(p);
    }
    return out;
  }

  /** Packets waiting in the queue right now. */
  get queued(): readonly RawPacket[] {
    return this.queue;
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  destroy(): void {
    this.socket.destroy();
  }

  // ---------------------------------------------------------------- common sequences

  /** Sends CONNECT and expects a successful CONNACK. */
  async connect(spec: Omit<pk.ConnectSpec, 'level'> = {}): Promise<RawPacket> {
    this.send(pk.connect({ level: this.level, ...spec }));
    const ack = await this.expectPacket('CONNACK');
    if (ack.reasonCode !== RC.Success) throw new Error(`${this.label}: CONNECT refused\n  received: ${describe(ack)}`);
    return ack;
  }

  async subscribe(filters: (pk.SubSpec | string)[], packetId = 1, p?: pk.Props): Promise<RawPacket> {
    this.send(pk.subscribe(this.level, packetId, filters, p));
    const ack = await this.expectPacket('SUBACK');
    if (ack.packetId !== packetId) throw new Error(`${this.label}: SUBACK id ${ack.packetId}, expected ${packetId}`);
    return ack;
  }

  publish(p: pk.PublishSpec): void {
    this.send(pk.publish(this.level, p));
  }

  /** QoS 1 publish and its PUBACK. */
  async publishQos1(p: Omit<pk.PublishSpec, 'qos'>, packetId = 1): Promise<RawPacket> {
    this.send(pk.publish(this.level, { ...p, qos: 1, packetId }));
    return this.expectPacket('PUBACK');
  }

  /** Full QoS 2 sender flow: PUBLISH, PUBREC, PUBREL, PUBCOMP. */
  async publishQos2(p: Omit<pk.PublishSpec, 'qos'>, packetId = 1): Promise<void> {
    this.send(pk.publish(this.level, { ...p, qos: 2, packetId }));
    await this.expectPacket('PUBREC');
    this.send(pk.pubrel(this.level, packetId));
    await this.expectPacket('PUBCOMP');
  }

  /** PINGREQ -> PINGRESP: proves the broker processed everything sent before. Other packets stay queued. */
  async ping(ms = WAIT_MS): Promise<void> {
    this.send(pk.pingreq());
    const deadline = Date.now() + ms;
    for (;;) {
      const idx = this.queue.findIndex((q) => q.type === 'PINGRESP');
      if (idx >= 0) {
        this.queue.splice(idx, 1);
        return;
      }
      const left = deadline - Date.now();
      if (this.closed || left <= 0) throw new Error(`${this.label}: no PINGRESP (${this.closed ? 'closed' : 'timeout'})`);
      await this.waitEvent(left);
    }
  }
}

