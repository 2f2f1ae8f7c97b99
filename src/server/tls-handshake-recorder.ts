// [trace] The TLS handshake bytes of each connection, for --capture. A listener's ciphertext tap (tapWire) is
// created after the handshake, yet Wireshark needs the ClientHello and ServerHello to use the key log; until the
// transport's wire tap replays the handshake itself (as ws taps replay the HTTP upgrade), this records the first
// bytes of every ciphertext pass-through while a capture runs, and hands them over when the link is registered.
import type { Socket } from 'node:net';
import { WireStream } from '../transport/tls-context.js';
import type { TapDirection, TraceLinkInfo } from '../inspect/live/index.js';

/** A handshake with a certificate chain fits easily; more than this is not a handshake any more. */
const RECORD_LIMIT = 64 * 1024;

interface Recorded {
  stream: object;
  chunks: { dir: TapDirection; bytes: Buffer; time: number }[];
  size: number;
}

type WriteCallback = (error?: Error | null) => void;
type PushFn = (chunk: unknown, encoding?: BufferEncoding) => boolean;
type WriteFn = (chunk: Buffer, encoding: BufferEncoding, cb: WriteCallback) => void;
type WritevFn = (chunks: { chunk: Buffer }[], cb: WriteCallback) => void;

interface Patchable {
  push: PushFn;
  _write: WriteFn;
  _writev: WritevFn;
}

function plain(address: string | undefined): string {
  return address?.startsWith('::ffff:') && address.includes('.') ? address.slice('::ffff:'.length) : (address ?? '');
}

function keyOf(remoteAddress: string, remotePort: number, localPort: number): string {
  return `${remoteAddress}|${remotePort}|${localPort}`;
}

export class TlsHandshakeRecorder {
  private readonly byKey = new Map<string, Recorded>();
  private readonly finished = new WeakSet<object>();
  private original: Partial<Patchable> | undefined;

  install(): void {
    if (this.original) return;
    const proto = WireStream.prototype as unknown as Patchable;
    const own = Object.prototype.hasOwnProperty.call(proto, 'push');
    this.original = { ...(own ? { push: proto.push } : {}), _write: proto._write, _writev: proto._writev };
    const { push, _write, _writev } = proto;
    const rec = (stream: object, dir: TapDirection, bytes: Buffer): void => this.record(stream, dir, bytes);
    proto.push = function (this: object, chunk: unknown, encoding?: BufferEncoding): boolean {
      if (Buffer.isBuffer(chunk)) rec(this, 'in', chunk);
      return push.call(this, chunk, encoding);
    };
    proto._write = function (this: object, chunk, encoding, cb) {
      rec(this, 'out', chunk);
      _write.call(this, chunk, encoding, cb);
    };
    proto._writev = function (this: object, chunks, cb) {
      for (const c of chunks) rec(this, 'out', c.chunk);
      _writev.call(this, chunks, cb);
    };
  }

  uninstall(): void {
    const o = this.original;
    if (!o) return;
    const proto = WireStream.prototype as unknown as Partial<Patchable>;
    if (o.push) proto.push = o.push;
    else delete proto.push;
    proto._write = o._write;
    proto._writev = o._writev;
    this.original = undefined;
    this.byKey.clear();
  }

  /** The bytes recorded for the connection behind `info`; recording of it stops. */
  take(info: TraceLinkInfo): Recorded['chunks'] | undefined {
    const key = keyOf(info.remoteAddress, info.remotePort, info.localPort);
    const r = this.byKey.get(key);
    if (!r) return undefined;
    this.byKey.delete(key);
    this.finished.add(r.stream);
    return r.chunks;
  }

  private record(stream: object, dir: TapDirection, bytes: Buffer): void {
    if (this.finished.has(stream)) return;
    const raw = (stream as { raw?: Socket }).raw;
    if (!raw) return;
    const key = keyOf(plain(raw.remoteAddress), raw.remotePort ?? 0, raw.localPort ?? 0);
    let r = this.byKey.get(key);
    if (!r) {
      r = { stream, chunks: [], size: 0 };
      this.byKey.set(key, r);
      raw.once('close', () => {
        if (this.byKey.get(key) === r) this.byKey.delete(key);
      });
    }
    if (r.size + bytes.length > RECORD_LIMIT) {
      this.finished.add(stream);
      return;
    }
    r.size += bytes.length;
    r.chunks.push({ dir, bytes: Buffer.from(bytes), time: Date.now() });
  }
}
