// Per-client activity while a Clients view is open: bytes and packets each way, when the last packet arrived,
// and the recent PINGREQ / PINGRESP times (the "ticks" of the keepalive indicator). It attaches to a connection's
// byte stream (MQTT bytes for every transport, WebSocket framing already removed) and detaches completely when
// nobody watches: the read side through a 'data' listener, the write side by wrapping the instance's write()
// (the broker writes each packet as one buffer: Connection.writeBuffer).
import type { Duplex } from 'node:stream';
import { PACKET_TYPE } from '../protocol/constants.js';
import type { Connection } from '../broker/connection.js';
import { PacketWalker } from './packet-walker.js';

const PINGREQ_BIT = 1 << PACKET_TYPE.pingreq;
const TYPE_SHIFT = 4;
/** PINGRESP is its fixed header alone: type byte and Remaining Length 0. */
const PINGRESP_BYTE = PACKET_TYPE.pingresp << TYPE_SHIFT;
const PINGRESP_LENGTH = 2;
/** How many ping ticks are kept per client (a minute at a 5 s keepalive). */
const MAX_TICKS = 24;

export interface PingTick {
  readonly at: number;
  readonly type: 'pingreq' | 'pingresp';
}

export interface ActivitySnapshot {
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly packetsIn: number;
  readonly packetsOut: number;
  /** Clock ms of the last packet from the client, or undefined when none arrived since watching began. */
  readonly lastPacketAt: number | undefined;
  readonly pings: readonly PingTick[];
  /** Clock ms since when these counters run. */
  readonly since: number;
}

type WriteFn = Duplex['write'];
/** write() as the broker calls it (one Buffer), with room for the optional encoding and callback. */
type Write3 = (this: Duplex, chunk: unknown, encoding?: unknown, cb?: unknown) => boolean;

class Tracker {
  bytesIn = 0;
  bytesOut = 0;
  packetsIn = 0;
  packetsOut = 0;
  lastPacketAt: number | undefined;
  readonly pings: PingTick[] = [];
  private readonly walkIn = new PacketWalker();
  private readonly onData: (chunk: Buffer) => void;

  constructor(
    readonly stream: Duplex,
    private readonly now: () => number,
    readonly since: number,
  ) {
    this.onData = (chunk) => this.received(chunk);
    // prepend: the broker's own listener may close the connection inside its call
    stream.prependListener('data', this.onData);
    const original = (Object.getPrototypeOf(stream) as { write: WriteFn }).write as unknown as Write3;
    this.original = original;
    // Runs once per packet the broker writes: fixed parameters (no rest array), the checks inline.
    const wrapped = (chunk: unknown, encoding?: unknown, cb?: unknown): boolean => {
      const length = (chunk as Buffer).length;
      this.bytesOut += length;
      this.packetsOut++;
      if (length === PINGRESP_LENGTH && (chunk as Buffer)[0] === PINGRESP_BYTE) this.tick('pingresp'); // spec 3.13: fixed header only
      return original.call(stream, chunk, encoding, cb);
    };
    (stream as unknown as { write: Write3 }).write = wrapped as Write3;
  }

  private readonly original: Write3;

  private received(chunk: Buffer): void {
    this.bytesIn += chunk.length;
    const n = this.walkIn.walk(chunk, PINGREQ_BIT, this.onPingreq);
    if (n > 0) {
      this.packetsIn += n;
      this.lastPacketAt = this.now(); // once per chunk: the packets of one chunk arrived together
    }
  }

  private readonly onPingreq = (): void => this.tick('pingreq');

  tick(type: PingTick['type']): void {
    this.pings.push({ at: this.now(), type });
    if (this.pings.length > MAX_TICKS) this.pings.shift();
  }

  detach(): void {
    this.stream.removeListener('data', this.onData);
    // Put the prototype's method back as the own property rather than deleting it: a delete would switch the
    // socket object to slow (dictionary) property access for the rest of its life.
    (this.stream as unknown as { write: Write3 }).write = this.original;
  }

  snapshot(): ActivitySnapshot {
    return {
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      packetsIn: this.packetsIn,
      packetsOut: this.packetsOut,
      lastPacketAt: this.lastPacketAt,
      pings: [...this.pings],
      since: this.since,
    };
  }
}

/** Tracks the connections it is shown; `stop()` takes every hook off again. */
export class ClientActivity {
  private readonly trackers = new Map<Connection, Tracker>();

  constructor(private readonly now: () => number) {}

  /** Starts tracking connections not seen yet and forgets closed ones. */
  sync(connections: Iterable<Connection>): void {
    const live = new Set<Connection>();
    for (const conn of connections) {
      live.add(conn);
      if (!this.trackers.has(conn) && conn.isOpen) {
        this.trackers.set(conn, new Tracker(conn.link.stream, this.now, this.now()));
      }
    }
    for (const [conn, tracker] of this.trackers) {
      if (!live.has(conn) || !conn.isOpen) {
        tracker.detach();
        this.trackers.delete(conn);
      }
    }
  }

  get(conn: Connection): ActivitySnapshot | undefined {
    return this.trackers.get(conn)?.snapshot();
  }

  get size(): number {
    return this.trackers.size;
  }

  stop(): void {
    for (const tracker of this.trackers.values()) tracker.detach();
    this.trackers.clear();
  }
}
