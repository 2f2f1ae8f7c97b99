// `glassmq broker --trace`: every event, as it happens, in the readable form (or JSON Lines) on a stream.
import type { TraceHub } from './trace-hub.js';
import type { TraceFilter } from './trace-event.js';
import { formatEvent } from './trace-text.js';

export interface PrinterOptions extends TraceFilter {
  hex?: boolean;
  json?: boolean;
}

/** Starts printing; returns the function that stops. */
export function printTrace(hub: TraceHub, out: NodeJS.WritableStream, opts: PrinterOptions = {}): () => void {
  return hub.watch(opts, (ev) => {
    out.write(opts.json ? `${JSON.stringify(ev)}\n` : `${formatEvent(ev, { hex: opts.hex })}\n`);
  });
}
