// /api/trace: the live packet trace as Server-Sent Events, for the Packets view and `glassmq trace`. The events
// come from the inspector's trace hub; this module only parses the query, limits the rate per browser and says
// how many events it left out, so a trace of a busy broker cannot flood a page (or the broker's memory).
import type { SseStream } from './sse.js';

/** What a trace subscriber asks for (query: client, topic, type, secrets). */
export interface TraceQuery {
  /** Client id, exact. */
  readonly client: string | undefined;
  /** MQTT topic filter (wildcards allowed) the PUBLISH / SUBSCRIBE topics must match. */
  readonly topic: string | undefined;
  /** Packet type names, lower case (publish, subscribe, ...). */
  readonly types: readonly string[] | undefined;
  /** Show passwords and authentication data unmasked. */
  readonly secrets: boolean;
}

/** The trace hub as the dashboard needs it (src/inspect/live); an event is any JSON-serialisable object. */
export interface TraceFeed {
  watch(query: TraceQuery, onEvent: (event: object) => void): () => void;
}

export const DEFAULT_TRACE_RATE = 200;
export const MAX_TRACE_RATE = 5000;
const MS_PER_S = 1000;

export function parseTraceQuery(params: URLSearchParams): TraceQuery {
  const text = (name: string): string | undefined => {
    const v = params.get(name);
    return v === null || v === '' ? undefined : v;
  };
  const types = text('type')
    ?.split(',')
    .map((t) => t.trim().toLowerCase())
    .filter(Boolean);
  const secrets = params.get('secrets');
  return { client: text('client'), topic: text('topic'), types: types?.length ? types : undefined, secrets: secrets === '1' || secrets === 'true' };
}

/** Events per second this stream may carry: ?rate=N (1..MAX_TRACE_RATE), default DEFAULT_TRACE_RATE. */
export function parseTraceRate(params: URLSearchParams): number {
  const n = Number(params.get('rate'));
  return Number.isInteger(n) && n >= 1 ? Math.min(n, MAX_TRACE_RATE) : DEFAULT_TRACE_RATE;
}

/**
 * Pipes hub events into one SSE stream, at most `rate` per second (a fixed one-second window); events over the
 * budget, or while the browser is behind, are counted and reported once a second as a `dropped` event.
 */
export function streamTrace(feed: TraceFeed, query: TraceQuery, rate: number, stream: SseStream): () => void {
  let windowStart = Date.now();
  let sentInWindow = 0;
  let skipped = 0;
  const stop = feed.watch(query, (event) => {
    const now = Date.now();
    if (now - windowStart >= MS_PER_S) {
      windowStart = now;
      sentInWindow = 0;
    }
    if (sentInWindow >= rate || !stream.send('packet', event)) {
      skipped++;
      return;
    }
    sentInWindow++;
  });
  const report = setInterval(() => {
    if (skipped > 0) {
      stream.send('dropped', { count: skipped });
      skipped = 0;
    }
  }, MS_PER_S);
  report.unref();
  const end = (): void => {
    clearInterval(report);
    stop();
  };
  stream.onClose(end);
  stream.send('ready', { query, rate });
  return end;
}
