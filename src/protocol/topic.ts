// Topic Name and Topic Filter rules (5.0 section 4.7 / 4.8.2, 3.1.1 section 4.7). Errors are returned, not thrown.
import { ReasonCode } from './constants.js';
import { ProtocolError } from './errors.js';
import { isValidMqttString } from './utf8.js';

const MAX_TOPIC_BYTES = 0xffff;
const SHARE_PREFIX = '$share/';
const HASH = 0x23; // '#'
const PLUS = 0x2b; // '+'
const SLASH = 0x2f; // '/'

function topicNameError(detail: string): ProtocolError {
  return new ProtocolError('INVALID_TOPIC_NAME', ReasonCode.TopicNameInvalid, detail);
}

function topicFilterError(detail: string, reasonCode: number = ReasonCode.MalformedPacket): ProtocolError {
  return new ProtocolError('INVALID_TOPIC_FILTER', reasonCode, detail);
}

/** A PUBLISH / Will topic: non-empty, no wildcards, no U+0000, at most 65535 bytes. */
export function validateTopicName(name: string): ProtocolError | null {
  if (name.length === 0) return topicNameError('topic name is empty'); // 5.0 / 3.1.1 [MQTT-4.7.3-1]
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    // 5.0 [MQTT-4.7.0-1] / 3.1.1 [MQTT-4.7.1-1], and [MQTT-3.3.2-2] in both
    if (c === HASH || c === PLUS) return topicNameError(`topic name "${name}" contains a wildcard`);
  }
  if (!isValidMqttString(name)) return topicNameError('topic name contains U+0000 or a lone surrogate'); // [MQTT-4.7.3-2]
  if (Buffer.byteLength(name) > MAX_TOPIC_BYTES) return topicNameError('topic name is longer than 65535 bytes'); // [MQTT-4.7.3-3]
  return null;
}

/** Checks '#' and '+' placement in a plain (non-shared) filter. */
function checkWildcards(filter: string): ProtocolError | null {
  const n = filter.length;
  for (let i = 0; i < n; i++) {
    const c = filter.charCodeAt(i);
    if (c === HASH) {
      // '#' alone in its level and last: 5.0 [MQTT-4.7.1-1] / 3.1.1 [MQTT-4.7.1-2]
      if (i !== n - 1 || (i > 0 && filter.charCodeAt(i - 1) !== SLASH)) {
        return topicFilterError(`'#' must be the last level and alone in it in "${filter}"`);
      }
    } else if (c === PLUS) {
      // '+' fills a whole level: 5.0 [MQTT-4.7.1-2] / 3.1.1 [MQTT-4.7.1-3]
      if ((i > 0 && filter.charCodeAt(i - 1) !== SLASH) || (i < n - 1 && filter.charCodeAt(i + 1) !== SLASH)) {
        return topicFilterError(`'+' must fill a whole level in "${filter}"`);
      }
    }
  }
  return null;
}

/** A SUBSCRIBE / UNSUBSCRIBE filter, including the `$share/{group}/{filter}` form. */
export function validateTopicFilter(filter: string): ProtocolError | null {
  if (filter.length === 0) return topicFilterError('topic filter is empty'); // [MQTT-4.7.3-1]
  if (!isValidMqttString(filter)) return topicFilterError('topic filter contains U+0000 or a lone surrogate'); // [MQTT-4.7.3-2]
  if (Buffer.byteLength(filter) > MAX_TOPIC_BYTES) return topicFilterError('topic filter is longer than 65535 bytes'); // [MQTT-4.7.3-3]
  if (filter.startsWith(SHARE_PREFIX)) {
    const shared = splitShared(filter);
    if (typeof shared === 'string') return topicFilterError(shared);
    return checkWildcards(shared.filter);
  }
  return checkWildcards(filter);
}

function splitShared(filter: string): { group: string; filter: string } | string {
  const slash = filter.indexOf('/', SHARE_PREFIX.length);
  const group = slash < 0 ? filter.slice(SHARE_PREFIX.length) : filter.slice(SHARE_PREFIX.length, slash);
  // 5.0 [MQTT-4.8.2-1]: a ShareName of at least one character
  if (group.length === 0) return `shared subscription "${filter}" has an empty share name`;
  // 5.0 [MQTT-4.8.2-2]: no '+' or '#' in the ShareName, then '/' and a Topic Filter
  if (group.includes('+') || group.includes('#')) return `share name "${group}" contains a wildcard`;
  if (slash < 0 || slash === filter.length - 1) return `shared subscription "${filter}" has no topic filter`;
  return { group, filter: filter.slice(slash + 1) };
}

/** `$share/{group}/{filter}` -> its parts; null for a filter that is not a (valid) shared subscription. */
export function parseSharedSubscription(filter: string): { group: string; filter: string } | null {
  if (!filter.startsWith(SHARE_PREFIX)) return null;
  const shared = splitShared(filter);
  return typeof shared === 'string' ? null : shared;
}

export function isSharedFilter(filter: string): boolean {
  return filter.startsWith(SHARE_PREFIX);
}

/**
 * Whether a topic name matches a topic filter: '+' one level, '#' the rest and its parent level
 * ("a/#" matches "a"). Used off the broker's hot path (CLI filters, trace filters); the broker routes with its trie.
 */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  // [MQTT-4.7.2-1] a filter starting with a wildcard does not match topics starting with '$'
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i++) {
    const level = f[i]!;
    if (level === '#') return true;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}
