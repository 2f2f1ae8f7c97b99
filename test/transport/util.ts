// Small helpers for transport tests: a logger that keeps its lines, waiting for a condition, echo links.
import type { TransportLink, TransportLogger } from '../../src/transport/index.js';

export class LogCapture implements TransportLogger {
  readonly lines: { fields: Record<string, unknown>; msg: string }[] = [];
  warn(fields: object, msg: string): void {
    this.lines.push({ fields: fields as Record<string, unknown>, msg });
  }
  info(fields: object, msg: string): void {
    this.lines.push({ fields: fields as Record<string, unknown>, msg });
  }
  codes(): unknown[] {
    return this.lines.map((l) => l.fields['code']).filter((c) => c !== undefined);
  }
}

/** Polls `check` every 20 ms until it returns true, failing after timeoutMs. */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A consumer that sends every byte straight back, and keeps the links it saw. */
export function echoLinks(): { links: TransportLink[]; onLink: (l: TransportLink) => void } {
  const links: TransportLink[] = [];
  return {
    links,
    onLink: (l) => {
      links.push(l);
      l.stream.on('error', () => undefined);
      l.stream.pipe(l.stream);
    },
  };
}

export function portOf(address: { host: string; port: number } | { path: string }): number {
  if ('port' in address) return address.port;
  throw new Error('not a TCP listener');
}
