// Getting messages to one session within its limits: send now when the client is connected, its inflight
// window has room and its socket is not backed up; otherwise QoS 1/2 wait in the session queue (bounded by
// count and bytes) and QoS 0 is dropped. Every drop is counted (and shown in $SYS). A connected subscriber's
// queue above high water holds the publishing client back (queue-pressure.ts) instead of filling up.
import type { QoS } from '../protocol/packets.js';
import type { Connection } from './connection.js';
import { keepPayload, type Message } from './message.js';
import type { SharedGroup } from './shared-subscriptions.js';
import type { Broker } from './broker.js';
import { Delivery, DeliveryState, type Session, type SubscriptionEntry } from './session.js';
import { encodePublish } from './encode-publish.js';
import { QueuePressure, queueMarks, type HoldablePublisher, type QueueMarks } from './queue-pressure.js';

export class DeliveryEngine {
  /** The client whose PUBLISH is being routed right now (held back by subscribers that cannot keep up). */
  publisher: Connection | undefined;
  /** [cluster] The node stream reader whose entry is being routed: held like a publishing client. */
  remote: HoldablePublisher | undefined;
  private readonly marks: QueueMarks;

  constructor(private readonly broker: Broker) {
    this.marks = queueMarks(broker.limits.maxQueued, broker.limits.maxQueuedBytes);
  }

  deliver(
    session: Session,
    message: Message,
    qos: QoS,
    retain: boolean,
    subscriptionIds: number[] | undefined,
    share: SharedGroup<SubscriptionEntry> | undefined,
  ): void {
    const broker = this.broker;
    // the clock is read only for a message that can expire: encodePublish uses `now` for nothing else
    const expiresAt = message.expiresAt;
    const now = expiresAt === undefined ? 0 : broker.clock.now();
    if (expiresAt !== undefined && now >= expiresAt) {
      broker.stats.droppedExpired++; // [MQTT-3.3.2-5]
      return;
    }
    const conn = session.connection;
    const online = conn !== undefined && conn.state === 'connected';
    const authorizeRead = broker.hooks.authorizeRead;
    if (online && authorizeRead && !authorizeRead(conn.info, message.topic)) return;
    const full = online && conn.outputFull;
    if (qos === 0) {
      if (!online || (full && !(this.publisher && conn.throttle(this.publisher)))) {
        broker.stats.droppedQos0++;
        return;
      }
      this.write(conn, message, 0, retain, subscriptionIds, 0, false, now);
      return;
    }
    const d = new Delivery(message, qos, retain, subscriptionIds, share);
    if (online && session.queue.length === 0 && session.inflightCount < conn.sendWindow && !full) {
      if (this.sendNew(conn, session, d, now)) return;
    }
    if (full && this.publisher) conn.throttle(this.publisher); // slow the publisher rather than fill the queue
    this.enqueue(session, d);
    // below high water this is the whole cost: one or two comparisons per queued message
    if (session.queue.length >= this.marks.highCount || session.queuedBytes >= this.marks.highBytes) {
      const publisher = this.publisher ?? this.remote;
      // offline sessions and the broker's own messages hold nobody; a client is never held by its own queue
      if (online && publisher !== undefined && publisher !== conn) this.holdPublisher(conn, publisher);
    }
  }

  private holdPublisher(conn: Connection, publisher: HoldablePublisher): void {
    const broker = this.broker;
    (conn.queuePressure ??= new QueuePressure(conn.clientId, broker.clock, broker.logger, this.marks)).hold(publisher);
  }

  /** Sends queued deliveries while the window and the socket allow (after an ack, a drain, a reconnect). */
  pump(session: Session): void {
    const conn = session.connection;
    if (!conn || conn.state !== 'connected') return;
    const now = this.broker.clock.now();
    const queue = session.queue;
    const lengthBefore = queue.length;
    const bytesBefore = session.queuedBytes;
    let sent = false;
    while (queue.length > 0 && session.inflightCount < conn.sendWindow && !conn.outputFull) {
      const d = queue.shift()!;
      session.queuedBytes -= d.message.payload.length;
      sent = true;
      const expiresAt = d.message.expiresAt;
      if (expiresAt !== undefined && now >= expiresAt) {
        this.broker.stats.droppedExpired++; // [MQTT-3.3.2-5] expired while queued
        continue;
      }
      // [security] queued while the client was offline, so not checked yet: the ACL decides now, for who connected
      const authorizeRead = this.broker.hooks.authorizeRead;
      if (authorizeRead && !authorizeRead(conn.info, d.message.topic)) continue;
      if (!this.sendNew(conn, session, d, now)) {
        queue.unshift(d);
        session.queuedBytes += d.message.payload.length;
        break;
      }
    }
    if (sent) {
      if (session.dropping && queue.length === 0) session.dropping = false;
      this.broker.sessions.changed(session, 'queue');
      const pressure = conn.queuePressure;
      if (pressure !== undefined) {
        pressure.progressed(lengthBefore - queue.length, bytesBefore - session.queuedBytes);
        if (queue.length <= this.marks.lowCount && session.queuedBytes <= this.marks.lowBytes) {
          pressure.release();
          conn.queuePressure = undefined;
        }
      }
    }
  }

  /** The client acknowledged a delivery for good (PUBACK, PUBCOMP, or PUBREC >= 0x80). */
  completed(session: Session, packetId: number): void {
    session.inflight.delete(packetId);
    this.broker.sessions.changed(session, 'inflight');
    this.pump(session);
  }

  /** [MQTT-4.4.0-1] on resume: re-send unacknowledged PUBLISH (DUP) and PUBREL with their ids, then the queue. */
  resume(session: Session): void {
    const conn = session.connection;
    if (!conn) return;
    const now = this.broker.clock.now();
    if (session.inflightCount > 0) for (const d of session.inflight.values()) {
      if (d.state === DeliveryState.PubrelSent) conn.send({ type: 'pubrel', packetId: d.packetId });
      else this.write(conn, d.message, d.qos, d.retain, d.subscriptionIds, d.packetId, true, now);
    }
    this.pump(session);
  }

  /**
   * A member leaving a share group hands its not-yet-acknowledged shared messages to another member: queued
   * ones and QoS 1 in flight. QoS 2 already sent stays with its client [MQTT-4.8.2-4] [MQTT-4.8.2-5]. When the
   * session continues, messages move only to a connected member; when it ends, to any member that can hold them.
   */
  handOffShared(session: Session, ending: boolean): void {
    const movable = session.queue.extract((d) => d.share !== undefined);
    for (const d of movable) session.queuedBytes -= d.message.payload.length;
    if (session.inflightCount > 0) for (const [id, d] of session.inflight) {
      if (d.share && d.qos === 1 && d.state === DeliveryState.PublishSent) {
        session.inflight.delete(id);
        movable.push(d);
      }
    }
    if (movable.length === 0) return;
    const other = (e: SubscriptionEntry): boolean => e.session !== session && e.session.connection?.state === 'connected';
    const otherQueue = (e: SubscriptionEntry): boolean => e.session !== session && e.session.expiryInterval > 0;
    for (const d of movable) {
      const target = d.share!.pick(other, ending ? otherQueue : undefined);
      if (target) {
        const qos = (d.message.qos < target.options.qos ? d.message.qos : target.options.qos) as QoS;
        const ids = target.options.subscriptionId === undefined ? undefined : [target.options.subscriptionId];
        this.deliver(target.session, d.message, qos, d.retain, ids, d.share);
      } else if (!ending) {
        d.packetId = 0;
        d.state = DeliveryState.Queued;
        this.enqueue(session, d); // nobody else can take it: keep it for this member's return
      }
    }
    this.broker.sessions.changed(session, 'inflight');
  }

  private sendNew(conn: Connection, session: Session, d: Delivery, now: number): boolean {
    const id = session.allocatePacketId();
    if (id === 0) return false;
    d.packetId = id;
    d.state = DeliveryState.PublishSent;
    // a packet too large for the client is dropped as if it had been delivered [MQTT-3.1.2-25]
    if (this.write(conn, d.message, d.qos, d.retain, d.subscriptionIds, id, false, now)) {
      session.inflight.set(id, d);
      this.broker.sessions.changed(session, 'inflight');
    }
    return true;
  }

  private enqueue(session: Session, d: Delivery): void {
    const limits = this.broker.limits;
    const bytes = d.message.payload.length;
    if (session.queue.length >= limits.maxQueued || session.queuedBytes + bytes > limits.maxQueuedBytes) {
      this.broker.stats.droppedQueueFull++;
      if (!session.dropping) {
        session.dropping = true;
        this.broker.logger.warn(
          { clientId: session.clientId, queued: session.queue.length, queuedBytes: session.queuedBytes },
          'session queue full: dropping QoS 1/2 messages',
        );
      }
      return;
    }
    keepPayload(d.message);
    session.queue.push(d);
    session.queuedBytes += bytes;
    this.broker.sessions.changed(session, 'queue');
  }

  private write(
    conn: Connection,
    message: Message,
    qos: QoS,
    retain: boolean,
    subscriptionIds: number[] | undefined,
    packetId: number,
    dup: boolean,
    now: number,
  ): boolean {
    const buf = encodePublish(conn, message, qos, retain, subscriptionIds, packetId, dup, now);
    const stats = this.broker.stats;
    if (buf.length > conn.clientMaxPacketSize) {
      stats.droppedTooLarge++; // [MQTT-3.1.2-24]
      return false;
    }
    if (this.broker.verbose) {
      this.broker.logger.info(
        `Sending PUBLISH to ${conn.clientId} (d${dup ? 1 : 0}, q${qos}, r${retain ? 1 : 0}, m${packetId}, '${message.topic}', ... (${message.payload.length} bytes))`,
      );
    }
    conn.writeBuffer(buf);
    stats.publishSent++;
    return true;
  }
}
