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

interface Entry {
  link: TraceLink;
  tracer: LinkTracer;
  stopWire: (() => void) | undefined;
}

interface Watcher {
  filter: CompiledFilter;
  onEvent: (ev: TraceEvent) => void;
}

export class TraceHub {
  private readonly links = new Map<number, Entry>();
  /** Summaries of recently closed connections (snapshots: the links themselves are let go). */
  private readonly closed: FlowSummaryView[] = [];
  private readonly watchers = new Set<Watcher>();
  private readonly wireWatchers = new Set<WireWatcher>();
  private readonly idleWaiters = new Set<() => void>();
  private nextId = 1;
  private seq = 0;
  private readonly ctx = { nextSeq: () => ++this.seq, emit: (ev: HubEvent) => this.dispatch(ev) };

  constructor(private readonly opts: TraceHubOptions = {}) {}

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
    const tracer = new LinkTracer(id, link, this.ctx);
    const entry: Entry = { link, tracer, stopWire: undefined };
    this.links.set(id, entry);
    link.stream.once('close', () => this.unregister(id));
    if (this.watchers.size > 0) {
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
        const known = this.opts.lookup?.(e.link.info);
        if (known) this.learn(e.tracer, known);
        e.tracer.start(false);
      }
    }
    return () => {
      if (!this.watchers.delete(w) || this.watchers.size > 0) return;
      for (const e of this.links.values()) e.tracer.stop();
    };
  }

  /** Subscribes to every link's wire bytes (the capture); returns the unsubscribe function. */
  watchWire(w: WireWatcher): () => void {
    this.wireWatchers.add(w);
    for (const e of this.links.values()) this.startWire(e, w, false);
    return () => {
      if (!this.wireWatchers.delete(w)) return;
      const now = Date.now();
      for (const [id, e] of this.links) {
        w.close(id, now);
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
    const open = [...this.links.values()].map((e) => e.tracer).filter((t) => t.summary.packets > 0);
    return [...open.map((t) => t.summaryView()), ...this.closed];
  }

  private learn(tracer: LinkTracer, known: { clientId?: string; protocolVersion?: ProtocolVersion }): void {
    if (known.clientId && tracer.connection.clientId === undefined) tracer.connection.clientId = known.clientId;
    if (known.protocolVersion) tracer.assumeVersion(known.protocolVersion);
  }

  private startWire(e: Entry, w: WireWatcher, fromStart: boolean): void {
    const source = e.link.tap?.wire ?? e.link.tap?.plain;
    if (!source) return;
    const id = e.tracer.connection.id;
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

  private unregister(id: number): void {
    const e = this.links.get(id);
    if (!e) return;
    this.links.delete(id);
    const now = Date.now();
    e.stopWire?.();
    for (const w of this.wireWatchers) w.close(id, now);
    e.tracer.closed(now);
    if (e.tracer.summary.packets > 0) {
      this.closed.push(e.tracer.summaryView());
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
