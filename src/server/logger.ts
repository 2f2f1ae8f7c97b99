// pino writing plain readable lines to stderr ("2026-01-01T10:00:00.000Z INFO client connected clientId=a"),
// through a small destination instead of a pino-pretty dependency.
import { pino, type DestinationStream, type Logger } from 'pino';
import { LineBatcher } from './log-batch.js';

const LEVEL_NAMES: Readonly<Record<number, string>> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const OMIT = new Set(['level', 'time', 'msg', 'pid', 'hostname']);
const NEEDS_QUOTES = /[\s"=]/;

function formatValue(v: unknown): string {
  if (typeof v === 'string') return v === '' || NEEDS_QUOTES.test(v) ? JSON.stringify(v) : v;
  return JSON.stringify(v);
}

/** Log lines come in bursts (a thousand connections a second): one ISO string per millisecond is enough. */
let lastTime = NaN;
let lastIso = '';
function isoTime(ms: number): string {
  if (ms !== lastTime) {
    lastTime = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}

/** One JSON record from pino -> one plain line. Runs once per logged line (one per connection): kept lean. */
export function formatLine(json: string): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.trimEnd();
  }
  let line = `${isoTime(typeof rec.time === 'number' ? rec.time : Date.now())} ${LEVEL_NAMES[rec.level as number] ?? String(rec.level)} ${String(rec.msg ?? '')}`;
  for (const k in rec) {
    if (!OMIT.has(k)) line += ` ${k}=${formatValue(rec[k])}`;
  }
  return line.trimEnd();
}

export function createLogger(opts: { verbose?: boolean; level?: string; stream?: NodeJS.WritableStream } = {}): Logger {
  const out = opts.stream ?? process.stderr;
  const batch = new LineBatcher((text) => void out.write(text));
  return pino(
    { level: opts.level ?? 'info', base: undefined },
    {
      write: (chunk: string) => batch.write(`${formatLine(chunk)}\n`, LineBatcher.urgent(chunk)),
      // pino's logger.flush() calls this: the shutdown path writes the last lines before it exits
      flush: (cb?: (err?: Error) => void) => {
        batch.flush();
        cb?.();
      },
    } as DestinationStream,
  );
}
