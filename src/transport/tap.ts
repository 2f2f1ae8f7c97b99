// Taps: raw bytes of one socket layer, for the inspector. Nothing is hooked until the first subscriber arrives,
// and the hooks come off with the last one, so an unwatched connection runs on the prototype's methods.
import type { Duplex } from 'node:stream';
import type { TapDirection, TapListener, TapSource } from './types.js';

type WriteCallback = (error?: Error | null) => void;
type BufferedWrite = { chunk: Buffer | string; encoding: BufferEncoding };

/** The instance methods a tap overrides; restoring means deleting the own property again. */
interface Hookable {
  push(chunk: unknown, encoding?: BufferEncoding): boolean;
  _write(chunk: Buffer | string, encoding: BufferEncoding, cb: WriteCallback): void;
  _writev?(chunks: BufferedWrite[], cb: WriteCallback): void;
}

function toBuffer(chunk: Buffer | string | Uint8Array, encoding?: BufferEncoding): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, encoding);
  return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

export interface RecordedChunk {
  dir: TapDirection;
  bytes: Buffer;
  time: number;
}

/**
 * A tap over a Duplex whose reads arrive through `push` and whose writes leave through `_write`/`_writev`
 * (net.Socket, tls.TLSSocket and our own streams all do). `prelude` is replayed to each new subscriber first:
 * the WebSocket listeners record the HTTP upgrade there, so a trace started later still shows it.
 */
const NO_PRELUDE: readonly RecordedChunk[] = [];
const NO_LISTENERS: ReadonlySet<TapListener> = new Set();

export class StreamTap implements TapSource {
  /** Created with the first subscriber: every connection has a tap, few are ever watched. */
  private listeners: Set<TapListener> | undefined;
  private hooked = false;

  constructor(
    private readonly stream: Duplex,
    private readonly prelude: readonly RecordedChunk[] = NO_PRELUDE,
  ) {}

  on(listener: TapListener): () => void {
    for (const c of this.prelude) listener(c.dir, c.bytes, c.time);
    (this.listeners ??= new Set()).add(listener);
    if (!this.hooked) this.hook();
    return () => {
      const listeners = this.listeners;
      if (!listeners?.delete(listener)) return;
      if (listeners.size === 0 && this.hooked) this.unhook();
    };
  }

  private emit(dir: TapDirection, bytes: Buffer): void {
    const time = Date.now();
    for (const l of this.listeners ?? NO_LISTENERS) l(dir, bytes, time);
  }

  private hook(): void {
    const target = this.stream as unknown as Hookable;
    const proto = Object.getPrototypeOf(this.stream) as Hookable;
    const origPush = proto.push;
    const origWrite = proto._write;
    const origWritev = proto._writev;
    target.push = (chunk: unknown, encoding?: BufferEncoding): boolean => {
      if (chunk !== null && chunk !== undefined) this.emit('in', toBuffer(chunk as Buffer | string, encoding));
      return origPush.call(this.stream, chunk, encoding);
    };
    target._write = (chunk, encoding, cb) => {
      this.emit('out', toBuffer(chunk, encoding));
      origWrite.call(this.stream, chunk, encoding, cb);
    };
    if (origWritev) {
      target._writev = (chunks, cb) => {
        for (const c of chunks) this.emit('out', toBuffer(c.chunk, c.encoding));
        origWritev.call(this.stream, chunks, cb);
      };
    }
    this.hooked = true;
  }

  private unhook(): void {
    const target = this.stream as unknown as Partial<Hookable>;
    delete target.push;
    delete target._write;
    delete target._writev;
    this.hooked = false;
    this.listeners = undefined;
  }
}

/** Bounded copy of what crossed a socket during a handshake (the HTTP upgrade): at most `limit` bytes. */
export class HandshakeRecorder {
  readonly chunks: RecordedChunk[] = [];
  private size = 0;
  private readonly stop: () => void;

  constructor(
    socket: Duplex,
    private readonly limit: number,
  ) {
    const onData = (chunk: Buffer): void => this.add('in', chunk);
    // http.Server reads a fresh socket in C++ until someone adds a 'data' listener through `on`; ours must
    // then run first, because the server's own listener emits 'upgrade' and the 101 reply inside its call.
    socket.on('data', onData);
    socket.removeListener('data', onData);
    socket.prependListener('data', onData);
    const target = socket as unknown as Partial<Hookable>;
    const proto = Object.getPrototypeOf(socket) as Hookable;
    target._write = (chunk, encoding, cb) => {
      this.add('out', toBuffer(chunk, encoding));
      proto._write.call(socket, chunk, encoding, cb);
    };
    this.stop = () => {
      socket.removeListener('data', onData);
      delete target._write;
    };
  }

  private add(dir: TapDirection, bytes: Buffer): void {
    if (this.size + bytes.length > this.limit) return;
    this.size += bytes.length;
    this.chunks.push({ dir, bytes: Buffer.from(bytes), time: Date.now() });
  }

  /** Stops recording; the chunks stay. */
  finish(): readonly RecordedChunk[] {
    this.stop();
    return this.chunks;
  }
}
