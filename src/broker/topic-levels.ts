// Splitting topics into levels, with a small cache so a busy topic is split once, not once per message.

const CACHE_LIMIT = 10_000;
const cache = new Map<string, readonly string[]>();

/** The levels of a topic name; results for recent topics are cached (the arrays are shared: never mutate). */
export function topicLevels(topic: string): readonly string[] {
  let levels = cache.get(topic);
  if (levels === undefined) {
    levels = topic.split('/');
    // A simple bound: when full, start over rather than track recency on the hot path.
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(topic, levels);
  }
  return levels;
}

/** Whether a topic name matches a topic filter (both already valid); used for retained messages. */
export function topicMatches(filter: readonly string[], topic: readonly string[]): boolean {
  // [MQTT-4.7.2-1] a filter starting with a wildcard does not match a topic starting with '$'
  if (topic[0]?.startsWith('$') && (filter[0] === '+' || filter[0] === '#')) return false;
  for (let i = 0; i < filter.length; i++) {
    const f = filter[i]!;
    if (f === '#') return true; // '#' also matches the parent level: 'a/#' matches 'a'
    if (i >= topic.length) return false;
    if (f !== '+' && f !== topic[i]) return false;
  }
  return filter.length === topic.length;
}
