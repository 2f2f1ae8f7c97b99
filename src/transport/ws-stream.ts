// A WebSocket as the plain byte stream the broker reads: binary message payloads in, one binary frame per
// write batch out. Message boundaries mean nothing to MQTT; a packet may span frames and a frame may hold
// several packets, the decoder above reassembles either way.
import { Duplex } from 'node:stream';
import WebSocket from 'ws';
import { TransportError } from './errors.js';

/** WebSocket close codes (RFC 6455 section 7.4.1). */
export const WS_CLOSE = { normal: 1000, unsupportedData: 1003, messageTooBig: 1009 } as const;

export interface WsStreamOptions {
  /** Send a WebSocket ping every so often; a missing pong by the next one closes the connection. */
  pingIntervalMs?: number;
  onFailure: (err: TransportError) => void;
}

function asBuffer(data: WebSocket.RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

export class WsStream extends Duplex {
  private pingTimer: NodeJS.Timeout | undefined;
  private awaitingPong = false;
  private failed = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly opts: WsStreamOptions,
  ) {
    super({ allowHalfOpen: false });
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('close', () => {
      this.stopPing();
      this.push(null);
    });
    ws.on('error', (err: Error & { code?: string }) => {
      // ws has already sent the matching close frame (1009, 1002, ...) and is closing the socket.
      const code = err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? 'WS_FRAME_TOO_LARGE' : 'WS_PROTOCOL_ERROR';
      this.fail(new TransportError(code, `${err.code ?? 'WS_ERROR'}: ${err.message}`, err));
    });
    if (opts.pingIntervalMs && opts.pingIntervalMs > 0) this.startPing(opts.pingIntervalMs);
  }

  private onMessage(data: WebSocket.RawData, isBinary: boolean): void {
    if (this.failed) return;
    if (!isBinary) {
      // [MQTT-6.0.0-1] MQTT Control Packets travel in binary frames; any other data frame closes the connection.
      this.fail(new TransportError('WS_TEXT_FRAME', 'text frame received; MQTT over WebSocket requires binary frames'));
      this.ws.close(WS_CLOSE.unsupportedData, 'MQTT requires binary frames');
      return;
    }
    if (!this.push(asBuffer(data))) this.ws.pause();
  }

  private fail(err: TransportError): void {
    if (this.failed) return;
    this.failed = true;
    this.opts.onFailure(err);
  }

  private startPing(intervalMs: number): void {
    this.ws.on('pong', () => {
      this.awaitingPong = false;
    });
    this.pingTimer = setInterval(() => {
      if (this.awaitingPong) {
        this.fail(new TransportError('WS_PING_TIMEOUT', `no WebSocket pong within ${intervalMs / 1000} s of our ping`));
        this.ws.terminate();
        return;
      }
      this.awaitingPong = true;
      this.ws.ping();
    }, intervalMs);
    this.pingTimer.unref();
  }

  private stopPing(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = undefined;
  }

  override _read(): void {
    if (this.ws.isPaused) this.ws.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.send(chunk, cb);
  }

  override _writev(chunks: { chunk: Buffer }[], cb: (e?: Error | null) => void): void {
    // Everything the broker wrote in one tick goes out as one binary frame.
    this.send(chunks.length === 1 ? chunks[0]!.chunk : Buffer.concat(chunks.map((c) => c.chunk)), cb);
  }

  private send(data: Buffer, cb: (e?: Error | null) => void): void {
    // A peer that is already going away gets nothing more; the broker learns from 'close', not from errors.
    if (this.ws.readyState !== WebSocket.OPEN) return cb();
    this.ws.send(data, { binary: true }, () => cb());
  }

  override _final(cb: (e?: Error | null) => void): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(WS_CLOSE.normal);
    cb();
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    this.stopPing();
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
    cb(err);
  }
}
