// A session queue whose rows live in SQLite (the deliveries table); only a connected session's queue is also kept
// in memory. Pushes and shifts are collected over the turn and written in a few batched statements just before
// the commit. A row shifted from the head is not deleted by the queue: the store decides at the end of the turn
// whether it went into the inflight window (the row stays, and becomes the inflight row) or away (deleted), so
// a message costs one INSERT and one DELETE from queued to acknowledged. An offline session's queue keeps
// nothing in memory (evict), so a million queued messages cost disk, not RAM. Order is the row's seq.
import type { SessionQueue } from '../broker/ports.js';

/** What the queue needs from its store: row I/O and the seqs it numbers rows with. */
export interface QueueRows<D> {
  nextSeq(): number;
  /** The queue has writes waiting: call its write() before this turn's commit. */
  touch(queue: SqliteQueue<D & object>): void;
  /**
   * Writes the queue's changes of the turn: deletes the rows `deletes`, inserts `inserts` (still queued), and
   * settles the rows shifted from the head (`shifted`: on disk; `shiftedPending`: pushed this turn, not written
   * yet): kept as inflight rows when they went into the session's inflight window, else deleted / dropped.
   */
  write(
    queue: SqliteQueue<D & object>,
    deletes: number[],
    inserts: ReadonlyMap<D, number>,
    shifted: ReadonlyMap<D, number>,
    shiftedPending: ReadonlyMap<D, number>,
  ): void;
  /** Deletes the client's queued rows with seq > after. */
  deleteQueuedAfter(clientId: string, after: number): void;
  /** Up to `limit` rows with seq > after, in order, as live deliveries. */
  load(clientId: string, after: number, limit: number): { seq: number; item: D }[];
  /** The smallest seq of a queued row on disk for the client, if any. */
  firstSeq(clientId: string): number | undefined;
}

/** Rows read at a time when the in-memory head runs dry. */
const REFILL = 64;
const BEFORE_ALL = Number.MIN_SAFE_INTEGER;
/** The seq of an item that has no row (its session is not durable). */
const NO_ROW = Number.NaN;

export class SqliteQueue<D extends object> implements SessionQueue<D> {
  /** The resident items from `head` on, and each one's row seq at the same index (no per-item map). */
  private items: D[] = [];
  private seqs: number[] = [];
  private head = 0;
  /** Rows on disk (or about to be) that are not in `items`; all come after the resident ones. */
  private onDisk: number;
  /** Every row not in `items` has seq > cursor. */
  private cursor = BEFORE_ALL;
  private dead = false;
  /** Rows to insert at the end of the turn (item -> seq), and seqs of rows to delete. */
  private inserts = new Map<D, number>();
  private deletes: number[] = [];
  /** Items shifted from the head this turn (item -> seq), whose row is on disk / only in `inserts` until then. */
  private shifted = new Map<D, number>();
  private shiftedPending = new Map<D, number>();
  /** Whether the owning session has a connection (set by the store once the session object exists). */
  online: () => boolean = () => false;
  /** Whether the owning session outlives its connection; a session that does not is never written. */
  durable: () => boolean = () => true;

  constructor(
    private readonly rows: QueueRows<D>,
    readonly clientId: string,
    onDisk = 0,
  ) {
    this.onDisk = onDisk;
  }

  get length(): number {
    return this.items.length - this.head + this.onDisk;
  }

  /** How many items are held in memory (for tests and $SYS). */
  get resident(): number {
    return this.items.length - this.head;
  }

  push(item: D): void {
    if (this.dead) return;
    if (!this.durable()) {
      this.items.push(item); // ends with its connection: nothing to keep on disk
      this.seqs.push(NO_ROW);
      return;
    }
    const seq = this.rows.nextSeq();
    this.insert(item, seq);
    // a connected session's queue is held in memory as well (bounded by --max-queued, as with --memory);
    // once rows wait on disk, later ones join them there so the order holds
    if (this.onDisk === 0 && this.online()) {
      this.items.push(item);
      this.seqs.push(seq);
      this.cursor = seq;
    } else {
      this.onDisk++;
    }
  }

  unshift(item: D): void {
    if (this.dead) return;
    let seq = this.shifted.get(item) ?? this.shiftedPending.get(item);
    if (seq !== undefined) {
      // taken from the head this turn and given back (not sent): its row was never touched
      if (this.shiftedPending.delete(item)) this.insert(item, seq);
      else this.shifted.delete(item);
    } else if (this.durable()) {
      const first = this.resident > 0 ? this.seqs[this.head] : this.firstOnDisk();
      seq = (first ?? this.rows.nextSeq()) - 1;
      this.insert(item, seq);
      if (seq > this.cursor) this.cursor = seq;
    } else {
      seq = NO_ROW;
    }
    if (this.head > 0) {
      this.head--;
      this.items[this.head] = item;
      this.seqs[this.head] = seq;
    } else {
      this.items.unshift(item);
      this.seqs.unshift(seq);
    }
  }

  peek(): D | undefined {
    if (this.resident === 0) this.refill(REFILL);
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }

  shift(): D | undefined {
    if (this.resident === 0) this.refill(REFILL);
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head]!;
    const seq = this.seqs[this.head]!;
    (this.items as (D | undefined)[])[this.head] = undefined;
    this.head++;
    if (this.head === this.items.length) {
      this.items = [];
      this.seqs = [];
      this.head = 0;
    }
    this.take(item, seq);
    return item;
  }

  extract(take: (item: D) => boolean): D[] {
    if (this.onDisk > 0) this.refill(this.onDisk);
    const kept: D[] = [];
    const keptSeqs: number[] = [];
    const taken: D[] = [];
    for (let i = this.head; i < this.items.length; i++) {
      const item = this.items[i]!;
      if (take(item)) {
        taken.push(item);
        this.remove(item, this.seqs[i]!);
      } else {
        kept.push(item);
        keptSeqs.push(this.seqs[i]!);
      }
    }
    this.items = kept;
    this.seqs = keptSeqs;
    this.head = 0;
    return taken;
  }

  clear(): void {
    if (!this.dead) {
      this.write();
      for (let i = this.head; i < this.items.length; i++) this.remove(this.items[i]!, this.seqs[i]!);
      this.write();
      // rows in flight sit at or below the cursor and are not the queue's to delete
      if (this.onDisk > 0) this.rows.deleteQueuedAfter(this.clientId, this.cursor);
    }
    this.items = [];
    this.seqs = [];
    this.head = 0;
    this.onDisk = 0;
    this.cursor = BEFORE_ALL;
  }

  *[Symbol.iterator](): IterableIterator<D> {
    for (let i = this.head; i < this.items.length; i++) yield this.items[i]!;
    this.write();
    let after = this.cursor;
    let left = this.onDisk;
    while (left > 0 && !this.dead) {
      const page = this.rows.load(this.clientId, after, REFILL);
      if (page.length === 0) return;
      for (const { seq, item } of page) {
        after = seq;
        left--;
        yield item;
      }
    }
  }

  /** Drops the in-memory head (its rows are written by now): called when the session goes offline. */
  evict(): void {
    const n = this.resident;
    if (n === 0) return;
    this.write();
    const first = this.seqs[this.head]!;
    this.onDisk += n;
    this.items = [];
    this.seqs = [];
    this.head = 0;
    this.cursor = Number.isNaN(first) ? BEFORE_ALL : first - 1;
  }

  /** The session was deleted: its rows are gone, later calls touch only memory. */
  kill(): void {
    this.dead = true;
    this.items = [];
    this.seqs = [];
    this.head = 0;
    this.onDisk = 0;
    this.inserts.clear();
    this.deletes = [];
    this.shifted.clear();
    this.shiftedPending.clear();
  }

  /** Writes the turn's pending inserts and deletes (the store calls this before its commit). */
  write(): void {
    if (this.dead || (this.deletes.length === 0 && this.inserts.size === 0 && this.shifted.size === 0 && this.shiftedPending.size === 0)) return;
    this.rows.write(this, this.deletes, this.inserts, this.shifted, this.shiftedPending);
    this.deletes = [];
    if (this.inserts.size) this.inserts = new Map();
    if (this.shifted.size) this.shifted = new Map();
    if (this.shiftedPending.size) this.shiftedPending = new Map();
  }

  private insert(item: D, seq: number): void {
    this.inserts.set(item, seq);
    this.rows.touch(this);
  }

  /** Taken from the head: the store settles its row at the end of the turn (inflight row, or deleted). */
  private take(item: D, seq: number): void {
    if (this.dead || Number.isNaN(seq)) return;
    if (this.inserts.delete(item)) this.shiftedPending.set(item, seq);
    else this.shifted.set(item, seq);
    this.rows.touch(this);
  }

  /** Removed from the queue for good (extract, clear): the row goes. */
  private remove(item: D, seq: number): void {
    if (this.dead || Number.isNaN(seq)) return;
    if (this.inserts.delete(item)) return; // pushed and taken in the same turn: never written
    this.deletes.push(seq);
    this.rows.touch(this);
  }

  private firstOnDisk(): number | undefined {
    this.write();
    return this.rows.firstSeq(this.clientId);
  }

  private refill(limit: number): void {
    if (this.onDisk === 0 || this.dead) return;
    this.write();
    const page = this.rows.load(this.clientId, this.cursor, limit);
    if (page.length === 0) {
      this.onDisk = 0; // the count drifted from the rows: trust the rows
      return;
    }
    for (const { seq, item } of page) {
      this.items.push(item);
      this.seqs.push(seq);
      this.cursor = seq;
    }
    this.onDisk -= page.length;
  }
}
