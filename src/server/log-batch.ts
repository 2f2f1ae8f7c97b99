// Log lines gathered per event-loop turn and written in one call: a connect burst logs a line per connection,
// and a blocking stderr write each cost about a quarter of the broker's CPU. Warnings and errors (and whatever
// is queued before them) are written at once, so a crash report is never left in a buffer; whatever is queued
// at process exit is written by one shared 'exit' handler, and flush() serves the shutdown path.

/** Above this many queued characters the batch is written without waiting for the turn to end. */
const MAX_BATCH_CHARS = 64 * 1024;
/** pino's level numbers from warn up (pino's own table): written immediately. */
const URGENT_LEVEL = 40;
/** Every pino record starts `{"level":NN`; the digit after this prefix is the level's first digit. */
const LEVEL_PREFIX = '{"level":';
const DIGIT_ZERO = 0x30;
const TENS = 10;

/** Batchers holding unwritten text: what the 'exit' handler writes. */
const pending = new Set<LineBatcher>();
let exitHooked = false;

function flushAll(): void {
  for (const b of [...pending]) b.flush();
}

/** The level of one pino JSON record, read without parsing it (0 when unreadable). */
export function recordLevel(json: string): number {
  if (!json.startsWith(LEVEL_PREFIX)) return 0;
  const tens = json.charCodeAt(LEVEL_PREFIX.length) - DIGIT_ZERO;
  return tens >= 0 && tens <= 9 ? tens * TENS : 0;
}

export class LineBatcher {
  private text = '';
  private scheduled = false;
  private readonly onTurnEnd = (): void => {
    this.scheduled = false;
    this.flush();
  };

  /** `sink` receives one or more whole lines; it must write synchronously (stderr / stdout / a file descriptor). */
  constructor(private readonly sink: (text: string) => void) {}

  /** Queues one line (with its newline); `urgent` writes it, and everything before it, now. */
  write(line: string, urgent: boolean): void {
    this.text += line;
    if (urgent || this.text.length >= MAX_BATCH_CHARS) {
      this.flush();
      return;
    }
    if (!exitHooked) {
      exitHooked = true;
      process.on('exit', flushAll);
    }
    pending.add(this);
    if (!this.scheduled) {
      this.scheduled = true;
      // after this turn's I/O callbacks: one write for every line they logged
      setImmediate(this.onTurnEnd);
    }
  }

  /** Writes what is queued now. */
  flush(): void {
    pending.delete(this);
    if (this.text === '') return;
    const text = this.text;
    this.text = '';
    this.sink(text);
  }

  /** Whether `json` (a pino record) must not wait. */
  static urgent(json: string): boolean {
    return recordLevel(json) >= URGENT_LEVEL;
  }
}
