// A mosquitto ACL file with mosquitto 2.0's meaning (mosquitto.conf(5) "acl_file", and checked against the
// Debian mosquitto 2.0.11 broker by test/auth/acl-matrix.test.ts):
// - `topic [read|write|readwrite|deny] FILTER` before any `user` line applies to anonymous clients, after
//   `user NAME` to that user only; `pattern ...` lines apply to every client wherever they appear.
// - A client's own list is checked first, then the patterns; within each, `deny` lines are checked first and
//   the first line whose filter matches and whose access fits decides. Nothing matching means denied.
// - A topic starting with `$` only matches lines whose filter starts with `$`.
// - With patterns present, a client id or user name containing `+` or `#` is denied everything the client's
//   own list did not already grant (a wildcard smuggled into `%c`/`%u` would widen the pattern).
// glassmq additions, stricter than mosquitto: a pattern whose `%c`/`%u` would expand to a value containing
// `/` is skipped (client id `victim/x` must not reach `devices/victim/x/#`), and SUBSCRIBE is judged (mosquitto
// 2.0 grants every SUBSCRIBE and filters at delivery; glassmq refuses filters that could never deliver).
import { AuthFileError } from './errors.js';
import { readTextFile, splitLines } from './password-file.js';
import { filterCovers, filterIntersection, filterMatches, isValidFilter, levelsMatch, splitLevels } from './topic-filter.js';

export interface AclContext {
  clientId: string;
  username?: string;
}

export type AclAccess = 'read' | 'write' | 'readwrite' | 'deny';

export interface AclRule {
  access: AclAccess;
  filter: string;
  line: number;
  /** `filter` split into levels once, at load (or substitution) time. */
  levels: string[];
}

const READ = 1;
const WRITE = 2;
const ACCESS_BITS: Record<AclAccess, number> = { read: READ, write: WRITE, readwrite: READ | WRITE, deny: 0 };
const ACCESS_WORDS = new Set<string>(['read', 'write', 'readwrite', 'deny']);
/** mosquitto lets bridges publish their own connection state; every other `$SYS` publish is refused. */
const SYS_PREFIX = '$SYS';
const BRIDGE_STATE_FILTER = '$SYS/broker/connection/+/state';
const SHARE_PREFIX = '$share/';

interface ParsedAcl {
  anonymous: AclRule[] | null;
  users: Map<string, AclRule[]>;
  patterns: AclRule[];
}

/** Deny lines first, then the rest in file order, as mosquitto orders each list. */
function ordered(rules: AclRule[]): AclRule[] {
  return [...rules.filter((r) => r.access === 'deny'), ...rules.filter((r) => r.access !== 'deny')];
}

function parseRule(rest: string, file: string, line: number): AclRule {
  // mosquitto: the word after the keyword is the access type when something follows it, else it is the topic
  const trimmed = rest.replace(/^ +/, '');
  const space = trimmed.indexOf(' ');
  let access: string = 'readwrite';
  let filter = trimmed;
  if (space >= 0) {
    access = trimmed.slice(0, space);
    filter = trimmed.slice(space + 1).trim();
    if (!ACCESS_WORDS.has(access)) {
      throw new AuthFileError('ACL_ACCESS_INVALID', file, line, `access type '${access}' is not read, write, readwrite or deny`);
    }
  }
  if (filter === '') throw new AuthFileError('ACL_TOPIC_INVALID', file, line, 'missing topic');
  if (!isValidFilter(filter)) throw new AuthFileError('ACL_TOPIC_INVALID', file, line, `invalid topic filter '${filter}'`);
  return { access: access as AclAccess, filter, line, levels: splitLevels(filter) };
}

export function parseAclFile(text: string, file: string): ParsedAcl {
  const parsed: ParsedAcl = { anonymous: null, users: new Map(), patterns: [] };
  let current: AclRule[] | null = null;
  let currentIsUser = false;
  splitLines(text).forEach((raw, index) => {
    const line = index + 1;
    const content = raw.trimEnd();
    if (content.startsWith('#')) return;
    const body = content.replace(/^ +/, '');
    if (body === '') return;
    const space = body.indexOf(' ');
    const keyword = space < 0 ? body : body.slice(0, space);
    const rest = space < 0 ? '' : body.slice(space + 1);
    if (keyword === 'topic' || keyword === 'pattern') {
      if (rest.trim() === '') throw new AuthFileError('ACL_TOPIC_INVALID', file, line, `'${keyword}' needs a topic`);
      const rule = parseRule(rest, file, line);
      if (keyword === 'pattern') {
        parsed.patterns.push(rule);
      } else {
        if (!currentIsUser) current = parsed.anonymous ??= [];
        current!.push(rule);
      }
    } else if (keyword === 'user') {
      const name = rest.trim();
      if (name === '') throw new AuthFileError('ACL_USER_MISSING', file, line, "'user' needs a user name");
      current = parsed.users.get(name) ?? [];
      parsed.users.set(name, current);
      currentIsUser = true;
    } else {
      throw new AuthFileError('ACL_LINE_INVALID', file, line, `expected 'topic', 'pattern' or 'user', found '${keyword}'`);
    }
  });
  return parsed;
}

/** `%c` and `%u` replaced, or null when this pattern cannot apply to the client. */
function substitute(pattern: string, ctx: AclContext): string | null {
  const usesUser = pattern.includes('%u');
  if (usesUser && ctx.username === undefined) return null; // mosquitto skips %u patterns for anonymous clients
  const usesClient = pattern.includes('%c');
  if ((usesClient && ctx.clientId.includes('/')) || (usesUser && ctx.username!.includes('/'))) return null; // glassmq: stricter
  return pattern.replace(/%([cu])/g, (_m, which: string) => (which === 'c' ? ctx.clientId : ctx.username!));
}

const hasWildcard = (s: string | undefined): boolean => s !== undefined && /[+#]/.test(s);
const NO_PATTERNS = { rules: [] as AclRule[], dangerous: false };
/** Bound on the per-client pattern cache; it is simply emptied when full. */
const MAX_CACHED_CLIENTS = 10_000;

export class AclFile {
  private readonly anonymous: AclRule[] | null;
  private readonly users: Map<string, AclRule[]>;
  private readonly patterns: AclRule[];
  private readonly substituted = new Map<string, { rules: AclRule[]; dangerous: boolean }>();

  private constructor(
    readonly path: string,
    parsed: ParsedAcl,
  ) {
    this.anonymous = parsed.anonymous && ordered(parsed.anonymous);
    this.users = new Map([...parsed.users].map(([name, rules]) => [name, ordered(rules)]));
    this.patterns = ordered(parsed.patterns);
  }

  /** Reads and validates the whole file; throws AuthFileError (FILE:LINE) on the first bad line. */
  static load(path: string): AclFile {
    return new AclFile(path, parseAclFile(readTextFile(path), path));
  }

  static fromText(text: string, name = '<text>'): AclFile {
    return new AclFile(name, parseAclFile(text, name));
  }

  private ownRules(ctx: AclContext): AclRule[] {
    return (ctx.username === undefined ? this.anonymous : this.users.get(ctx.username)) ?? [];
  }

  /** The pattern rules with this client's substitutions; empty when the client's names are dangerous. */
  private patternRules(ctx: AclContext): { rules: AclRule[]; dangerous: boolean } {
    if (this.patterns.length === 0) return NO_PATTERNS;
    // delivery checks run per message: substitute once per client, not once per message
    const key = `${ctx.clientId}\0${ctx.username === undefined ? '\u0001' : `u${ctx.username}`}`;
    const cached = this.substituted.get(key);
    if (cached) return cached;
    if (this.substituted.size >= MAX_CACHED_CLIENTS) this.substituted.clear();
    const result = this.substitutePatterns(ctx);
    this.substituted.set(key, result);
    return result;
  }

  private substitutePatterns(ctx: AclContext): { rules: AclRule[]; dangerous: boolean } {
    if (hasWildcard(ctx.username) || hasWildcard(ctx.clientId)) return { rules: [], dangerous: true };
    const rules: AclRule[] = [];
    for (const rule of this.patterns) {
      const filter = substitute(rule.filter, ctx);
      if (filter !== null) rules.push({ ...rule, filter, levels: splitLevels(filter) });
    }
    return { rules, dangerous: false };
  }

  /** mosquitto's decision for one concrete topic and one access bit. */
  private check(ctx: AclContext, topic: string, bit: number): boolean {
    const levels = splitLevels(topic);
    const dollar = topic.startsWith('$');
    const decide = (rules: AclRule[]): boolean | null => {
      for (const rule of rules) {
        if (dollar && !rule.filter.startsWith('$')) continue;
        if (!levelsMatch(rule.levels, levels)) continue;
        if (rule.access === 'deny') return false;
        if ((ACCESS_BITS[rule.access] & bit) !== 0) return true;
      }
      return null;
    };
    const own = decide(this.ownRules(ctx));
    if (own !== null) return own;
    const patterns = this.patternRules(ctx);
    if (patterns.dangerous) return false;
    return decide(patterns.rules) ?? false;
  }

  /** May this client PUBLISH to `topic`? */
  canPublish(ctx: AclContext, topic: string): boolean {
    if (topic.startsWith(SHARE_PREFIX) || topic === '$share') return false; // mosquitto: $share is for SUBSCRIBE only
    if ((topic === SYS_PREFIX || topic.startsWith(`${SYS_PREFIX}/`)) && !filterMatches(BRIDGE_STATE_FILTER, topic)) return false;
    return this.check(ctx, topic, WRITE);
  }

  /** May a message on `topic` be delivered to this client (and a retained one be sent on subscribe)? */
  canRead(ctx: AclContext, topic: string): boolean {
    return this.check(ctx, topic, READ);
  }

  /**
   * May this client SUBSCRIBE to `filter`? True when some topic the filter matches could be read: a grant line
   * intersects the filter and no deny line that would be checked first covers that intersection. Delivery is
   * still checked message by message with canRead, so a partly denied filter never leaks the denied part.
   * `$share/GROUP/FILTER` is judged on FILTER.
   */
  canSubscribe(ctx: AclContext, filter: string): boolean {
    const inner = filter.startsWith(SHARE_PREFIX) ? filter.slice(filter.indexOf('/', SHARE_PREFIX.length) + 1) : filter;
    if (filter.startsWith(SHARE_PREFIX) && filter.indexOf('/', SHARE_PREFIX.length) < 0) return false;
    if (!isValidFilter(inner)) return false;
    const own = this.ownRules(ctx);
    const ownDenies = own.filter((r) => r.access === 'deny');
    const patterns = this.patternRules(ctx);
    const patternDenies = patterns.rules.filter((r) => r.access === 'deny');
    const readable = (rules: AclRule[], denies: AclRule[]): boolean =>
      rules.some((rule) => {
        if ((ACCESS_BITS[rule.access] & READ) === 0) return false;
        const shared = filterIntersection(rule.filter, inner);
        if (shared === null) return false;
        if (shared.startsWith('$') && !rule.filter.startsWith('$')) return false;
        return !denies.some((d) => filterCovers(d.filter, shared));
      });
    if (readable(own, ownDenies)) return true;
    if (patterns.dangerous) return false;
    return readable(patterns.rules, [...ownDenies, ...patternDenies]);
  }

  /** Rule counts, for `--test-config` and logs. */
  summary(): { anonymousRules: number; users: number; userRules: number; patterns: number } {
    let userRules = 0;
    for (const rules of this.users.values()) userRules += rules.length;
    return { anonymousRules: this.anonymous?.length ?? 0, users: this.users.size, userRules, patterns: this.patterns.length };
  }
}
