// `glassmq broker --capture FILE.pcapng`: what crossed every listener, written as synthesized Ethernet/IP/TCP
// with the real addresses and ports (Wireshark and tshark open it as is). TLS connections are their ciphertext,
// preceded by Decryption Secrets Blocks with the key log, so Wireshark decrypts them with no setting.
import { CaptureFile, megabytes } from '../capture-file.js';
import type { TraceHub, WireWatcher } from './trace-hub.js';
import type { TapDirection, TraceLinkInfo } from './trace-event.js';

export interface LiveCaptureOptions {
  /** Rotate to FILE-1.pcapng, FILE-2.pcapng... after this many MB (0 or absent: one file). */
  maxMb?: number;
  /** Told once per connection the capture cannot show as it crossed the wire. */
  warn?: (message: string) => void;
}

const ENCRYPTED: ReadonlySet<string> = new Set(['tls', 'wss']);

export class LiveCapture implements WireWatcher {
  private readonly file: CaptureFile;
  private readonly followed = new Set<number>();
  private readonly pending = new Map<number, { info: TraceLinkInfo; time: number }>();
  private stopWatching: (() => void) | undefined;
  private ended = false;

  constructor(
    readonly path: string,
    private readonly opts: LiveCaptureOptions = {},
  ) {
    this.file = new CaptureFile(path, { maxBytes: opts.maxMb ? megabytes(opts.maxMb) : 0, interfaceName: 'glassmq' });
  }

  /** Files written so far (more than one after rotation). */
  get paths(): readonly string[] {
    return this.file.paths;
  }

  /** Starts following every link of the hub, present and future. */
  attach(hub: TraceHub): void {
    this.stopWatching ??= hub.watchWire(this);
  }

  /** NSS key-log line(s) from a TLS listener; written before the packets of the session they belong to. */
  keylog(line: Buffer | string): void {
    this.guard(() => this.file.keylog(typeof line === 'string' ? line : line.toString('latin1')));
  }

  open(id: number, info: TraceLinkInfo, time: number, _fromStart: boolean, layer: 'wire' | 'plain'): void {
    if (this.ended) return;
    if (info.transport === 'unix') return; // no addresses to put in an IP header
    if (ENCRYPTED.has(info.transport) && layer === 'plain') {
      this.opts.warn?.(`capture: ${info.transport} connection from ${info.remoteAddress}:${info.remotePort} left out: its listener does not tap the ciphertext`);
      return;
    }
    // The SYN is written with the first bytes: the taps replay the TLS handshake / HTTP upgrade with their earlier times.
    this.pending.set(id, { info, time });
  }

  data(id: number, dir: TapDirection, bytes: Buffer, time: number): void {
    const p = this.pending.get(id);
    if (p) {
      this.pending.delete(id);
      if (!this.start(id, p.info, Math.min(p.time, time))) return;
    }
    if (this.followed.has(id)) this.guard(() => this.file.data(id, dir === 'in', bytes, time));
  }

  /** A write that fails (disk full, file removed) ends the capture with one warning; the broker carries on. */
  private guard(write: () => void): void {
    if (this.ended) return;
    try {
      write();
    } catch (err) {
      this.opts.warn?.(`capture: ${this.path}: ${err instanceof Error ? err.message : String(err)}; capture stopped`);
      this.ended = true;
      this.stopWatching?.();
      try {
        this.file.end();
      } catch {
        // already unusable
      }
    }
  }

  close(id: number, time: number): void {
    const p = this.pending.get(id);
    if (p) {
      this.pending.delete(id);
      if (!this.start(id, p.info, p.time)) return;
    }
    if (!this.followed.delete(id)) return;
    this.guard(() => this.file.close(id, time));
  }

  private start(id: number, info: TraceLinkInfo, time: number): boolean {
    try {
      this.file.open(id, { ip: info.remoteAddress, port: info.remotePort }, { ip: info.localAddress, port: info.localPort }, time);
    } catch (err) {
      this.opts.warn?.(`capture: connection from ${info.remoteAddress}:${info.remotePort} left out: ${err instanceof Error ? err.message : String(err)}`);
      return false;
    }
    this.followed.add(id);
    return true;
  }

  /** Closes the open connections in the file and the file itself. */
  end(): void {
    if (this.ended) return;
    this.stopWatching?.();
    this.ended = true;
    this.file.end();
  }
}
