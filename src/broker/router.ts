// Routing one message to every matching subscription: one walk of the topic tree, then one delivery per
// session (overlapping subscriptions merged: highest QoS, every Subscription Identifier [MQTT-3.3.4-2]
// [MQTT-3.3.4-4]) and one per share group (round robin). Merging uses scratch fields on the sessions and a
// generation counter instead of a Map per message.
import type { QoS } from '../protocol/packets.js';
import type { Message } from './message.js';
import type { SharedGroup } from './shared-subscriptions.js';
import type { Session, SubscriptionEntry } from './session.js';
import type { MatchVisitor, TopicTree } from './topic-tree.js';
import type { DeliveryEngine } from './delivery.js';
import type { ClusterSharedFilter } from './ports.js'; // [cluster]

export class Router implements MatchVisitor<SubscriptionEntry> {
  private generation = 0;
  private message: Message | undefined;
  /** [cluster] Which share groups this node serves for the message being routed; undefined: all. */
  private sharedHere: ClusterSharedFilter | undefined;
  /** [cluster] Only these sessions receive the message (a dead node's messages, to the sessions adopted from it). */
  private only: ReadonlySet<Session> | undefined;
  private readonly sessions: Session[] = [];
  private readonly groups: SharedGroup<SubscriptionEntry>[] = [];

  constructor(
    private readonly tree: TopicTree<SubscriptionEntry>,
    private readonly delivery: DeliveryEngine,
  ) {}

  /** Delivers the message to every matching subscriber; returns how many deliveries were made. */
  route(message: Message, sharedHere?: ClusterSharedFilter, only?: ReadonlySet<Session>): number {
    if (this.message !== undefined) {
      // re-entered from a hook while routing: route on a fresh router state
      return new Router(this.tree, this.delivery).route(message, sharedHere, only);
    }
    this.message = message;
    this.sharedHere = sharedHere; // [cluster] undefined on a single node
    this.only = only; // [cluster]
    this.generation++;
    const sessions = this.sessions;
    const groups = this.groups;
    try {
      this.tree.matchTopic(message.topic, this);
      for (let i = 0; i < sessions.length; i++) {
        const s = sessions[i]!;
        if (s.recentIds !== undefined && message.id !== undefined && !s.recentIds.admit(message.id)) continue; // [cluster] a second copy
        const qos = (message.qos < s.matchQos ? message.qos : s.matchQos) as QoS; // [MQTT-3.8.4-8]
        // [MQTT-3.3.1-12] / [MQTT-3.3.1-13] (5.0); 3.x subscriptions never set Retain As Published [MQTT-3.3.1-9]
        const retain = s.matchRetainAsPublished && message.retain;
        this.delivery.deliver(s, message, qos, retain, s.matchSubscriptionIds, undefined);
      }
      for (let i = 0; i < groups.length; i++) this.deliverShared(groups[i]!, message);
      return sessions.length + groups.length;
    } finally {
      // not `length = 0`: that is a runtime call and frees the backing store, which the next push grows again
      // (both seen in the latency profile); pop is inlined and keeps it
      while (sessions.length !== 0) sessions.pop();
      while (groups.length !== 0) groups.pop();
      this.message = undefined;
      this.sharedHere = undefined; // [cluster]
      this.only = undefined;
    }
  }

  subscriber(entry: SubscriptionEntry): void {
    const s = entry.session;
    if (this.only !== undefined && !this.only.has(s)) return; // [cluster]
    const o = entry.options;
    if (o.noLocal && this.message!.origin === s.clientId) return; // v5 [MQTT-3.8.3-3]
    if (s.matchGen !== this.generation) {
      s.matchGen = this.generation;
      s.matchQos = o.qos;
      s.matchRetainAsPublished = o.retainAsPublished;
      s.matchSubscriptionIds = o.subscriptionId === undefined ? undefined : [o.subscriptionId];
      this.sessions.push(s);
      return;
    }
    if (o.qos > s.matchQos) s.matchQos = o.qos;
    if (o.retainAsPublished) s.matchRetainAsPublished = true;
    if (o.subscriptionId !== undefined) (s.matchSubscriptionIds ??= []).push(o.subscriptionId);
  }

  shared(group: SharedGroup<SubscriptionEntry>): void {
    if (this.sharedHere !== undefined && !this.sharedHere(group.name, group.filter)) return; // [cluster] served by another node
    this.groups.push(group);
  }

  private deliverShared(group: SharedGroup<SubscriptionEntry>, message: Message): void {
    const only = this.only;
    const entry =
      only === undefined
        ? group.pick(isConnected, canQueue)
        : group.pick((e) => only.has(e.session) && isConnected(e), (e) => only.has(e.session) && canQueue(e)); // [cluster]
    if (!entry) return;
    const seen = entry.session.recentIds; // [cluster] a second copy of a message the member already got
    if (seen !== undefined && message.id !== undefined && !seen.admit(message.id)) return;
    const o = entry.options;
    const qos = (message.qos < o.qos ? message.qos : o.qos) as QoS; // [MQTT-4.8.2-3]
    const ids = o.subscriptionId === undefined ? undefined : [o.subscriptionId];
    this.delivery.deliver(entry.session, message, qos, o.retainAsPublished && message.retain, ids, group);
  }
}

export function isConnected(entry: SubscriptionEntry): boolean {
  return entry.session.connection?.state === 'connected';
}

/** An offline member whose session outlives the connection can hold the message in its queue. */
export function canQueue(entry: SubscriptionEntry): boolean {
  return entry.session.expiryInterval > 0;
}
