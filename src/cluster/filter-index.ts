// Which other nodes have a subscription matching a topic: a trie of the filters every remote node announced,
// each filter holding the set of nodes that have it. A message goes only to the nodes this finds.

const PLUS = '+';
const HASH = '#';

class Node {
  children: Map<string, Node> | undefined;
  /** Nodes that announced exactly this filter. */
  owners: Set<string> | undefined;
}

export class RemoteFilterIndex {
  private readonly root = new Node();
  private readonly byNode = new Map<string, Set<string>>();
  private filterCount = 0;

  /** Number of (node, filter) pairs known. */
  get size(): number {
    return this.filterCount;
  }

  get nodes(): IterableIterator<string> {
    return this.byNode.keys();
  }

  add(node: string, filter: string): void {
    let filters = this.byNode.get(node);
    if (!filters) this.byNode.set(node, (filters = new Set()));
    if (filters.has(filter)) return;
    filters.add(filter);
    let n = this.root;
    for (const level of filter.split('/')) {
      n.children ??= new Map();
      let next = n.children.get(level);
      if (!next) n.children.set(level, (next = new Node()));
      n = next;
    }
    (n.owners ??= new Set()).add(node);
    this.filterCount++;
  }

  remove(node: string, filter: string): void {
    const filters = this.byNode.get(node);
    if (!filters?.delete(filter)) return;
    if (filters.size === 0) this.byNode.delete(node);
    this.filterCount--;
    const path: [Node, string][] = [];
    let n: Node | undefined = this.root;
    for (const level of filter.split('/')) {
      path.push([n, level]);
      n = n.children?.get(level);
      if (!n) return;
    }
    n.owners?.delete(node);
    if (n.owners?.size === 0) n.owners = undefined;
    // prune empty branches so a churn of filters does not grow the trie forever
    for (let i = path.length - 1; i >= 0; i--) {
      const [parent, level] = path[i]!;
      const child = parent.children!.get(level)!;
      if (child.owners || child.children?.size) break;
      parent.children!.delete(level);
    }
  }

  /** Makes `filters` the whole set of `node` (after a resync); an empty set forgets the node. */
  replace(node: string, filters: Iterable<string>): void {
    const next = new Set(filters);
    for (const f of [...(this.byNode.get(node) ?? [])]) if (!next.has(f)) this.remove(node, f);
    for (const f of next) this.add(node, f);
  }

  forget(node: string): void {
    this.replace(node, []);
  }

  /** The nodes with at least one filter matching `topic`, added to `out`. */
  match(topic: string, out: Set<string>): Set<string> {
    const levels = topic.split('/');
    // [MQTT-4.7.2-1] a topic starting with '$' is not matched by a filter starting with a wildcard
    this.walk(this.root, levels, 0, out, topic.startsWith('$'));
    return out;
  }

  private walk(n: Node, levels: string[], i: number, out: Set<string>, dollar: boolean): void {
    const children = n.children;
    if (!children) return;
    const first = i === 0 && dollar;
    const hash = first ? undefined : children.get(HASH);
    if (hash?.owners) for (const o of hash.owners) out.add(o); // [MQTT-4.7.1-2] '#' also matches the parent level
    if (i === levels.length) return;
    const exact = children.get(levels[i]!);
    if (exact) this.visit(exact, levels, i + 1, out, dollar);
    const plus = first ? undefined : children.get(PLUS);
    if (plus) this.visit(plus, levels, i + 1, out, dollar);
  }

  private visit(n: Node, levels: string[], next: number, out: Set<string>, dollar: boolean): void {
    if (next === levels.length && n.owners) for (const o of n.owners) out.add(o);
    this.walk(n, levels, next, out, dollar);
  }
}
