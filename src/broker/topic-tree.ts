// A trie of topic-filter levels. Matching walks the levels of one topic name once; wildcards are child nodes
// named '+' and '#', so matching never splits or compares whole filter strings.
import { SharedGroup } from './shared-subscriptions.js';

const PLUS = '+';
const HASH = '#';

class TopicNode<T> {
  children: Map<string, TopicNode<T>> | undefined;
  /** Non-shared subscribers of exactly this filter, keyed by client id. */
  subscribers: Map<string, T> | undefined;
  /** Shared subscription groups on exactly this filter, keyed by share name. */
  shared: Map<string, SharedGroup<T>> | undefined;

  child(level: string): TopicNode<T> | undefined {
    return this.children?.get(level);
  }

  isEmpty(): boolean {
    return !this.children?.size && !this.subscribers?.size && !this.shared?.size;
  }
}

/** Receives every match of one topic name. An object (not closures) so the hot path allocates nothing. */
export interface MatchVisitor<T> {
  subscriber(entry: T): void;
  shared(group: SharedGroup<T>): void;
}

/** The matches of one topic name, kept until the next subscription change (see matchTopic). */
class Route<T> {
  readonly subscribers: T[] = [];
  readonly shared: SharedGroup<T>[] = [];
}

/** Collects one walk's matches into a Route. */
class RouteCollector<T> implements MatchVisitor<T> {
  route = new Route<T>();
  subscriber(entry: T): void {
    this.route.subscribers.push(entry);
  }
  shared(group: SharedGroup<T>): void {
    this.route.shared.push(group);
  }
}

/** The route of every topic nobody subscribes to (many distinct topics must not cost an object each). */
const NO_ROUTE = new Route<never>();

/** Topics whose route is kept; when full, start over rather than track recency on the hot path. */
const ROUTE_CACHE_LIMIT = 10_000;

export class TopicTree<T> {
  private readonly root = new TopicNode<T>();
  private subscriptionCount = 0;
  /**
   * Topic name -> its matches, so a busy topic is not split and walked per message. Emptied by every change of
   * the tree (a subscription added, replaced or removed), so a kept route never differs from a walk.
   */
  private readonly routes = new Map<string, Route<T>>();
  private readonly collector = new RouteCollector<T>();

  /** Number of subscriptions (shared memberships included). */
  get count(): number {
    return this.subscriptionCount;
  }

  /** Adds or replaces the subscription of `key` to `filter`; returns true if it is new. */
  add(filter: string, key: string, entry: T): boolean {
    this.changed();
    const node = this.nodeFor(filter);
    node.subscribers ??= new Map();
    const isNew = !node.subscribers.has(key);
    node.subscribers.set(key, entry);
    if (isNew) this.subscriptionCount++;
    return isNew;
  }

  /** Adds or replaces `key` as a member of share group `group` on `filter`; returns true if it is new. */
  addShared(group: string, filter: string, key: string, entry: T): boolean {
    this.changed();
    const node = this.nodeFor(filter);
    node.shared ??= new Map();
    let g = node.shared.get(group);
    if (!g) {
      g = new SharedGroup<T>(group, filter);
      node.shared.set(group, g);
    }
    const isNew = g.set(key, entry);
    if (isNew) this.subscriptionCount++;
    return isNew;
  }

  get(filter: string, key: string): T | undefined {
    return this.find(filter)?.subscribers?.get(key);
  }

  getShared(group: string, filter: string): SharedGroup<T> | undefined {
    return this.find(filter)?.shared?.get(group);
  }

  remove(filter: string, key: string): boolean {
    this.changed();
    return this.removeWhere(filter, (node) => {
      const removed = node.subscribers?.delete(key) ?? false;
      if (node.subscribers?.size === 0) node.subscribers = undefined;
      return removed;
    });
  }

  removeShared(group: string, filter: string, key: string): boolean {
    this.changed();
    return this.removeWhere(filter, (node) => {
      const g = node.shared?.get(group);
      if (!g) return false;
      const removed = g.delete(key);
      if (g.size === 0) node.shared!.delete(group);
      if (node.shared?.size === 0) node.shared = undefined;
      return removed;
    });
  }

  /** Calls the visitor for every subscription matching the topic name given as levels. */
  match(levels: readonly string[], visitor: MatchVisitor<T>): void {
    // [MQTT-4.7.2-1] a filter starting with a wildcard does not match a topic name starting with '$'
    const dollar = levels[0]!.charCodeAt(0) === 0x24;
    this.walk(this.root, levels, 0, dollar, visitor);
  }

  /**
   * Calls the visitor for every subscription matching `topic`, as match() does, but from a route kept per topic
   * name until the tree changes: a busy topic costs one Map lookup instead of a split and a walk. Subscribers are
   * visited before share groups (each in walk order).
   */
  matchTopic(topic: string, visitor: MatchVisitor<T>): void {
    let route = this.routes.get(topic);
    if (route === undefined) {
      const collector = this.collector;
      route = collector.route; // empty: kept for the next walk while walks find nothing
      this.match(topic.split('/'), collector);
      if (route.subscribers.length === 0 && route.shared.length === 0) route = NO_ROUTE;
      else collector.route = new Route<T>();
      if (this.routes.size >= ROUTE_CACHE_LIMIT) this.routes.clear();
      this.routes.set(topic, route);
    }
    const subscribers = route.subscribers;
    for (let i = 0; i < subscribers.length; i++) visitor.subscriber(subscribers[i]!);
    const shared = route.shared;
    for (let i = 0; i < shared.length; i++) visitor.shared(shared[i]!);
  }

  /** Kept routes may hold entries that are gone or miss new ones: drop them all. */
  private changed(): void {
    if (this.routes.size !== 0) this.routes.clear();
  }

  private walk(node: TopicNode<T>, levels: readonly string[], i: number, dollar: boolean, v: MatchVisitor<T>): void {
    const children = node.children;
    if (i === levels.length) {
      visitNode(node, v);
      // 'sport/#' also matches 'sport' (the parent level)
      const hash = children?.get(HASH);
      if (hash) visitNode(hash, v);
      return;
    }
    if (!children) return;
    if (!(dollar && i === 0)) {
      const hash = children.get(HASH);
      if (hash) visitNode(hash, v);
      const plus = children.get(PLUS);
      if (plus) this.walk(plus, levels, i + 1, dollar, v);
    }
    const exact = children.get(levels[i]!);
    if (exact) this.walk(exact, levels, i + 1, dollar, v);
  }

  private nodeFor(filter: string): TopicNode<T> {
    let node = this.root;
    for (const level of filter.split('/')) {
      node.children ??= new Map();
      let next = node.children.get(level);
      if (!next) {
        next = new TopicNode<T>();
        node.children.set(level, next);
      }
      node = next;
    }
    return node;
  }

  private find(filter: string): TopicNode<T> | undefined {
    let node: TopicNode<T> | undefined = this.root;
    for (const level of filter.split('/')) {
      node = node.child(level);
      if (!node) return undefined;
    }
    return node;
  }

  /** Applies `removeFrom` to the filter's node, then prunes nodes left empty. */
  private removeWhere(filter: string, removeFrom: (node: TopicNode<T>) => boolean): boolean {
    const path: TopicNode<T>[] = [this.root];
    const levels = filter.split('/');
    for (const level of levels) {
      const next = path[path.length - 1]!.child(level);
      if (!next) return false;
      path.push(next);
    }
    const removed = removeFrom(path[path.length - 1]!);
    if (removed) this.subscriptionCount--;
    for (let i = path.length - 1; i > 0 && path[i]!.isEmpty(); i--) {
      const parent = path[i - 1]!;
      parent.children!.delete(levels[i - 1]!);
      if (parent.children!.size === 0) parent.children = undefined;
    }
    return removed;
  }
}

function visitNode<T>(node: TopicNode<T>, v: MatchVisitor<T>): void {
  if (node.subscribers) for (const entry of node.subscribers.values()) v.subscriber(entry);
  if (node.shared) for (const group of node.shared.values()) v.shared(group);
}
