// The small JSON events nodes broadcast on channels.events: filter changes, resyncs, take-overs, leaving.

export type ClusterEvent =
  /** A node's set of filters gained or lost one. */
  | { type: 'filter'; node: string; filter: string; added: boolean }
  /** A node rewrote its whole filter set (start, Redis back): read it again. */
  | { type: 'reset'; node: string }
  /**
   * A connection for clientId was accepted on `node` with this epoch: older connections elsewhere close.
   * [sessions] `ask`: the nodes that must answer `released` (the session's owner, the previous connection's node);
   * `clean`: Clean Start, so the old session is discarded rather than handed over.
   */
  | { type: 'takeover'; node: string; clientId: string; epoch: number; clean?: boolean; ask?: string[] }
  /** [sessions] `node` closed its connection for clientId, wrote the session's last state and let it go. */
  | { type: 'released'; node: string; clientId: string; epoch: number }
  /**
   * A node stopped cleanly, or [sessions] was reaped. `handoff`: it stopped and left persistent sessions (and maybe
   * stream entries) behind: a survivor adopts them as it would a dead node's.
   */
  | { type: 'leave'; node: string; handoff?: boolean };

export function encodeEvent(event: ClusterEvent): string {
  return JSON.stringify(event);
}

/** The event, or undefined for text that is not one (a newer or foreign publisher: ignored). */
export function decodeEvent(text: string): ClusterEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const e = value as Record<string, unknown>;
  if (typeof e.node !== 'string') return undefined;
  switch (e.type) {
    case 'filter':
      return typeof e.filter === 'string' && typeof e.added === 'boolean' ? (e as ClusterEvent) : undefined;
    case 'takeover':
      if (typeof e.clientId !== 'string' || typeof e.epoch !== 'number') return undefined;
      // Lua's cjson writes an empty list as {}: anything but a list of names asks nobody
      e.ask = Array.isArray(e.ask) ? e.ask.filter((n): n is string => typeof n === 'string') : [];
      return e as ClusterEvent;
    case 'released':
      return typeof e.clientId === 'string' && typeof e.epoch === 'number' ? (e as ClusterEvent) : undefined;
    case 'reset':
    case 'leave':
      return e as ClusterEvent;
    default:
      return undefined;
  }
}
