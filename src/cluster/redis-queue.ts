// A session queue held in memory (the owning node's live object is the truth) that logs what changed, so the
// Redis session store replays it on the session's LIST at the end of the turn: push -> RPUSH, shift -> LPOP,
// unshift -> LPUSH, clear -> DEL. A message costs O(1) Redis work, never a rewrite of the queue. Nothing is
// logged while the store will write the whole session anyway (not yet in Redis, not durable, Redis away).
import type { SessionQueue } from '../broker/ports.js';

export const QueueOp = { push: 0, unshift: 1, shift: 2, clear: 3 } as const;
export type QueueOp = (typeof QueueOp)[keyof typeof QueueOp];

/** Wraps the broker's in-memory queue (SessionFactory.queue) and logs each operation. */
export class RedisQueue<D> implements SessionQueue<D> {
  /** Operations since the last write, and the item of each push / unshift (undefined for the others). */
  ops: QueueOp[] = [];
  opItems: (D | undefined)[] = [];
  /** Whether to log (the store sets it once the session's records are in Redis). */
  logging = false;
  /** Tells the store the queue has operations to write. */
  touched: () => void = () => {};

  constructor(private readonly inner: SessionQueue<D>) {}

  get length(): number {
    return this.inner.length;
  }

  push(item: D): void {
    this.inner.push(item);
    this.log(QueueOp.push, item);
  }

  unshift(item: D): void {
    this.inner.unshift(item);
    this.log(QueueOp.unshift, item);
  }

  peek(): D | undefined {
    return this.inner.peek();
  }

  shift(): D | undefined {
    if (this.inner.length === 0) return undefined;
    const item = this.inner.shift();
    this.log(QueueOp.shift, undefined);
    return item;
  }

  extract(take: (item: D) => boolean): D[] {
    const taken = this.inner.extract(take);
    if (taken.length > 0) {
      // rare (a share group member leaving): the LIST is written again as it now stands
      this.log(QueueOp.clear, undefined);
      for (const item of this.inner) this.log(QueueOp.push, item);
    }
    return taken;
  }

  clear(): void {
    this.inner.clear();
    this.log(QueueOp.clear, undefined);
  }

  [Symbol.iterator](): IterableIterator<D> {
    return this.inner[Symbol.iterator]();
  }

  /** Forgets the logged operations (written, or superseded by a write of the whole queue). */
  dropOps(): void {
    if (this.ops.length === 0) return;
    this.ops = [];
    this.opItems = [];
  }

  private log(op: QueueOp, item: D | undefined): void {
    if (!this.logging) return;
    if (this.ops.length === 0) this.touched();
    this.ops.push(op);
    this.opItems.push(item);
  }
}
