// Which events a watcher wants: client id (exact), topic filter (MQTT wildcards), packet types.
import type { HubEvent } from './link-tracer.js';
import { topicMatches } from '../../protocol/index.js';
import type { TraceFilter } from './trace-event.js';

export interface CompiledFilter {
  readonly secrets: boolean;
  matches(ev: HubEvent): boolean;
}

export function compileFilter(f: TraceFilter): CompiledFilter {
  const types = f.types?.length ? new Set(f.types.map((t) => t.trim().toLowerCase()).filter(Boolean)) : undefined;
  const { client, topic } = f;
  return {
    secrets: f.secrets === true,
    matches(ev) {
      if (client !== undefined && ev.base.connection.clientId !== client) return false;
      // Type and topic filters speak of MQTT packets; with either set, other layers' events stay out.
      if ((types || topic !== undefined) && ev.base.kind !== 'mqtt') return false;
      if (types && !types.has(ev.type ?? '')) return false;
      if (topic !== undefined && !packetTopics(ev).some((t) => t === topic || topicMatches(topic, t))) return false;
      return true;
    },
  };
}

/** The topic names or filters a packet carries (PUBLISH topic, SUBSCRIBE / UNSUBSCRIBE filters). */
function packetTopics(ev: HubEvent): string[] {
  const p = ev.decoded;
  if (!p) return [];
  if (p.type === 'publish') return [p.topic];
  if (p.type === 'subscribe') return p.subscriptions.map((s) => s.topicFilter);
  if (p.type === 'unsubscribe') return p.topicFilters;
  return [];
}
