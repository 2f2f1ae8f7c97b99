// Multi-row INSERT and DELETE ... IN (...) statements: the writes batched over one turn go to SQLite in a few
// statements instead of one per row. Each batch size is prepared once and reused.
import type { Database, Statement } from 'better-sqlite3';

/** Batch sizes a run is split into (largest first); every size is one prepared statement. */
const SIZES = [64, 16, 4, 1] as const;

export class BatchInsert {
  private readonly prepared = new Map<number, Statement>();

  constructor(
    private readonly db: Database,
    private readonly table: string,
    private readonly columns: readonly string[],
  ) {}

  /** Inserts rows given as one flat list of values (one per column, row after row): no array per row. */
  run(values: readonly unknown[]): void {
    const width = this.columns.length;
    const rows = values.length / width;
    let at = 0;
    for (const size of SIZES) {
      while (rows - at >= size) {
        this.statement(size).run(at === 0 && size === rows ? values : values.slice(at * width, (at + size) * width));
        at += size;
      }
    }
  }

  private statement(size: number): Statement {
    let st = this.prepared.get(size);
    if (!st) {
      const one = `(${this.columns.map(() => '?').join(', ')})`;
      // OR REPLACE: a row given back to a queue (unshift) may still be on disk under its seq
      st = this.db.prepare(`INSERT OR REPLACE INTO ${this.table} (${this.columns.join(', ')}) VALUES ${Array(size).fill(one).join(', ')}`);
      this.prepared.set(size, st);
    }
    return st;
  }
}

export class BatchDelete {
  private readonly prepared = new Map<number, Statement>();

  constructor(
    private readonly db: Database,
    private readonly table: string,
    private readonly owner: string,
    private readonly key: string,
  ) {}

  /** Deletes the rows of `ownerId` whose key is in `keys`. */
  run(ownerId: string, keys: readonly number[]): void {
    let at = 0;
    for (const size of SIZES) {
      while (keys.length - at >= size) {
        this.statement(size).run(ownerId, ...keys.slice(at, at + size));
        at += size;
      }
    }
  }

  private statement(size: number): Statement {
    let st = this.prepared.get(size);
    if (!st) {
      st = this.db.prepare(`DELETE FROM ${this.table} WHERE ${this.owner} = ? AND ${this.key} IN (${Array(size).fill('?').join(', ')})`);
      this.prepared.set(size, st);
    }
    return st;
  }
}
