// A pcapng capture file of synthesized TCP connections (the broker's --capture), optionally rotated by size:
// FILE, then FILE-1, FILE-2... (before the extension). Each new file repeats the recent key-log lines so its
// TLS sessions still decrypt on their own.
import { openSync, writeSync, closeSync } from 'node:fs';
import { PcapngWriter } from './pcapng-writer.js';
import { TcpSynthesizer, type SynthEndpoint, type SynthOptions } from './synth-tcp.js';

/** Key-log lines carried into each rotated file. */
const KEYLOG_LINES_KEPT = 4096;
const BYTES_PER_MB = 1024 * 1024;

export interface CaptureFileOptions extends SynthOptions {
  /** Start a new file once this many bytes were written to the current one (0 or absent: never). */
  maxBytes?: number;
}

/** FILE.pcapng -> FILE-<n>.pcapng */
export function rotatedName(path: string, n: number): string {
  if (n === 0) return path;
  const dot = path.lastIndexOf('.');
  const slash = path.lastIndexOf('/');
  return dot > slash + 1 ? `${path.slice(0, dot)}-${n}${path.slice(dot)}` : `${path}-${n}`;
}

export function megabytes(mb: number): number {
  return Math.floor(mb * BYTES_PER_MB);
}

export class CaptureFile {
  private fd: number;
  private written = 0;
  private index = 0;
  private readonly keylogLines: string[] = [];
  private readonly synth: TcpSynthesizer;
  /** Paths written so far, in order. */
  readonly paths: string[] = [];

  constructor(private readonly path: string, private readonly opts: CaptureFileOptions = {}) {
    this.fd = this.openFile();
    this.synth = new TcpSynthesizer(this.writer(), opts);
  }

  private openFile(): number {
    const p = rotatedName(this.path, this.index);
    this.paths.push(p);
    this.written = 0;
    return openSync(p, 'w');
  }

  private writer(): PcapngWriter {
    return new PcapngWriter((block) => {
      writeSync(this.fd, block);
      this.written += block.length;
    });
  }

  private rotateIfFull(): void {
    const max = this.opts.maxBytes ?? 0;
    if (max <= 0 || this.written < max) return;
    closeSync(this.fd);
    this.index++;
    this.fd = this.openFile();
    const w = this.writer();
    this.synth.attach(w);
    if (this.keylogLines.length) w.secrets(this.keylogLines.join('\n'));
  }

  open(id: string | number, client: SynthEndpoint, server: SynthEndpoint, timeMs: number): void {
    this.rotateIfFull();
    this.synth.open(id, client, server, timeMs);
  }

  data(id: string | number, fromClient: boolean, bytes: Buffer, timeMs: number): void {
    this.rotateIfFull();
    this.synth.data(id, fromClient, bytes, timeMs);
  }

  close(id: string | number, timeMs: number, closedByClient = true): void {
    this.synth.close(id, timeMs, closedByClient);
  }

  /** NSS key-log line(s) of a TLS connection (node's 'keylog' event), written before that connection's records. */
  keylog(lines: string): void {
    for (const l of lines.split('\n')) if (l.trim()) this.keylogLines.push(l.trim());
    if (this.keylogLines.length > KEYLOG_LINES_KEPT) this.keylogLines.splice(0, this.keylogLines.length - KEYLOG_LINES_KEPT);
    this.synth.keylog(lines);
  }

  end(): void {
    closeSync(this.fd);
  }
}
