// The dashboard listens to the broker's public hooks only while someone watches. The hook object is the broker's
// own (options.hooks or its default {}); a tap wraps the existing hook and the original is put back when the last
// listener leaves, so an unwatched broker runs exactly the hooks it was built with.
import type { Broker } from '../broker/broker.js';
import type { BrokerHooks } from '../broker/hooks.js';

type PublishedHook = NonNullable<BrokerHooks['published']>;

interface PublishedTap {
  readonly original: PublishedHook | undefined;
  /** An array, not a Set: iterating it allocates nothing on the per-message path. */
  listeners: PublishedHook[];
}

const taps = new WeakMap<Broker, PublishedTap>();

/** Calls `listener` after every routed message until the returned function is called. */
export function onPublished(broker: Broker, listener: PublishedHook): () => void {
  const hooks = broker.hooks as BrokerHooks;
  let tap = taps.get(broker);
  if (!tap) {
    const original = hooks.published;
    const t: PublishedTap = { original, listeners: [] };
    tap = t;
    taps.set(broker, t);
    hooks.published = (message, client) => {
      original?.(message, client);
      const listeners = t.listeners;
      for (let i = 0; i < listeners.length; i++) listeners[i]!(message, client);
    };
  }
  tap.listeners = [...tap.listeners, listener];
  return () => {
    const current = taps.get(broker);
    if (!current || !current.listeners.includes(listener)) return;
    current.listeners = current.listeners.filter((l) => l !== listener);
    if (current.listeners.length > 0) return;
    hooks.published = current.original;
    taps.delete(broker);
  };
}
