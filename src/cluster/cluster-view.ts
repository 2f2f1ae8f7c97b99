// What this node knows of the others' subscriptions: plain filters (RemoteFilterIndex) and share group
// memberships (SharedGroupIndex, this node's own included), fed by Redis reads and filter events.
import { parseSharedSubscription } from '../protocol/index.js';
import { RemoteFilterIndex } from './filter-index.js';
import { groupKey, SharedGroupIndex } from './shared-groups.js';

export class ClusterView {
  readonly plain = new RemoteFilterIndex();
  readonly groups = new SharedGroupIndex();

  constructor(private readonly self: string) {}

  /** Other nodes this node routes to (plain filters or share groups). */
  nodes(): Set<string> {
    const out = new Set([...this.plain.nodes, ...this.groups.nodesWithGroups()]);
    out.delete(this.self);
    return out;
  }

  /** A node's filter set as Redis holds it: plain filters and $share/{group}/{filter} memberships. */
  replaceNode(node: string, filters: string[]): void {
    const plain: string[] = [];
    const groups: string[] = [];
    for (const f of filters) {
      const share = parseSharedSubscription(f);
      if (share) groups.push(groupKey(share.group, share.filter));
      else plain.push(f);
    }
    this.plain.replace(node, plain);
    this.groups.replace(node, groups);
  }

  apply(node: string, filter: string, added: boolean): void {
    const share = parseSharedSubscription(filter);
    if (share && added) this.groups.add(node, share.group, share.filter);
    else if (share) this.groups.remove(node, share.group, share.filter);
    else if (node === this.self) return; // plain filters of this node: its own topic tree routes them
    else if (added) this.plain.add(node, filter);
    else this.plain.remove(node, filter);
  }

  forget(node: string): void {
    this.plain.forget(node);
    this.groups.forget(node);
  }
}
