// Reads a capture in fixed-size chunks so memory stays flat however large the file is.
import { openSync, readSync, closeSync } from 'node:fs';

/** A forward-only byte reader; slices it returns stay valid (chunks are never reused). */
export interface ByteSource {
  /** Up to n bytes (fewer only at end of input); an empty buffer means end of input. */
  read(n: number): Buffer;
  /** Skips n bytes; returns how many were skipped (fewer only at end of input). */
  skip(n: number): number;
  /** Bytes consumed so far. */
  readonly position: number;
  close(): void;
}

const DEFAULT_CHUNK = 1 << 20;

/** Reads a file with readSync into fresh chunks: a slice handed out is never overwritten. */
export class FileSource implements ByteSource {
  private readonly fd: number;
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  private consumed = 0;
  private eof = false;

  constructor(path: string, private readonly chunkSize = DEFAULT_CHUNK) {
    this.fd = openSync(path, 'r');
  }

  get position(): number {
    return this.consumed;
  }

  private fill(n: number): void {
    while (this.buf.length - this.pos < n && !this.eof) {
      const left = this.buf.length - this.pos;
      const next = Buffer.allocUnsafe(Math.max(this.chunkSize, n - left + this.chunkSize));
      this.buf.copy(next, 0, this.pos);
      let got = left;
      while (got < next.length) {
        const r = readSync(this.fd, next, got, next.length - got, null);
        if (r === 0) {
          this.eof = true;
          break;
        }
        got += r;
      }
      this.buf = next.subarray(0, got);
      this.pos = 0;
    }
  }

  read(n: number): Buffer {
    this.fill(n);
    const end = Math.min(this.buf.length, this.pos + n);
    const out = this.buf.subarray(this.pos, end);
    this.consumed += end - this.pos;
    this.pos = end;
    return out;
  }

  skip(n: number): number {
    let left = n;
    while (left > 0) {
      const got = this.read(Math.min(left, this.chunkSize)).length;
      if (got === 0) break;
      left -= got;
    }
    return n - left;
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** An in-memory source, for tests and for captures already held in memory. */
export class BufferSource implements ByteSource {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}
  get position(): number {
    return this.pos;
  }
  read(n: number): Buffer {
    const end = Math.min(this.buf.length, this.pos + n);
    const out = this.buf.subarray(this.pos, end);
    this.pos = end;
    return out;
  }
  skip(n: number): number {
    return this.read(n).length;
  }
  close(): void {}
}
