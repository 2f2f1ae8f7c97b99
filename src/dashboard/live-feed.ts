// The dashboard's own live stream (/api/events): an overview sample once a second, the client list once a second
// for a Clients view, and message-flow batches four times a second for a Flow view (a Topics view only turns the
// topic counters on; it reads /api/topics). Everything is sampled on a
// timer, never per message, so an open dashboard costs the broker a few reads per second; the per-message
// publish hook runs only while a Topics or Flow view is open, the ping hook only while a Clients view is.
import type { Broker } from '../broker/broker.js';
import { ClientActivity } from './client-activity.js';
import { RateSampler } from './rates.js';
import type { SseStream } from './sse.js';
import { TrafficObserver, type FlowDelta } from './traffic.js';
import { clientView, connectedClients, overviewView, type ListenerView } from './views.js';

export const WATCH_CHANNELS = ['overview', 'clients', 'topics', 'flow'] as const;
export type WatchChannel = (typeof WATCH_CHANNELS)[number];

const SAMPLE_MS = 1000;
const FLOW_MS = 250;
/** Flow deltas per batch at most; the busiest are kept and the rest summed into `more`. */
export const MAX_FLOW_DELTAS = 400;

interface Watcher {
  readonly stream: SseStream;
  readonly channels: ReadonlySet<WatchChannel>;
}

export class LiveFeed {
  readonly rates: RateSampler;
  readonly traffic: TrafficObserver;
  readonly activity: ClientActivity;
  private readonly watchers = new Set<Watcher>();
  private readonly sampleTimer: NodeJS.Timeout;
  private flowTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly broker: Broker,
    private readonly listeners: readonly ListenerView[],
  ) {
    this.rates = new RateSampler(broker.stats, broker.clock.now());
    this.traffic = new TrafficObserver(broker);
    this.activity = new ClientActivity(broker);
    // The rate history is kept even with no page open so a page opened later starts with a full chart.
    this.sampleTimer = setInterval(() => this.sample(), SAMPLE_MS);
    this.sampleTimer.unref();
  }

  watch(stream: SseStream, channels: ReadonlySet<WatchChannel>): void {
    const watcher: Watcher = { stream, channels };
    this.watchers.add(watcher);
    stream.onClose(() => {
      this.watchers.delete(watcher);
      this.update();
    });
    this.update();
    if (channels.has('overview')) stream.send('overview', { ...overviewView(this.broker, this.rates, this.listeners), history: this.rates.history });
    if (channels.has('clients')) this.sendClients([watcher]);
  }

  private watching(channel: WatchChannel): Watcher[] {
    return [...this.watchers].filter((w) => w.channels.has(channel) && w.stream.isOpen);
  }

  /** Turns the hooks on or off for what is watched now. */
  private update(): void {
    // The per-message publish hook runs only while a Topics or Flow view is open; the Overview costs nothing per message.
    if (this.watching('topics').length > 0 || this.watching('flow').length > 0) this.traffic.start();
    else this.traffic.stop();
    // A Clients view only adds the ping-tick hook (pings are rare); its counters are read once a second.
    if (this.watching('clients').length > 0) this.activity.start();
    else this.activity.stop();
    const flow = this.watching('flow').length > 0;
    this.traffic.collectFlow = flow;
    if (flow && !this.flowTimer) {
      this.traffic.drainFlow(); // start the animation from now, not from whatever piled up before
      this.flowTimer = setInterval(() => this.sendFlow(), FLOW_MS);
      this.flowTimer.unref();
    } else if (!flow && this.flowTimer) {
      clearInterval(this.flowTimer);
      this.flowTimer = undefined;
    }
  }

  private sample(): void {
    const now = this.broker.clock.now();
    this.rates.sample(now);
    if (this.traffic.active) this.traffic.tick();
    const overview = this.watching('overview');
    if (overview.length) {
      const view = overviewView(this.broker, this.rates, this.listeners);
      for (const w of overview) w.stream.send('overview', view);
    }
    const clients = this.watching('clients');
    if (clients.length) this.sendClients(clients);
  }

  private sendClients(to: Watcher[]): void {
    const conns = connectedClients(this.broker);
    const data = { serverTime: this.broker.clock.now(), clients: conns.map((c) => clientView(c, this.activity)) };
    for (const w of to) w.stream.send('clients', data);
  }

  private sendFlow(): void {
    const deltas = this.traffic.drainFlow();
    const to = this.watching('flow');
    if (!deltas.length || !to.length) return;
    const data = capDeltas(deltas);
    for (const w of to) w.stream.send('flow', data);
  }

  close(): void {
    clearInterval(this.sampleTimer);
    if (this.flowTimer) clearInterval(this.flowTimer);
    this.flowTimer = undefined;
    for (const w of this.watchers) w.stream.end();
    this.watchers.clear();
    this.traffic.stop();
    this.activity.stop();
  }
}

function capDeltas(deltas: FlowDelta[]): { deltas: FlowDelta[]; more: number } {
  if (deltas.length <= MAX_FLOW_DELTAS) return { deltas, more: 0 };
  deltas.sort((a, b) => b.count - a.count);
  const kept = deltas.slice(0, MAX_FLOW_DELTAS);
  let more = 0;
  for (let i = MAX_FLOW_DELTAS; i < deltas.length; i++) more += deltas[i]!.count;
  return { deltas: kept, more };
}
