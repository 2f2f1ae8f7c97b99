// [cluster] Routing one message to a given set of sessions only, not through the topic tree (which would reach
// every subscriber of this node): a surviving node hands the messages a dead node had received to the sessions it
// adopted from that node, whose other subscribers got their own copy directly. Off the hot path.
import { parseSharedSubscription, topicMatches } from '../protocol/index.js';
import type { QoS } from '../protocol/packets.js';
import type { DeliveryEngine } from './delivery.js';
import type { Message } from './message.js';
import type { ClusterSharedFilter } from './ports.js';
import type { Session } from './session.js';

export function routeToSessions(message: Message, sessions: Iterable<Session>, sharedHere: ClusterSharedFilter, delivery: DeliveryEngine): number {
  const groupsServed = new Set<string>();
  let deliveries = 0;
  for (const session of sessions) {
    let qos = -1;
    let retainAsPublished = false;
    let ids: number[] | undefined;
    for (const entry of session.subscriptions.values()) {
      const o = entry.options;
      if (entry.share !== undefined) {
        const inner = parseSharedSubscription(entry.filter);
        if (!inner || !sharedHere(inner.group, inner.filter) || !topicMatches(inner.filter, message.topic)) continue;
        const group = `${inner.group}\n${inner.filter}`;
        if (groupsServed.has(group)) continue; // each group gets the message once, through one member
        groupsServed.add(group);
        const sharedQos = (message.qos < o.qos ? message.qos : o.qos) as QoS; // [MQTT-4.8.2-3]
        const sid = o.subscriptionId === undefined ? undefined : [o.subscriptionId];
        delivery.deliver(session, message, sharedQos, o.retainAsPublished && message.retain, sid, undefined);
        deliveries++;
        continue;
      }
      if (!topicMatches(entry.filter, message.topic)) continue;
      if (o.noLocal && message.origin === session.clientId) continue; // v5 [MQTT-3.8.3-3]
      // overlapping subscriptions: one copy, highest QoS, every Subscription Identifier v5 [MQTT-3.3.4-2] [MQTT-3.3.4-4]
      if (o.qos > qos) qos = o.qos;
      if (o.retainAsPublished) retainAsPublished = true;
      if (o.subscriptionId !== undefined) (ids ??= []).push(o.subscriptionId);
    }
    if (qos < 0) continue;
    const q = (message.qos < qos ? message.qos : qos) as QoS; // [MQTT-3.8.4-8]
    delivery.deliver(session, message, q, retainAsPublished && message.retain, ids, undefined);
    deliveries++;
  }
  return deliveries;
}
