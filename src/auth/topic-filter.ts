// Topic filter algebra for ACL decisions. auth/ may not import protocol/ (shared/DESIGN.md), and an ACL
// needs more than "does this filter match this topic": to judge a SUBSCRIBE it must intersect two filters.
// Matching follows mosquitto_topic_matches_sub: `+` matches one (possibly empty) level, `#` matches the
// parent level too (`a/#` matches `a`), and a wildcard in the first level never matches a `$` topic.

const SEP = '/';
const ONE = '+';
const MANY = '#';

/** A well-formed topic filter: `+` and `#` occupy whole levels and `#` is last. 3.1.1 [MQTT-4.7.1-2] [MQTT-4.7.1-3], 5.0 [MQTT-4.7.1-1] [MQTT-4.7.1-2] */
export function isValidFilter(filter: string): boolean {
  if (filter.length === 0 || filter.includes('\0')) return false;
  const levels = filter.split(SEP);
  return levels.every((level, i) => {
    if (level.includes(MANY)) return level === MANY && i === levels.length - 1;
    if (level.includes(ONE)) return level === ONE;
    return true;
  });
}

const isDollar = (levels: string[]): boolean => levels[0]!.startsWith('$');
const isWildcard = (level: string): boolean => level === ONE || level === MANY;

/** Whether a topic name (no wildcards) matches the filter; `$` topics only by `$` filters [MQTT-4.7.2-1]. */
export function filterMatches(filter: string, topic: string): boolean {
  return levelsMatch(filter.split(SEP), topic.split(SEP));
}

export const splitLevels = (topicOrFilter: string): string[] => topicOrFilter.split(SEP);

/** filterMatches on levels split once, for checks that try many filters against one topic. */
export function levelsMatch(f: readonly string[], t: readonly string[]): boolean {
  if (t[0]!.startsWith('$') && isWildcard(f[0]!)) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === MANY) return true;
    if (i >= t.length) return false;
    if (f[i] !== ONE && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/** Every topic that `inner` matches is matched by `outer` too. */
export function filterCovers(outer: string, inner: string): boolean {
  const o = outer.split(SEP);
  const n = inner.split(SEP);
  if (isWildcard(o[0]!) && !isWildcard(n[0]!) && isDollar(n)) return false;
  for (let i = 0; i < n.length; i++) {
    if (i >= o.length) return false;
    if (o[i] === MANY) return true;
    // inner `#` also matches its parent level, which only an outer `#` covers; at the first level there is
    // no parent, so `+/#` covers `#` as well
    if (n[i] === MANY) return i === 0 && o[0] === ONE && o[1] === MANY && o.length === 2;
    if (o[i] === ONE) continue;
    if (n[i] === ONE || n[i] !== o[i]) return false;
  }
  // inner ended: outer must end too, or continue with `#` (which matches the parent level)
  return o.length === n.length || (o.length === n.length + 1 && o[n.length] === MANY);
}

/** The filter matching exactly the topics both filters match, or null when they share none. */
export function filterIntersection(a: string, b: string): string | null {
  const x = a.split(SEP);
  const y = b.split(SEP);
  // a first-level wildcard never matches a `$` topic, so it shares nothing with a `$` filter
  if ((isWildcard(x[0]!) && !isWildcard(y[0]!) && isDollar(y)) || (isWildcard(y[0]!) && !isWildcard(x[0]!) && isDollar(x))) {
    return null;
  }
  const out: string[] = [];
  for (let i = 0; ; i++) {
    const p = x[i];
    const q = y[i];
    if (p === undefined && q === undefined) return out.join(SEP);
    if (p === MANY) return [...out, ...y.slice(i)].join(SEP);
    if (q === MANY) return [...out, ...x.slice(i)].join(SEP);
    if (p === undefined || q === undefined) return null;
    if (p === ONE) out.push(q);
    else if (q === ONE || q === p) out.push(p);
    else return null;
  }
}
