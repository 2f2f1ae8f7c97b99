// The cluster's nodes for the dashboard (/api/nodes): who joined, who still beats, and each node's figures from the
// counters it writes with its heartbeat. Read from Redis on request, so it is never older than one heartbeat.
import type { Redis } from 'ioredis';
import type { ClusterNodeView } from '../broker/ports.js';
import { keys } from './keys.js';

/** Another node as Redis holds it: its counters are $SYS names relative to $SYS/broker/ (strings in the HASH). */
export interface RemoteNode {
  id: string;
  alive: boolean;
  counters: Readonly<Record<string, string | number>>;
}

/** Every node that joined and did not leave (or was not yet removed), with its alive key and counters. */
export async function readRemoteNodes(cmd: Redis, self: string): Promise<RemoteNode[]> {
  const members = (await cmd.smembers(keys.nodes)).filter((n) => n !== self).sort();
  if (members.length === 0) return [];
  const reads = cmd.pipeline();
  for (const n of members) reads.exists(keys.alive(n)).hgetall(keys.stats(n));
  const replies = (await reads.exec()) ?? [];
  return members.map((id, i) => {
    const [aliveErr, alive] = replies[2 * i] ?? [null, 0];
    const [statsErr, counters] = replies[2 * i + 1] ?? [null, {}];
    return { id, alive: !aliveErr && alive === 1, counters: statsErr ? {} : (counters as Record<string, string>) };
  });
}

/** This node first, then the others by id. */
export function nodeViews(self: string, own: Readonly<Record<string, number>>, others: readonly RemoteNode[]): ClusterNodeView[] {
  return [view(self, true, true, own), ...others.map((n) => view(n.id, false, n.alive, n.counters))];
}

function view(id: string, self: boolean, alive: boolean, c: Readonly<Record<string, string | number>>): ClusterNodeView {
  const n = (name: string): number => Number(c[name] ?? 0) || 0;
  return {
    id,
    self,
    alive,
    clients: n('clients/connected'),
    subscriptions: n('subscriptions/count'),
    messagesIn: n('publish/messages/received'),
    messagesOut: n('publish/messages/sent'),
  };
}
