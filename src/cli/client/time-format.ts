// Time stamps for -F: strftime conversions (the '@' sequences) and the ISO / Unix forms of %I, %U and %j.

/** A receive time with sub-millisecond precision (the clock gives microseconds; nanoseconds are padded). */
export interface Timestamp {
  date: Date;
  /** Nanoseconds within the current second. */
  nanos: number;
}

export function now(): Timestamp {
  const ms = performance.timeOrigin + performance.now();
  const whole = Math.floor(ms);
  const date = new Date(whole);
  const nanos = (whole % 1000) * 1_000_000 + Math.floor((ms - whole) * 1_000_000);
  return { date, nanos };
}

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

const pad = (n: number, width = 2, fill = '0'): string => String(n).padStart(width, fill);

/** +hhmm offset of local time, as strftime's %z. */
export function zoneOffset(d: Date): string {
  const minutes = -d.getTimezoneOffset();
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`;
}

function dayOfYear(d: Date): number {
  const start = new Date(d.getFullYear(), 0, 1);
  return Math.floor((d.getTime() - start.getTime()) / 86_400_000) + 1;
}

function zoneName(d: Date): string {
  const part = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((p) => p.type === 'timeZoneName');
  return part?.value ?? zoneOffset(d);
}

/** One strftime conversion character, in local time; unknown characters are printed back unchanged. */
export function strftimeChar(c: string, t: Timestamp): string {
  const d = t.date;
  const hour12 = d.getHours() % 12 || 12;
  switch (c) {
    case 'a': return DAYS[d.getDay()]!.slice(0, 3);
    case 'A': return DAYS[d.getDay()]!;
    case 'b': case 'h': return MONTHS[d.getMonth()]!.slice(0, 3);
    case 'B': return MONTHS[d.getMonth()]!;
    case 'c': return `${strftimeChar('a', t)} ${strftimeChar('b', t)} ${pad(d.getDate(), 2, ' ')} ${strftimeChar('T', t)} ${d.getFullYear()}`;
    case 'C': return pad(Math.floor(d.getFullYear() / 100));
    case 'd': return pad(d.getDate());
    case 'D': return `${pad(d.getMonth() + 1)}/${pad(d.getDate())}/${pad(d.getFullYear() % 100)}`;
    case 'e': return pad(d.getDate(), 2, ' ');
    case 'F': return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
    case 'H': return pad(d.getHours());
    case 'I': return pad(hour12);
    case 'j': return pad(dayOfYear(d), 3);
    case 'k': return pad(d.getHours(), 2, ' ');
    case 'l': return pad(hour12, 2, ' ');
    case 'm': return pad(d.getMonth() + 1);
    case 'M': return pad(d.getMinutes());
    case 'n': return '\n';
    case 'N': return pad(t.nanos, 9); // mosquitto's extension: nanoseconds within the second
    case 'p': return d.getHours() < 12 ? 'AM' : 'PM';
    case 'P': return d.getHours() < 12 ? 'am' : 'pm';
    case 'r': return `${pad(hour12)}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${strftimeChar('p', t)}`;
    case 'R': return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
    case 's': return String(Math.floor(d.getTime() / 1000));
    case 'S': return pad(d.getSeconds());
    case 't': return '\t';
    case 'T': return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
    case 'u': return String(d.getDay() || 7);
    case 'w': return String(d.getDay());
    case 'x': return strftimeChar('D', t);
    case 'X': return strftimeChar('T', t);
    case 'y': return pad(d.getFullYear() % 100);
    case 'Y': return String(d.getFullYear());
    case 'z': return zoneOffset(d);
    case 'Z': return zoneName(d);
    case '%': return '%';
    default: return `@${c}`;
  }
}

/** %I: ISO-8601 date and time with the local offset, e.g. 2016-08-10T09:47:38+0100. */
export function isoSeconds(t: Timestamp): string {
  return `${strftimeChar('F', t)}T${strftimeChar('T', t)}${zoneOffset(t.date)}`;
}

/** %j's "tst": ISO-8601 with microseconds and the local offset, e.g. 2020-05-06T22:12:00.000000+0100. */
export function isoMicros(t: Timestamp): string {
  return `${strftimeChar('F', t)}T${strftimeChar('T', t)}.${pad(Math.floor(t.nanos / 1000), 6)}${zoneOffset(t.date)}`;
}

/** %U: Unix time with nanoseconds, e.g. 1470818943.786368637. */
export function unixNanos(t: Timestamp): string {
  return `${Math.floor(t.date.getTime() / 1000)}.${pad(t.nanos, 9)}`;
}
