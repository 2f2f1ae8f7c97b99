// Session state (spec 4.1): subscriptions, outgoing QoS 1/2 deliveries (inflight window and queue), incoming
// QoS 2 packet ids awaiting PUBREL, the packet-id allocator and the expiry / will timers.
import type { QoS, Will } from '../protocol/packets.js';
import type { MessageIdWindow, SessionFactory, SessionQueue, TimerHandle } from './ports.js';
import type { Connection } from './connection.js';
import type { Message } from './message.js';
import type { SharedGroup } from './shared-subscriptions.js';
import { DeliveryQueue } from './delivery-queue.js';

/** Session Expiry Interval meaning "never expires" (5.0), also used for 3.x CleanSession = 0. */
export const SESSION_NEVER_EXPIRES = 0xffffffff;
const MAX_PACKET_ID = 0xffff;

export interface SubscriptionOptions {
  readonly qos: QoS;
  readonly noLocal: boolean;
  readonly retainAsPublished: boolean;
  readonly retainHandling: 0 | 1 | 2;
  readonly subscriptionId: number | undefined;
}

/** One subscription of one session, as held in the topic tree. */
export interface SubscriptionEntry {
  readonly session: Session;
  /** The filter as the client sent it ($share/... included). */
  readonly filter: string;
  readonly options: SubscriptionOptions;
  /** Share name for $share subscriptions. */
  readonly share: string | undefined;
}

export const DeliveryState = {
  /** Waiting in the session queue (no packet id yet). */
  Queued: 0,
  /** PUBLISH sent, waiting for PUBACK (QoS 1) or PUBREC (QoS 2). */
  PublishSent: 1,
  /** PUBREL sent, waiting for PUBCOMP. */
  PubrelSent: 2,
} as const;
export type DeliveryState = (typeof DeliveryState)[keyof typeof DeliveryState];

/** One message on its way to one session. */
export class Delivery {
  packetId = 0;
  state: DeliveryState = DeliveryState.Queued;
  constructor(
    readonly message: Message,
    readonly qos: QoS,
    readonly retain: boolean,
    readonly subscriptionIds: number[] | undefined,
    /** The share group it was routed through, so it can be handed to another member. */
    readonly share: SharedGroup<SubscriptionEntry> | undefined,
  ) {}
}


export class Session {
  // The collections below are created on first use: most sessions (an idle client, a QoS 0 subscriber) never
  // need some of them, and an empty Map costs ~200 bytes per connection. Read the counts to test without creating.
  private subscriptionMap: Map<string, SubscriptionEntry> | undefined;
  private inflightMap: Map<number, Delivery> | undefined;
  private incomingQos2Set: Set<number> | undefined;

  get subscriptions(): Map<string, SubscriptionEntry> {
    return (this.subscriptionMap ??= new Map());
  }
  /** Outgoing QoS 1/2 deliveries that have a packet id, in send order. */
  get inflight(): Map<number, Delivery> {
    return (this.inflightMap ??= new Map());
  }
  /** Incoming QoS 2 packet ids whose PUBREL has not arrived yet. */
  get incomingQos2(): Set<number> {
    return (this.incomingQos2Set ??= new Set());
  }
  get subscriptionCount(): number {
    return this.subscriptionMap?.size ?? 0;
  }
  get inflightCount(): number {
    return this.inflightMap?.size ?? 0;
  }
  /** Seconds; SESSION_NEVER_EXPIRES for never. */
  expiryInterval = 0;
  /** The will of the current connection (cleared by a normal DISCONNECT). */
  will: Will | undefined;
  /** A will waiting for its Will Delay Interval after the connection closed. */
  pendingWill: Will | undefined;
  willTimer: TimerHandle | undefined;
  expiryTimer: TimerHandle | undefined;
  connection: Connection | undefined;
  /** Payload bytes of the queued deliveries. */
  queuedBytes = 0;
  /** Set while the queue is full, so the drop is logged once, not per message. */
  dropping = false;
  /** [cluster] Ids of messages delivered lately, while the session moves between nodes (router.ts skips a second copy). */
  recentIds: MessageIdWindow | undefined = undefined;
  private lastPacketId = 0;

  // Scratch space of the router while one message is matched (see router.ts); avoids a Map per message.
  matchGen = 0;
  matchQos: QoS = 0;
  matchRetainAsPublished = false;
  matchSubscriptionIds: number[] | undefined;

  constructor(
    readonly clientId: string,
    /** [persistence] a durable store passes a disk-backed queue (ports.ts SessionQueue). */
    readonly queue: SessionQueue<Delivery> = new DeliveryQueue<Delivery>(),
  ) {}

  /** A packet id not used by any outgoing QoS 1/2 delivery, or 0 when all 65535 are in use. */
  allocatePacketId(): number {
    for (let tries = 0; tries < MAX_PACKET_ID; tries++) {
      this.lastPacketId = this.lastPacketId >= MAX_PACKET_ID ? 1 : this.lastPacketId + 1;
      if (!this.inflightMap?.has(this.lastPacketId)) return this.lastPacketId; // [MQTT-4.3.2-1] [MQTT-4.3.3-1]
    }
    return 0;
  }
}

/** [persistence] How a durable store rebuilds the broker's live objects from its records (ports.ts SessionFactory). */
export const sessionFactory: SessionFactory<Session, Delivery, Message> = {
  queue: () => new DeliveryQueue<Delivery>(),
  session: (clientId, queue) => new Session(clientId, queue),
  // the share group a delivery came through is not stored: a restored one stays with its session
  delivery: (message, qos, retain, subscriptionIds) => new Delivery(message, qos, retain, subscriptionIds, undefined),
  message: (fields) => ({ ...fields, id: fields.id, encoded: undefined }),
};
