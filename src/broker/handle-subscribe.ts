// SUBSCRIBE -> SUBACK, then the retained messages the new subscriptions ask for.
import { parseSharedSubscription, validateTopicFilter } from '../protocol/index.js';
import { ReasonCode, SUBACK_FAILURE } from '../protocol/constants.js';
import { ProtocolError, protocolError } from '../protocol/errors.js';
import type { QoS, SubscribePacket, Subscription } from '../protocol/packets.js';
import type { Connection } from './connection.js';
import { afterStored } from './stored-ack.js';
import type { SubscriptionOptions } from './session.js';

/** One filter's outcome: the reason code for SUBACK and, when granted, what to install. */
interface Outcome {
  code: number;
  grant?: { sub: Subscription; qos: QoS; share: { group: string; filter: string } | undefined };
}

export function handleSubscribe(conn: Connection, packet: SubscribePacket): void {
  const v5 = conn.version === 5;
  const subscriptionId = v5 ? packet.properties?.subscriptionIdentifiers?.[0] : undefined;
  const outcomes: Outcome[] = [];
  const pending: Promise<void>[] = [];
  for (const sub of packet.subscriptions) {
    const outcome: Outcome = { code: v5 ? ReasonCode.UnspecifiedError : SUBACK_FAILURE };
    outcomes.push(outcome); // [MQTT-3.9.3-1] one code per filter, in order
    const share = parseSharedSubscription(sub.topicFilter) ?? undefined;
    const invalid = validateTopicFilter(sub.topicFilter); // normally caught by the decoder already
    if (invalid) {
      if (!v5) throw new ProtocolError('TOPIC_FILTER_INVALID', ReasonCode.MalformedPacket, sub.topicFilter);
      outcome.code = ReasonCode.TopicFilterInvalid;
      continue;
    }
    if (share && sub.noLocal) throw protocolError('SHARED_NO_LOCAL', sub.topicFilter); // v5 [MQTT-3.8.3-4]
    const authorize = conn.broker.hooks.authorizeSubscribe;
    const verdict = authorize ? authorize(conn.info, sub.topicFilter, sub.qos) : true;
    const decide = (result: boolean | QoS): void => {
      if (result === false) {
        outcome.code = v5 ? ReasonCode.NotAuthorized : SUBACK_FAILURE;
        return;
      }
      const qos = (result === true ? sub.qos : Math.min(result, sub.qos)) as QoS;
      outcome.code = qos; // granted QoS 0/1/2 [MQTT-3.8.4-7]
      outcome.grant = { sub, qos, share };
    };
    if (verdict instanceof Promise) pending.push(verdict.then(decide));
    else decide(verdict);
  }
  const finish = (): void => complete(conn, packet, outcomes, subscriptionId);
  if (pending.length) conn.waitFor(Promise.all(pending), finish);
  else finish();
}

function complete(conn: Connection, packet: SubscribePacket, outcomes: Outcome[], subscriptionId: number | undefined): void {
  const broker = conn.broker;
  const session = conn.session!;
  const retainedFor: { filter: string; options: SubscriptionOptions; existed: boolean }[] = [];
  for (const { grant } of outcomes) {
    if (!grant) continue;
    const { sub, qos, share } = grant;
    const options: SubscriptionOptions = {
      qos,
      noLocal: sub.noLocal,
      retainAsPublished: sub.retainAsPublished,
      retainHandling: sub.retainHandling,
      subscriptionId,
    };
    // [MQTT-3.8.4-3] an identical filter replaces the existing subscription
    const existed = broker.subscribe(session, sub.topicFilter, options, share);
    if (!share) retainedFor.push({ filter: sub.topicFilter, options, existed });
    broker.hooks.subscribed?.(conn.info, sub.topicFilter, qos);
  }
  // [persistence] once the subscriptions are stored; matching PUBLISHes may go first (3.8.4: permitted)
  afterStored(broker, session, () => {
    conn.send({ type: 'suback', packetId: packet.packetId, reasonCodes: outcomes.map((o) => o.code) }); // [MQTT-3.8.4-1] [MQTT-3.8.4-2]
    for (const { filter, options, existed } of retainedFor) {
      // [MQTT-3.3.1-9] / [MQTT-3.3.1-10] / [MQTT-3.3.1-11] (5.0) retain handling; 3.x always sends [MQTT-3.3.1-6]
      if (options.retainHandling === 2 || (options.retainHandling === 1 && existed)) continue;
      if (session.subscriptions.get(filter)?.options !== options) continue; // replaced or removed meanwhile
      broker.sendRetained(session, filter, options);
    }
  });
}
