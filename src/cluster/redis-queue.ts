// A session queue held in memory (the owning node's live object is the truth) that logs what changed, so the
// Redis session store replays it on the session's LIST at the end of the turn: push -> RPUSH, shift -> LPOP,
// unshift -> LPUSH, clear -> DEL. A message costs O(1) Redis work, never a rewrite of the queue. Nothing is
// logged while the store will write the whole session anyway (not yet in Redis, not durable, Redis away).
import type { SessionQueue } from '../broker/ports.js';

export const QueueOp = { push: 0, unshift: 1, shift: 2, clear: 3 } as const;
export type QueueOp = (typeof QueueOp)[keyof typeof QueueOp];

const COMPACT_AT = 1024;

export class RedisQueue<D> implements SessionQueue<D> {
  private items: D[];
  private head = 0;
  /** Operations since the last write, and the item of each push / unshift (undefined for the others). */
  ops: QueueOp[] = [];
  opItems: (D | undefined)[] = [];
  /** Whether to log (the store sets it once the session's records are in Redis). */
  logging = false;
  /** Tells the store the queue has operations to write. */
  touched: () => void = () => {};

  constructor(items: D[] = []) {
    this.items = items;
  }

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: D): void {
    this.items.push(item);
    this.log(QueueOp.push, item);
  }

  unshift(item: D): void {
    if (this.head > 0) this.items[--this.head] = item;
    else this.items.unshift(item);
    this.log(QueueOp.unshift, item);
  }

  peek(): D | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }

  shift(): D | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head]!;
    (this.items as (D | undefined)[])[this.head] = undefined;
    this.head++;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= COMPACT_AT && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    this.log(QueueOp.shift, undefined);
    return item;
  }

  extract(take: (item: D) => boolean): D[] {
    const kept: D[] = [];
    const taken: D[] = [];
    for (let i = this.head; i < this.items.length; i++) (take(this.items[i]!) ? taken : kept).push(this.items[i]!);
    this.items = kept;
    this.head = 0;
    if (taken.length > 0) {
      // rare (a share group member leaving): the LIST is written again as it now stands
      this.log(QueueOp.clear, undefined);
      for (const item of kept) this.log(QueueOp.push, item);
    }
    return taken;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
    this.log(QueueOp.clear, undefined);
  }

  *[Symbol.iterator](): IterableIterator<D> {
    for (let i = this.head; i < this.items.length; i++) yield this.items[i]!;
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
