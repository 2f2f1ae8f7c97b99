// The publish path to the other nodes: which nodes a message goes to (their filters, one node per share group),
// and how (QoS 1/2 appended to the target's stream, stream-forward.ts; QoS 0 on its pub/sub channel).
import type { ClusterSharedFilter, HoldablePublisher, Logger, StoredMessage } from '../broker/ports.js';
import type { ClusterView } from './cluster-view.js';
import { channels } from './keys.js';
import { encodeClusterMessage } from './message-codec.js';
import type { RedisLink } from './redis-link.js';
import { groupKey, type GroupPick } from './shared-groups.js';
import { StreamForwarder, type CommitWith } from './stream-forward.js';
import { TargetPressure } from './target-pressure.js';

/** $SYS topics are per node: never shared. */
export const LOCAL_ONLY_PREFIX = '$SYS';

export class MessageSender {
  /** QoS 1/2 messages out: one XADD per target node. */
  readonly forwarder: StreamForwarder;
  /** Each target stream's backlog, and the publishers held while one is over its limit (target-pressure.ts). */
  readonly pressure: TargetPressure;
  /** Copies sent to other nodes, and copies that could not leave (Redis away, a PUBLISH refused). */
  sent = 0;
  undeliverable = 0;
  private readonly matched = new Set<string>();
  /**
   * [sessions] Set with the Redis session store: whether a client's session is persistent and held here, and the
   * store's next write. A QoS 2 message from such a session goes to the other nodes' streams in that write, together
   * with the publisher's packet id, so a crash of this node leaves both or neither and the resend (DUP) elsewhere is
   * recognised as one [MQTT-4.3.3-9].
   */
  sessionWrite: { holds(clientId: string): boolean; commitWith: CommitWith } | undefined;

  constructor(
    private readonly nodeId: string,
    private readonly link: RedisLink,
    private readonly view: ClusterView,
    private readonly now: () => number,
    log: Logger,
  ) {
    this.forwarder = new StreamForwarder(() => this.link.cmd);
    this.pressure = new TargetPressure(() => this.link.cmd, log);
  }

  /** Copies sent that never reached Redis (this side's count and the failed XADDs). */
  get undeliverableTotal(): number {
    return this.undeliverable + this.forwarder.failed;
  }

  publish(message: StoredMessage, publisher: HoldablePublisher | undefined): ClusterSharedFilter | undefined {
    const topic = message.topic;
    const { plain, groups } = this.view;
    if ((plain.size === 0 && groups.size === 0) || topic.startsWith(LOCAL_ONLY_PREFIX)) return undefined;
    const targets = plain.size === 0 ? this.matched : plain.match(topic, this.matched);
    const pick = groups.pick(topic);
    if (pick) for (const node of pick.byNode.keys()) if (node !== this.nodeId) targets.add(node);
    try {
      if (targets.size === 0) return pick && this.servedHere(pick);
      if (!this.link.ready) {
        this.undeliverable += targets.size;
        return undefined; // nothing can leave: this node serves its own share groups
      }
      const now = this.now();
      const common = pick ? undefined : encodeClusterMessage(message, this.nodeId, now);
      const within = message.qos === 2 && message.origin !== undefined && this.sessionWrite?.holds(message.origin) ? this.sessionWrite : undefined;
      for (const node of targets) {
        if (message.qos > 0 && !this.pressure.admit(node)) continue; // its stream is at the hard cap: dropped, counted
        this.sent++;
        const bytes = common ?? encodeClusterMessage(message, this.nodeId, now, pick!.byNode.get(node));
        // QoS 1/2: appended to the target's stream, in publish order on the one command connection; the
        // publisher's ack waits for Redis to answer (afterForward). QoS 0 needs no such promise: pub/sub (order
        // is owed per topic and QoS only [MQTT-4.6.0-5], so the two paths need not keep order between them)
        if (message.qos > 0) {
          if (within) this.forwarder.sendWithin(node, bytes, within.commitWith);
          else this.forwarder.send(node, bytes);
          this.pressure.added(node, publisher); // held while the target's backlog is over its limit
        } else this.link.cmd.publish(channels.messages(node), bytes).catch(() => this.undeliverable++);
      }
      return pick && this.servedHere(pick);
    } finally {
      targets.clear();
    }
  }

  /**
   * [sessions] A copy for one session on `node` only (session-forwarding.ts): QoS 1/2 through the node's stream, so
   * before this node's acknowledgement of the message (same connection, in order); QoS 0 on pub/sub.
   */
  sendFor(node: string, clientId: string, message: StoredMessage): void {
    if (!this.link.ready) {
      this.undeliverable++;
      return;
    }
    this.sent++;
    const bytes = encodeClusterMessage(message, this.nodeId, this.now(), undefined, clientId);
    if (message.qos > 0) this.forwarder.send(node, bytes);
    else this.link.cmd.publish(channels.messages(node), bytes).catch(() => this.undeliverable++);
  }

  private servedHere(pick: GroupPick): ClusterSharedFilter {
    const mine = pick.byNode.get(this.nodeId);
    return mine ? (name, filter) => mine.includes(groupKey(name, filter)) : () => false;
  }

  close(): void {
    this.pressure.close();
    this.forwarder.close();
  }
}
