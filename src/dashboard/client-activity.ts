// Per-client activity for the Clients view. Nothing here runs per packet: bytes and packet counts are the
// connection's own totals and "time since the last packet" is the keepalive monitor's last-received time, all
// read when the once-a-second client list is built. PINGREQ / PINGRESP ticks come from the broker's `pinged` hook
// (the ping handler; pings are rare), which is tapped only while a Clients view is open.
import type { Broker } from '../broker/broker.js';
import type { Connection } from '../broker/connection.js';
import type { ClientInfo } from '../broker/hooks.js';
import { onHook } from './hook-taps.js';

/** How many ping ticks are kept per client (a minute of PINGREQ + PINGRESP at a 5 s keepalive). */
export const MAX_TICKS = 24;

export interface PingTick {
  readonly at: number;
  readonly type: 'pingreq' | 'pingresp';
}

export interface ActivitySnapshot {
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly packetsIn: number;
  readonly packetsOut: number;
  /** Clock ms of the last bytes from the client; undefined when its keepalive is 0 (no monitor keeps the time). */
  readonly lastPacketAt: number | undefined;
  readonly pings: readonly PingTick[];
}

export class ClientActivity {
  /** Keyed by the connection's ClientInfo (one object per connection): forgotten with the connection. */
  private ticks = new WeakMap<ClientInfo, PingTick[]>();
  private stopTap: (() => void) | undefined;

  constructor(private readonly broker: Broker) {}

  get active(): boolean {
    return this.stopTap !== undefined;
  }

  /** Starts recording ping ticks (a Clients view opened). */
  start(): void {
    this.stopTap ??= onHook(this.broker, 'pinged', (client, type, at) => this.tick(client, type, at));
  }

  /** Takes the hook off and forgets the ticks. */
  stop(): void {
    this.stopTap?.();
    this.stopTap = undefined;
    this.ticks = new WeakMap();
  }

  private tick(client: ClientInfo, type: PingTick['type'], at: number): void {
    let list = this.ticks.get(client);
    if (!list) this.ticks.set(client, (list = []));
    list.push({ at, type });
    if (list.length > MAX_TICKS) list.shift();
  }

  get(conn: Connection): ActivitySnapshot {
    return {
      bytesIn: conn.bytesReceived,
      bytesOut: conn.bytesSent,
      packetsIn: conn.packetsReceived,
      packetsOut: conn.packetsSent,
      lastPacketAt: conn.lastReceivedAt,
      pings: [...(this.ticks.get(conn.info) ?? [])],
    };
  }
}
