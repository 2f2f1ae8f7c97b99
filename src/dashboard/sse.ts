// One Server-Sent Events response. A browser that cannot keep up is not allowed to grow the broker's memory:
// while more than `maxBuffered` bytes wait in the socket, new events are dropped (and counted) instead.
import type { ServerResponse } from 'node:http';

export const DEFAULT_MAX_BUFFERED = 1 << 20;
/** A comment line every so often keeps proxies from closing an idle stream. */
export const HEARTBEAT_MS = 15_000;

export class SseStream {
  dropped = 0;
  private closed = false;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    private readonly res: ServerResponse,
    private readonly maxBuffered = DEFAULT_MAX_BUFFERED,
  ) {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write(': glassmq\n\n');
    this.heartbeat = setInterval(() => this.write(': ping\n\n'), HEARTBEAT_MS);
    this.heartbeat.unref();
    res.on('close', () => this.end());
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Whether the socket has room for more events right now. */
  get writable(): boolean {
    return !this.closed && this.res.writableLength < this.maxBuffered;
  }

  /** Sends one event; returns false (and counts a drop) when the client is too far behind. */
  send(event: string, data: unknown): boolean {
    if (!this.writable) {
      this.dropped++;
      return false;
    }
    this.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    return true;
  }

  private write(text: string): void {
    if (!this.closed) this.res.write(text);
  }

  onClose(fn: () => void): void {
    this.res.on('close', fn);
  }

  end(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    this.res.end();
  }
}
