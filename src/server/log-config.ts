// [security] mosquitto's `log_dest` and `log_type` mapped onto the pino logger: where lines go (stderr, stdout,
// an appended file, the `$SYS/broker/log/<L>` topics) and how much is logged. What has no glassmq equivalent
// (syslog, dlt, a per-type selection finer than a level) is said in `notes`, never dropped silently.
import { closeSync, openSync, writeSync } from 'node:fs';
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import type { Config } from '../config/config.js';
import { LineBatcher } from './log-batch.js';
import { createLogger, formatLine } from './logger.js';

/** A log destination that cannot be opened; the CLI prints it as one line and exits 1. */
export class LogConfigError extends Error {
  override readonly name = 'LogConfigError';
}

/** What the logger publishes to when `log_dest topic` is set; the broker, once it runs. */
export interface LogTopicSink {
  publishMessage(topic: string, payload: string): void;
}

export interface ConfiguredLogger {
  readonly logger: PinoLogger;
  /** Lines to say at start (`config: ...`): destinations or types glassmq cannot honour exactly. */
  readonly notes: string[];
  /** `log_dest topic`: lines are published from now on (none before: the broker was not running). */
  attachTopic(sink: LogTopicSink): void;
  /** Closes log files (after the last line). */
  close(): void;
}

/** pino level numbers (pino's own table). */
const PINO_LEVEL = { debug: 20, info: 30, warn: 40, error: 50 } as const;
/** mosquitto's `$SYS/broker/log/<L>` letters: E error, W warning, N notice (glassmq's info lines), D debug. */
const TOPIC_LETTER: readonly [number, string][] = [
  [PINO_LEVEL.error, 'E'],
  [PINO_LEVEL.warn, 'W'],
  [PINO_LEVEL.info, 'N'],
  [0, 'D'],
];
const LOG_TOPIC_PREFIX = '$SYS/broker/log/';

/**
 * log_type lines -> one pino level (pino filters by threshold): the most verbose type given wins. No lines:
 * mosquitto's default set (error, warning, notice, information) = info.
 */
export function logLevel(types: readonly string[] | undefined, verbose: boolean): { level: string; notes: string[] } {
  const notes: string[] = [];
  if (types?.includes('all') || types?.includes('debug')) return { level: 'debug', notes };
  if (verbose || !types || types.length === 0) return { level: 'info', notes }; // -v lines are info lines
  const levels: number[] = [];
  for (const t of types) {
    if (t === 'error') levels.push(PINO_LEVEL.error);
    else if (t === 'warning') levels.push(PINO_LEVEL.warn);
    else if (t === 'notice' || t === 'information') levels.push(PINO_LEVEL.info);
  }
  const extra = types.filter((t) => t === 'subscribe' || t === 'unsubscribe' || t === 'websockets');
  if (extra.length > 0) notes.push(`log_type ${extra.join(', ')}: glassmq has no separate lines for these; 'log_type all' logs every packet`);
  // only `none`: nothing; only types glassmq has no lines for: errors still (nothing at all would hide failures)
  if (levels.length === 0) return { level: extra.length > 0 ? 'error' : types.includes('none') ? 'silent' : 'info', notes };
  const min = Math.min(...levels);
  const level = min === PINO_LEVEL.error ? 'error' : min === PINO_LEVEL.warn ? 'warn' : 'info';
  const implied = [PINO_LEVEL.error, PINO_LEVEL.warn, PINO_LEVEL.info].filter((n) => n >= min);
  if (implied.some((n) => !levels.includes(n))) {
    notes.push(`log_type ${types.join(', ')}: glassmq logs by level, so the more severe types (errors, warnings) are logged too`);
  }
  return { level, notes };
}

/** The logger `glassmq broker` runs with: Config.logDest (default stderr) and Config.logTypes / verbose. */
export function createConfiguredLogger(config: Pick<Config, 'logDest' | 'logTypes' | 'verbose'>): ConfiguredLogger {
  const { level, notes } = logLevel(config.logTypes, config.verbose);
  /** Destinations taking a line as it is logged (the topic). */
  const writers: ((line: string, levelNumber: number) => void)[] = [];
  /** Synchronous text sinks written once per event-loop turn (log-batch.ts): files first, then stderr / stdout. */
  const files: ((text: string) => void)[] = [];
  const stdio: ((text: string) => void)[] = [];
  const fds: number[] = [];
  let topic: LogTopicSink | undefined;
  let publishing = false;
  let closed = false; // lines after close() (a late error) go nowhere rather than to a closed descriptor
  for (const d of config.logDest ?? [{ kind: 'stderr' }]) {
    if (d.kind === 'stderr') stdio.push((text) => void process.stderr.write(text));
    else if (d.kind === 'stdout') stdio.push((text) => void process.stdout.write(text));
    else if (d.kind === 'file') {
      let fd: number;
      try {
        fd = openSync(d.path, 'a'); // appended, as mosquitto; opened now so a bad path stops the start
      } catch (err) {
        for (const open of fds) closeSync(open);
        throw new LogConfigError(`log_dest file ${d.path}: cannot open: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      }
      fds.push(fd);
      // synchronous, at the end of the turn that logged it (before the stderr copy: whoever saw that line on
      // stderr finds it in the file), and flushed at exit, so nothing is lost
      files.push((text) => void (closed || writeSync(fd, text)));
    } else if (d.kind === 'topic') {
      writers.push((line, n) => {
        // a line about a log message itself would publish another one, without end
        if (!topic || publishing || line.includes(LOG_TOPIC_PREFIX)) return;
        publishing = true;
        try {
          topic.publishMessage(`${LOG_TOPIC_PREFIX}${TOPIC_LETTER.find(([min]) => n >= min)![1]}`, line.trimEnd());
        } finally {
          publishing = false;
        }
      });
    } else if (d.kind === 'syslog' || d.kind === 'dlt') {
      notes.push(`log_dest ${d.kind} is not supported by glassmq: use log_dest file PATH or stderr (journald keeps stderr)`);
    }
    // 'none': no destination
  }
  const named = config.logDest ?? [];
  if (named.length > 0 && named.every((d) => d.kind === 'syslog' || d.kind === 'dlt')) {
    notes.push('no supported log_dest: logging to stderr');
    stdio.push((text) => void process.stderr.write(text));
  }
  const dests = config.logDest ?? [{ kind: 'stderr' }];
  const only = dests.length === 1 ? dests[0]!.kind : undefined;
  // one stream (the usual case): server/logger.ts's own logger, so its tuning applies unchanged
  const single = only === 'stderr' ? process.stderr : only === 'stdout' ? process.stdout : undefined;
  const sinks = [...files, ...stdio];
  const batch = new LineBatcher((text) => {
    for (const sink of sinks) sink(text);
  });
  const logger = single ? createLogger({ verbose: config.verbose, level, stream: single }) : pino(
    { level, base: undefined },
    {
      write(chunk: string) {
        const line = `${formatLine(chunk)}\n`;
        const n = levelOf(chunk);
        if (sinks.length > 0) batch.write(line, n >= PINO_LEVEL.warn);
        for (const w of writers) w(line, n);
      },
      flush(cb?: (err?: Error) => void) {
        batch.flush();
        cb?.();
      },
    } as DestinationStream,
  );
  return {
    logger,
    notes,
    attachTopic: (sink) => void (topic = sink),
    close() {
      logger.flush(); // the last lines ("stopped") before the files close
      topic = undefined;
      closed = true;
      for (const fd of fds.splice(0)) closeSync(fd);
    },
  };
}

/** The pino level number of one JSON record (info when unreadable). */
function levelOf(json: string): number {
  const m = /"level":(\d+)/.exec(json);
  return m ? Number(m[1]) : PINO_LEVEL.info;
}
