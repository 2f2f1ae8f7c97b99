// What a node does for a session that just moved to another node (session-handover.ts). When the session is taken
// over, this node closes the connection, writes the session's last state and drops it; but until every node has
// heard that the new node holds the session's filters, copies of messages for the session still come here
// (published here, or sent by nodes that matched this node's filters), and would miss it. So for FORWARD_MS this
// node keeps announcing the session's filters and sends each message that matches one of them on to the new node,
// for that session only (message-codec.ts `x`); the new node delivers a message once however many copies reach it
// (message-ids.ts). Then the filters are let go.
import type { StoredMessage } from '../broker/ports.js';
import { isSharedFilter, topicMatches } from '../protocol/topic.js';
import { LOCAL_ONLY_PREFIX } from './message-out.js';

/** How long the node a session left keeps forwarding (other nodes hear of the new owner within milliseconds). */
export const FORWARD_MS = 5000;

export interface LeavingFilter {
  readonly filter: string;
  readonly noLocal: boolean;
}

interface Moved {
  readonly clientId: string;
  readonly node: string;
  readonly filters: readonly LeavingFilter[];
}

/** What the forwarding needs from the bus. */
export interface ForwardingHost {
  /** Sends `message` to `node` for the session of `clientId` only. */
  send(node: string, clientId: string, message: StoredMessage): void;
  /** Removes one of this node's subscriptions on `filter` from its announced set (held back while forwarding). */
  letGo(filter: string): void;
}

export class SessionForwarding {
  private readonly moved = new Map<string, Moved>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Set while a moving session is let go: the removals of its filters are held back here. */
  private deferring: string[] | undefined;
  /** Messages forwarded to the node a session moved to. */
  forwarded = 0;

  constructor(private readonly host: ForwardingHost) {}

  /**
   * A persistent session taken over by `toNode` is let go (`release`): its filters stay announced by this node for
   * FORWARD_MS and what matches them is sent on to `toNode`, so no message falls between this node dropping the
   * filters and the others hearing that `toNode` has them.
   */
  leaving(clientId: string, toNode: string, filters: readonly LeavingFilter[], release: () => void): void {
    const deferred: string[] = [];
    this.deferring = deferred;
    try {
      release();
    } finally {
      this.deferring = undefined;
    }
    const moved: Moved = { clientId, node: toNode, filters };
    this.moved.set(clientId, moved);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.moved.get(clientId) === moved) this.moved.delete(clientId);
      for (const f of deferred) this.host.letGo(f);
    }, FORWARD_MS);
    this.timers.add(timer);
  }

  /** True when the removal of `filter` is held back (one of a session being let go); shared ones go at once. */
  defers(filter: string): boolean {
    if (this.deferring === undefined || isSharedFilter(filter)) return false;
    this.deferring.push(filter);
    return true;
  }

  /** The session is back on this node: nothing to forward (its old filters still go on time). */
  stop(clientId: string): void {
    this.moved.delete(clientId);
  }

  /** Sends `message` on for every moved session it matches. Costs one size check while nothing moved. */
  forward(message: StoredMessage): void {
    if (this.moved.size === 0 || message.topic.startsWith(LOCAL_ONLY_PREFIX)) return;
    for (const m of this.moved.values()) {
      for (const f of m.filters) {
        if (f.noLocal && message.origin === m.clientId) continue; // v5 [MQTT-3.8.3-3]
        if (!topicMatches(f.filter, message.topic)) continue;
        this.forwarded++;
        this.host.send(m.node, m.clientId, message);
        break; // one copy per session; the new node merges its subscriptions [MQTT-3.3.4-2]
      }
    }
  }

  /** Closing: the filters are let go with the node. */
  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.moved.clear();
  }
}
