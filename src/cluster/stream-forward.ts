// The sending half of the node streams: one XADD per target node for each cross-node QoS 1/2 message, and the
// barrier a publisher's PUBACK / PUBREC waits on, so an acknowledged message is already stored in Redis.
//
// Every XADD goes out on the one command connection, which answers in order: counting replies tells which XADDs
// are stored, with one shared callback and no promise or closure per message.
import type { Redis } from 'ioredis';
import { keys } from './keys.js';
import { ENTRY_FIELD } from './node-stream.js';
import type { Command } from './session-commands.js';

/** Adds commands to the session store's next atomic write (session-writer.ts commitWith). */
export type CommitWith = (cmds: Command[], done: (err: unknown) => void) => void;

/**
 * How long an ack waits for a Redis that holds the connection open but does not answer, before it leaves anyway
 * (counted in `unconfirmed`). A Redis that closes the connection fails the XADDs at once instead.
 */
export const FORWARD_WAIT_MS = 5000;
const WATCH_MS = 500;

export class StreamForwarder {
  /** XADDs sent / answered (stored or failed). */
  private issued = 0;
  private answered = 0;
  /** Replies still owed for XADDs a stall gave up on: they must not release acks registered after the stall. */
  private writtenOff = 0;
  /** Waiting acks, in order: run once `answered` reaches the XADD count they were registered at. */
  private readonly waitSeq: number[] = [];
  private readonly waitFn: (() => void)[] = [];
  private head = 0;
  private stalledTicks = 0;
  private lastAnswered = 0;
  private readonly watch: NodeJS.Timeout;
  /** XADDs Redis refused or could not take (the target node's stream is gone: it was reaped, or Redis restarted empty). */
  failed = 0;
  /** Entries stored (XADD answered with an id). */
  stored = 0;
  /** Acks let go after FORWARD_WAIT_MS without Redis answering. */
  unconfirmed = 0;

  constructor(private readonly cmd: () => Redis) {
    this.watch = setInterval(() => this.checkStall(), WATCH_MS).unref();
  }

  /** Appends the encoded message to `node`'s stream; never creates a stream: only its node (re)creates it. */
  send(node: string, bytes: Buffer): void {
    this.issued++;
    this.cmd().xaddBuffer(keys.stream(node), 'NOMKSTREAM', '*', ENTRY_FIELD, bytes, this.onReply);
  }

  /**
   * [sessions] Appends the message inside another atomic write (the session store's, commitWith), so it lands
   * together with what that write holds (a QoS 2 publisher's packet id): counted like the others; the publisher's
   * acknowledgement waits for that write, not for this forwarder.
   */
  sendWithin(node: string, bytes: Buffer, commitWith: CommitWith): void {
    commitWith([['xadd', keys.stream(node), 'NOMKSTREAM', '*', ENTRY_FIELD, bytes]], (err) => {
      if (err === undefined) this.stored++;
      else this.failed++;
    });
  }

  /** Runs `fn` once every XADD sent so far is answered; at once when none is outstanding. Keeps the order of calls. */
  afterForward(fn: () => void): void {
    if (this.answered >= this.issued && this.head === this.waitFn.length) return fn();
    this.waitSeq.push(this.issued);
    this.waitFn.push(fn);
  }

  /** XADDs sent and not answered yet. */
  get outstanding(): number {
    return this.issued - this.answered;
  }

  close(): void {
    clearInterval(this.watch);
    this.giveUp(); // nothing will answer now: let the acks go
  }

  private readonly onReply = (err: Error | null | undefined, id: Buffer | null | undefined): void => {
    if (err || !id) this.failed++;
    else this.stored++;
    if (this.writtenOff > 0) {
      this.writtenOff--; // already counted as answered when the stall was given up on
      return;
    }
    this.answered++;
    this.release();
  };

  private release(): void {
    const seq = this.waitSeq;
    const fns = this.waitFn;
    while (this.head < fns.length && seq[this.head]! <= this.answered) {
      const fn = fns[this.head]!;
      fns[this.head++] = noop; // let the closure go now, not when the arrays are reset
      fn();
    }
    if (this.head === fns.length) {
      seq.length = 0;
      fns.length = 0;
      this.head = 0;
    }
  }

  /** Redis keeps the connection but stopped answering: after FORWARD_WAIT_MS the waiting acks leave anyway. */
  private checkStall(): void {
    if (this.answered >= this.issued || this.answered !== this.lastAnswered) {
      this.lastAnswered = this.answered;
      this.stalledTicks = 0;
      return;
    }
    if (++this.stalledTicks * WATCH_MS < FORWARD_WAIT_MS) return;
    this.stalledTicks = 0;
    this.giveUp();
  }

  private giveUp(): void {
    const owed = this.issued - this.answered;
    if (owed <= 0) return;
    this.unconfirmed += this.waitFn.length - this.head;
    this.writtenOff += owed;
    this.answered = this.issued;
    this.lastAnswered = this.answered;
    this.release();
  }
}

function noop(): void {}
