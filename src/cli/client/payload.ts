// Where a published payload comes from: exactly one of -m, -f, -l, -s, -n.
import { readFile } from 'node:fs/promises';
import type { ParsedArgs } from './args.js';
import { CliError } from './errors.js';

export type PayloadSource =
  | { kind: 'message'; text: string }
  | { kind: 'file'; path: string }
  | { kind: 'lines' }
  | { kind: 'stdin' }
  | { kind: 'null' };

export const PAYLOAD_KEYS = ['message', 'file', 'lines', 'stdin', 'null'] as const;

/** The chosen source, or undefined when none was given; two or more is an input error. */
export function payloadSource(args: ParsedArgs): PayloadSource | undefined {
  const given = PAYLOAD_KEYS.filter((k) => args.values.has(k) || args.flags.has(k));
  if (given.length > 1) throw new CliError('BAD_COMBINATION', 'Error: Only one type of message can be sent at once.');
  switch (given[0]) {
    case 'message': return { kind: 'message', text: args.values.get('message')! };
    case 'file': return { kind: 'file', path: args.values.get('file')! };
    case 'lines': return { kind: 'lines' };
    case 'stdin': return { kind: 'stdin' };
    case 'null': return { kind: 'null' };
    default: return undefined;
  }
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Loads a single-message source (-m, -f, -s, -n) before connecting, so a missing file fails without touching the broker. */
export async function loadPayload(src: Exclude<PayloadSource, { kind: 'lines' }>): Promise<Buffer> {
  switch (src.kind) {
    case 'message': return Buffer.from(src.text, 'utf8');
    case 'null': return Buffer.alloc(0);
    case 'stdin': return readStdin();
    case 'file':
      try {
        return await readFile(src.path);
      } catch {
        throw new CliError('FILE_UNREADABLE', `Error: Unable to open file "${src.path}".`);
      }
  }
}

const NEWLINE = 0x0a;

/** -l: each line of stdin (without its '\n') as it arrives; a last line without '\n' counts too. */
export async function* stdinLines(): AsyncGenerator<Buffer> {
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of process.stdin) {
    pending = pending.length ? Buffer.concat([pending, chunk as Buffer]) : (chunk as Buffer);
    let nl: number;
    while ((nl = pending.indexOf(NEWLINE)) >= 0) {
      yield pending.subarray(0, nl);
      pending = pending.subarray(nl + 1);
    }
  }
  if (pending.length) yield pending;
}
