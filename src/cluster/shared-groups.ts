// Share groups across nodes: which nodes have members of each group ($share/{name}/{filter}), and for each
// message the one node that serves each matching group, taking turns, so a group gets every message once
// whatever the number of nodes its members are spread over [MQTT-4.8.2-3 is then kept by that node].
// Groups are few next to plain subscriptions, so matching scans them (a trie can replace this if needed).

export interface GroupPick {
  /** Group keys ("NAME\nFILTER") each node serves for this message. */
  readonly byNode: Map<string, string[]>;
}

interface Group {
  readonly levels: string[];
  readonly nodes: Set<string>;
  /** Sorted copy of nodes, rebuilt on change, so turns go round in a stable order. */
  order: string[];
  turn: number;
}

export function groupKey(name: string, filter: string): string {
  return `${name}\n${filter}`;
}

export class SharedGroupIndex {
  private readonly groups = new Map<string, Group>();
  private readonly byNode = new Map<string, Set<string>>();

  get size(): number {
    return this.groups.size;
  }

  add(node: string, name: string, filter: string): void {
    const key = groupKey(name, filter);
    let g = this.groups.get(key);
    if (!g) this.groups.set(key, (g = { levels: filter.split('/'), nodes: new Set(), order: [], turn: 0 }));
    if (g.nodes.has(node)) return;
    g.nodes.add(node);
    g.order = [...g.nodes].sort();
    let keys = this.byNode.get(node);
    if (!keys) this.byNode.set(node, (keys = new Set()));
    keys.add(key);
  }

  remove(node: string, name: string, filter: string): void {
    this.removeKey(node, groupKey(name, filter));
  }

  /** Makes `keys` (group keys) the whole set of groups `node` has members in. */
  replace(node: string, keys: Iterable<string>): void {
    const next = new Set(keys);
    for (const k of [...(this.byNode.get(node) ?? [])]) if (!next.has(k)) this.removeKey(node, k);
    for (const k of next) {
      const nl = k.indexOf('\n');
      this.add(node, k.slice(0, nl), k.slice(nl + 1));
    }
  }

  forget(node: string): void {
    this.replace(node, []);
  }

  nodesWithGroups(): IterableIterator<string> {
    return this.byNode.keys();
  }

  /** For each group matching `topic`, the node whose turn it is; undefined when no group matches. */
  pick(topic: string): GroupPick | undefined {
    if (this.groups.size === 0) return undefined;
    const levels = topic.split('/');
    let byNode: Map<string, string[]> | undefined;
    for (const [key, g] of this.groups) {
      if (!matches(g.levels, levels)) continue;
      const node = g.order[g.turn++ % g.order.length]!;
      byNode ??= new Map();
      const list = byNode.get(node);
      if (list) list.push(key);
      else byNode.set(node, [key]);
    }
    return byNode && { byNode };
  }

  private removeKey(node: string, key: string): void {
    const g = this.groups.get(key);
    if (!g?.nodes.delete(node)) return;
    g.order = [...g.nodes].sort();
    if (g.nodes.size === 0) this.groups.delete(key);
    const keys = this.byNode.get(node);
    keys?.delete(key);
    if (keys?.size === 0) this.byNode.delete(node);
  }
}

/** Topic filter matching, with [MQTT-4.7.2-1]: a leading wildcard does not match a topic starting with '$'. */
function matches(filter: string[], topic: string[]): boolean {
  if (topic[0]!.startsWith('$') && (filter[0] === '+' || filter[0] === '#')) return false;
  for (let i = 0; i < filter.length; i++) {
    const f = filter[i]!;
    if (f === '#') return true;
    if (i >= topic.length) return false;
    if (f !== '+' && f !== topic[i]) return false;
  }
  return filter.length === topic.length;
}
