// pino writing plain readable lines to stderr ("2026-01-01T10:00:00.000Z INFO client connected clientId=a"),
// through a small destination instead of a pino-pretty dependency.
import { pino, type Logger } from 'pino';

const LEVEL_NAMES: Readonly<Record<number, string>> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const OMIT = new Set(['level', 'time', 'msg', 'pid', 'hostname']);

function formatValue(v: unknown): string {
  if (typeof v === 'string') return /[\s"=]/.test(v) || v === '' ? JSON.stringify(v) : v;
  return JSON.stringify(v);
}

/** One JSON record from pino -> one plain line. */
export function formatLine(json: string): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.trimEnd();
  }
  const time = new Date(typeof rec.time === 'number' ? rec.time : Date.now()).toISOString();
  const level = LEVEL_NAMES[rec.level as number] ?? String(rec.level);
  const fields = Object.entries(rec)
    .filter(([k]) => !OMIT.has(k))
    .map(([k, v]) => `${k}=${formatValue(v)}`);
  return [time, level, String(rec.msg ?? ''), ...fields].join(' ').trimEnd();
}

export function createLogger(opts: { verbose?: boolean; level?: string; stream?: NodeJS.WritableStream } = {}): Logger {
  const out = opts.stream ?? process.stderr;
  return pino(
    { level: opts.level ?? 'info', base: undefined },
    { write: (chunk: string) => void out.write(`${formatLine(chunk)}\n`) },
  );
}
