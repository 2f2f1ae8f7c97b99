// The dashboard listens to the broker's public observer hooks only while someone watches. The hook object is the
// broker's own (options.hooks or its default {}); a tap wraps the existing hook and the original is put back when
// the last listener leaves, so an unwatched broker runs exactly the hooks it was built with.
import type { Broker } from '../broker/broker.js';
import type { BrokerHooks } from '../broker/hooks.js';

type TappedHook = 'published' | 'pinged';
type Hook<K extends TappedHook> = NonNullable<BrokerHooks[K]>;

interface Tap<K extends TappedHook> {
  readonly original: Hook<K> | undefined;
  /** An array, not a Set: iterating it allocates nothing on the per-message path. */
  listeners: Hook<K>[];
}

const taps = new WeakMap<Broker, Map<TappedHook, Tap<TappedHook>>>();

/** Makes the hook that calls the original and then every listener of the tap (fixed arity: no rest array). */
function fanOut<K extends TappedHook>(t: Tap<K>): Hook<K> {
  const original = t.original as ((a: unknown, b: unknown, c: unknown) => void) | undefined;
  return ((a: unknown, b: unknown, c: unknown): void => {
    original?.(a, b, c);
    const listeners = t.listeners as unknown as ((a: unknown, b: unknown, c: unknown) => void)[];
    for (let i = 0; i < listeners.length; i++) listeners[i]!(a, b, c);
  }) as unknown as Hook<K>;
}

/** Calls `listener` from the broker's `name` hook until the returned function is called. */
export function onHook<K extends TappedHook>(broker: Broker, name: K, listener: Hook<K>): () => void {
  const hooks = broker.hooks as BrokerHooks;
  let byName = taps.get(broker);
  if (!byName) taps.set(broker, (byName = new Map()));
  let tap = byName.get(name) as Tap<K> | undefined;
  if (!tap) {
    const t: Tap<K> = { original: hooks[name] as Hook<K> | undefined, listeners: [] };
    tap = t;
    byName.set(name, t as unknown as Tap<TappedHook>);
    (hooks as Record<K, Hook<K> | undefined>)[name] = fanOut(t);
  }
  tap.listeners = [...tap.listeners, listener];
  const owner = byName;
  return () => {
    const current = owner.get(name) as Tap<K> | undefined;
    if (!current || !current.listeners.includes(listener)) return;
    current.listeners = current.listeners.filter((l) => l !== listener);
    if (current.listeners.length > 0) return;
    (hooks as Record<K, Hook<K> | undefined>)[name] = current.original;
    owner.delete(name);
  };
}

/** Calls `listener` after every routed message until the returned function is called. */
export function onPublished(broker: Broker, listener: Hook<'published'>): () => void {
  return onHook(broker, 'published', listener);
}
