// TLS key log: NSS key-log lines (the SSLKEYLOGFILE format Wireshark reads) for every TLS and WSS handshake.
import { createWriteStream, type WriteStream } from 'node:fs';
import type { TransportLogger } from './types.js';

export class KeyLog {
  private readonly out: WriteStream;

  /** Opens `file` for appending and warns once through `log`: anyone holding the file can decrypt the traffic. */
  constructor(
    readonly file: string,
    log?: TransportLogger,
  ) {
    this.out = createWriteStream(file, { flags: 'a', mode: 0o600 });
    this.out.on('error', (err) => log?.warn({ file, err: err.message }, `TLS key log ${file} cannot be written: ${err.message}`));
    log?.warn({ file }, keyLogWarning(file));
  }

  /** One line as Node's 'keylog' event hands it over (newline included). */
  write(line: Buffer): void {
    this.out.write(line);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.out.end(resolve));
  }
}

export function keyLogWarning(file: string): string {
  return `TLS key log is ON: session keys of every TLS/WSS connection are appended to ${file}; anyone with this file can decrypt captured traffic`;
}

/** The key-log file to use: the flag wins over the SSLKEYLOGFILE environment variable. */
export function keyLogFileFrom(flag: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (flag) return flag;
  const fromEnv = env['SSLKEYLOGFILE'];
  return fromEnv ? fromEnv : undefined;
}
