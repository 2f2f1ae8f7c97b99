// The live trace hub. The server registers every link; while at least one watcher (a --trace printer, a
// --capture file, an SSE client) is subscribed, the hub subscribes to the links' taps and produces events.
// With none it subscribes to nothing, so an unwatched broker runs its sockets' stock methods.
import type { ProtocolVersion } from '../../protocol/index.js';
import { HubEvent, LinkTracer } from './link-tracer.js';
import { compileFilter, type CompiledFilter } from './trace-filter.js';
import type { FlowSummaryView, TapDirection, TraceEvent, TraceFilter, TraceLink, TraceLinkInfo } from './trace-event.js';

/** Closed connections whose summaries stay available to summaries(). */
const DEFAULT_CLOSED_KEPT = 256;

export interface WireWatcher {
  /** A connection is now followed (it just opened, or was open when the watcher arrived: `fromStart` false). */
  open(id: number, info: TraceLinkInfo, time: number, fromStart: boolean, layer: 'wire' | 'plain'): void;
  /** Bytes as on the TCP socket (ciphertext on tls/wss when the listener taps it, else the bytes under TLS). */
  data(id: number, dir: TapDirection, bytes: Buffer, time: number): void;
  close(id: number, time: number): void;
}

export interface TraceHubOptions {
  /** What the broker already knows about a connection (for a trace started after its CONNECT). */
  lookup?: (info: TraceLinkInfo) => { clientId?: string; protocolVersion?: ProtocolVersion } | undefined;
  closedKept?: number;
}

/**
 * One registered link. Unwatched it is just the link and its id (~50 B): the tracer (~1.6 KB: flow summary,
 * packet cutters, their closures) is built when a watcher first needs it and then kept for the summaries.
 */
interface Entry {
  readonly id: number;
  readonly link: TraceLink;
  tracer: LinkTracer | undefined;
  stopWire: (() => void) | undefined;
}

type Stream = TraceLink['stream'];

interface Watcher {
  filter: CompiledFilter;
  onEvent: (ev: TraceEvent) => void;
}

export class TraceHub {
  /** Keyed by stream so one close handler serves every link; Map order is registration (= id) order. */
  private readonly links = new Map<Stream, Entry>();
  /** Summaries of recently closed connections (snapshots: the links themselves are let go). */
  private readonly closed: FlowSummaryView[] = [];
  private readonly watchers = new Set<Watcher>();
  private readonly wireWatchers = new Set<WireWatcher>();
  private readonly idleWaiters = new Set<() => void>();
  private nextId = 1;
  private seq = 0;
  private readonly ctx = { nextSeq: () => ++this.seq, emit: (ev: HubEvent) => this.dispatch(ev) };

  /** Shared by every link (a closure per link would cost its context and function object). */
  private readonly onClose: (this: Stream) => void;

  constructor(private readonly opts: TraceHubOptions = {}) {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the listener's own `this` is the stream
    const hub = this;
    this.onClose = function onLinkClose(this: Stream) {
      hub.unregister(this);
    };
  }

  /** Whether anything watches (events or wire bytes). */
  get watching(): boolean {
    return this.watchers.size > 0 || this.wireWatchers.size > 0;
  }

  get openLinks(): number {
    return this.links.size;
  }

  /** Call for every new link, before any byte is read from it. Costs one 'close' listener while unwatched. */
  register(link: TraceLink): number {
    const id = this.nextId++;
    const entry: Entry = { id, link, tracer: undefined, stopWire: undefined };
    this.links.set(link.stream, entry);
    link.stream.once('close', this.onClose);
    if (this.watchers.size > 0) {
      const tracer = this.tracerOf(entry);
      tracer.announce(Date.now());
      tracer.start(true);
    }
    for (const w of this.wireWatchers) this.startWire(entry, w, true);
    return id;
  }

  /** Subscribes to events matching `filter`; returns the unsubscribe function. */
  watch(filter: TraceFilter, onEvent: (ev: TraceEvent) => void): () => void {
    const w: Watcher = { filter: compileFilter(filter), onEvent };
    const first = this.watchers.size === 0;
    this.watchers.add(w);
    if (first) {
      for (const e of this.links.values()) {
        const tracer = this.tracerOf(e);
        const known = this.opts.lookup?.(e.link.info);
        if (known) this.learn(tracer, known);
        tracer.start(false);
      }
    }
    return () => {
      if (!this.watchers.delete(w) || this.watchers.size > 0) return;
      for (const e of this.links.values()) e.tracer?.stop();
    };
  }

  /** Subscribes to every link's wire bytes (the capture); returns the unsubscribe function. */
  watchWire(w: WireWatcher): () => void {
    this.wireWatchers.add(w);
    for (const e of this.links.values()) this.startWire(e, w, false);
    return () => {
      if (!this.wireWatchers.delete(w)) return;
      const now = Date.now();
      for (const e of this.links.values()) {
        w.close(e.id, now);
        if (this.wireWatchers.size === 0) {
          e.stopWire?.();
          e.stopWire = undefined;
        }
      }
    };
  }

  /** Resolves once every registered link has closed (their close events and summaries are out), or after `timeoutMs`. */
  whenIdle(timeoutMs: number): Promise<void> {
    if (this.links.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.idleWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      timer.unref?.();
      this.idleWaiters.add(done);
    });
  }

  /** Flow summaries of the connections traced so far: open ones, then recently closed ones. */
  summaries(): FlowSummaryView[] {
    const open: FlowSummaryView[] = [];
    for (const e of this.links.values()) if (e.tracer && e.tracer.summary.packets > 0) open.push(e.tracer.summaryView());
    return [...open, ...this.closed];
  }

  private tracerOf(e: Entry): LinkTracer {
    return (e.tracer ??= new LinkTracer(e.id, e.link, this.ctx));
  }

  private learn(tracer: LinkTracer, known: { clientId?: string; protocolVersion?: ProtocolVersion }): void {
    if (known.clientId && tracer.connection.clientId === undefined) tracer.connection.clientId = known.clientId;
    if (known.protocolVersion) tracer.assumeVersion(known.protocolVersion);
  }

  private startWire(e: Entry, w: WireWatcher, fromStart: boolean): void {
    const source = e.link.tap?.wire ?? e.link.tap?.plain;
    if (!source) return;
    const id = e.id;
    w.open(id, e.link.info, Date.now(), fromStart, e.link.tap?.wire ? 'wire' : 'plain');
    if (e.stopWire) return;
    e.stopWire = source.on((dir, bytes, time) => {
      for (const x of this.wireWatchers) {
        try {
          x.data(id, dir, bytes, time);
        } catch {
          // Inside the socket's push/write: a failing watcher (a full disk) must not reach the broker.
        }
      }
    });
  }

  private unregister(stream: Stream): void {
    const e = this.links.get(stream);
    if (!e) return;
    this.links.delete(stream);
    const now = Date.now();
    e.stopWire?.();
    for (const w of this.wireWatchers) w.close(e.id, now);
    const tracer = e.tracer;
    tracer?.closed(now);
    if (tracer && tracer.summary.packets > 0) {
      this.closed.push(tracer.summaryView());
      if (this.closed.length > (this.opts.closedKept ?? DEFAULT_CLOSED_KEPT)) this.closed.shift();
    }
    if (this.links.size === 0) for (const w of [...this.idleWaiters]) w();
  }

  private dispatch(ev: HubEvent): void {
    for (const w of this.watchers) {
      if (!w.filter.matches(ev)) continue;
      try {
        w.onEvent(ev.view(w.filter.secrets));
      } catch {
        // One failing watcher (a closed pipe) must not stop the others or the broker.
      }
    }
  }
}
