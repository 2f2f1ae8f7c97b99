// Will messages: published when a connection ends without a normal DISCONNECT, after the Will Delay Interval
// or when the session ends, whichever comes first [MQTT-3.1.2-8]; a new connection to the session before the
// delay cancels it [MQTT-3.1.3-9].
import type { Will } from '../protocol/packets.js';
import type { Properties } from '../protocol/properties.js';
import type { Broker } from './broker.js';
import type { Session } from './session.js';
import { createMessage } from './message.js';
import { LongTimer } from './timers.js';

export class Wills {
  private readonly timers = new Map<Session, LongTimer>();

  constructor(private readonly broker: Broker) {}

  /** The connection of `session` ended abnormally while holding `will`. */
  connectionLost(session: Session, will: Will): void {
    const delay = will.properties?.willDelayInterval ?? 0;
    if (delay === 0) {
      this.publish(session.clientId, will);
      return;
    }
    session.pendingWill = will;
    this.timers.set(session, new LongTimer(this.broker.clock, delay * 1000, () => this.firePending(session)));
  }

  /** A new connection took the session over before the delay ran out: the will is not sent [MQTT-3.1.3-9]. */
  cancel(session: Session): void {
    this.timers.get(session)?.cancel();
    this.timers.delete(session);
    if (session.pendingWill === undefined) return;
    session.pendingWill = undefined;
    this.broker.sessions.changed(session, 'will'); // [persistence] a stored pending will is gone
  }

  /** [persistence] A delayed will a durable store brought back: due `offlineMs` after the connection was lost. */
  restore(session: Session, offlineMs: number): void {
    const delay = (session.pendingWill?.properties?.willDelayInterval ?? 0) * 1000;
    this.timers.set(session, new LongTimer(this.broker.clock, Math.max(0, delay - offlineMs), () => this.firePending(session)));
  }

  /** The session ends: a will still waiting goes out now. */
  firePending(session: Session): void {
    const will = session.pendingWill;
    this.cancel(session);
    if (will) this.publish(session.clientId, will);
  }

  cancelAll(): void {
    for (const timer of this.timers.values()) timer.cancel();
    this.timers.clear();
  }

  private publish(clientId: string, will: Will): void {
    let properties: Properties | undefined;
    if (will.properties) {
      const { willDelayInterval: _delay, ...rest } = will.properties; // [MQTT-3.1.3-10] user properties keep their order
      properties = Object.keys(rest).length ? rest : undefined;
    }
    // [MQTT-3.1.2-14] / [MQTT-3.1.2-15] (5.0) the will keeps its QoS and RETAIN
    const message = createMessage(will.topic, will.payload, will.qos, will.retain, properties, this.broker.clock.now(), clientId);
    this.broker.logger.debug({ clientId, topic: will.topic }, 'publishing will');
    this.broker.publish(message, undefined);
  }
}
