// Preact hooks over the broker's live streams (Server-Sent Events) and polled JSON routes.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, streamUrl } from './api';

export type StreamState = 'connecting' | 'open' | 'error';

/**
 * Opens an EventSource while mounted; `handlers` maps event names to callbacks (read through a ref so changing
 * them does not reconnect). Reconnects when `key` changes.
 */
export function useEventStream(
  path: string,
  params: Record<string, string | undefined>,
  handlers: Record<string, (data: unknown) => void>,
): StreamState {
  const [state, setState] = useState<StreamState>('connecting');
  const ref = useRef(handlers);
  ref.current = handlers;
  const url = streamUrl(path, params);
  useEffect(() => {
    setState('connecting');
    const source = new EventSource(url);
    source.onopen = () => setState('open');
    source.onerror = () => setState(source.readyState === EventSource.CLOSED ? 'error' : 'connecting');
    const names = Object.keys(ref.current);
    const listeners = names.map((name) => {
      const fn = (e: MessageEvent<string>) => ref.current[name]?.(JSON.parse(e.data));
      source.addEventListener(name, fn as EventListener);
      return fn;
    });
    return () => {
      names.forEach((name, i) => source.removeEventListener(name, listeners[i] as EventListener));
      source.close();
    };
  }, [url]);
  return state;
}

/** Fetches `path` now and every `everyMs` while mounted. */
export function usePoll<T>(path: string, everyMs: number): { data: T | undefined; error: string | undefined; refresh: () => void } {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string>();
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let stopped = false;
    const load = () =>
      api<T>(path).then(
        (d) => !stopped && (setData(d), setError(undefined)),
        (e: Error) => !stopped && setError(e.message),
      );
    void load();
    const timer = setInterval(load, everyMs);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [path, everyMs, tick]);
  return { data, error, refresh: () => setTick((t) => t + 1) };
}

/** Re-renders every `ms` (for "time since" displays). */
export function useNow(ms: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}
