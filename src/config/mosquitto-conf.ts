// Reads mosquitto.conf syntax into a typed MosquittoConfig, with mosquitto 2.0's meaning:
// - `#` starts a comment only in the first column; a directive is separated from its value by a space and
//   the value is the rest of the line (so paths may contain spaces); trailing blanks are dropped.
// - Listener options before the first `listener` line belong to the default listener (`port`,
//   `bind_address`); after it, to the listener last opened.
// - allow_anonymous / password_file / acl_file are global, or per listener with `per_listener_settings true`.
// - `include_dir` reads the directory's *.conf files right there, in mosquitto's order (case-insensitive, an
//   upper-case letter before its lower-case twin), continuing the current listener.
// Every problem throws ConfigError with `FILE:LINE: what is wrong`. glassmq is stricter than mosquitto where
// mosquitto would silently do something else: duplicates of single-valued directives, options for a default
// listener that is never started, per_listener_settings after the settings it changes, unsupported directives.
import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, type SourceLocation } from './config-error.js';
import { GLOBAL_DIRECTIVES, IGNORED_DIRECTIVES, LISTENER_DIRECTIVES, REPEATABLE, SECURITY_DIRECTIVES, isUnsupported } from './mosquitto-directives.js';
import { MOSQUITTO_DEFAULTS, type ListenerSettings, type MosquittoConfig } from './mosquitto-conf-types.js';
import { bool, fail, int, portAndAddress, readablePath, requireValue, type Directive } from './mosquitto-values.js';

export { ConfigError } from './config-error.js';
export type * from './mosquitto-conf-types.js';
export { renderMosquittoConfig } from './mosquitto-conf-render.js';

interface ReaderState {
  config: MosquittoConfig;
  mainFile: string;
  defaultListener: ListenerSettings | null;
  /** `port` or `bind_address` seen: the default listener is started. */
  defaultStarted: boolean;
  /** First option given to the default listener, for the error when it is never started. */
  firstDefaultOption: Directive | null;
  current: ListenerSettings | null;
  seen: Map<string, SourceLocation>;
  /** First directive whose meaning per_listener_settings would change. */
  firstScoped: Directive | null;
}

function newConfig(): MosquittoConfig {
  return { files: [], perListenerSettings: false, security: {}, listeners: [], logTypes: [], logDest: [], glassmq: {}, notes: [] };
}

function newListener(source: SourceLocation, isDefault: boolean, port: number, bindAddress?: string): ListenerSettings {
  const l: ListenerSettings = { source, isDefault, port, protocol: 'mqtt' };
  if (bindAddress !== undefined) l.bindAddress = bindAddress;
  return l;
}

function defaultListener(s: ReaderState, d: Directive): ListenerSettings {
  s.defaultListener ??= newListener({ file: d.file, line: d.line }, true, MOSQUITTO_DEFAULTS.port);
  return s.defaultListener;
}

/** A single-valued directive given twice in one scope is an error (mosquitto too refuses most of these). */
function once(s: ReaderState, d: Directive, scope: string): void {
  if (REPEATABLE.has(d.name)) return;
  const key = `${scope}\0${d.name}`;
  const earlier = s.seen.get(key);
  if (earlier) fail(d, 'DUPLICATE_DIRECTIVE', `'${d.name}' already set at ${earlier.file}:${earlier.line}`);
  s.seen.set(key, { file: d.file, line: d.line });
}

const scopeOf = (s: ReaderState): string => (s.current ? `listener ${s.config.listeners.indexOf(s.current)}` : 'default listener');

function openListener(s: ReaderState, d: Directive): void {
  const { port, address } = portAndAddress(d, 0);
  if (port === 0 && address === undefined) fail(d, 'BAD_VALUE', "'listener 0' needs a unix socket path: listener 0 /path/to/socket");
  s.firstScoped ??= d;
  s.current = newListener({ file: d.file, line: d.line }, false, port, address);
  s.config.listeners.push(s.current);
}

function applyDirective(s: ReaderState, d: Directive, depth: number): void {
  const { name } = d;
  const global = GLOBAL_DIRECTIVES[name];
  const listener = LISTENER_DIRECTIVES[name];
  const security = SECURITY_DIRECTIVES[name];
  if (name === 'listener') return openListener(s, d);
  if (name === 'include_dir') return includeDir(s, d, depth);
  if (name === 'per_listener_settings') {
    if (s.firstScoped) fail(d, 'MISPLACED_DIRECTIVE', `'per_listener_settings' must come before ${s.firstScoped.file}:${s.firstScoped.line} ('${s.firstScoped.name}')`);
    once(s, d, 'global');
    s.config.perListenerSettings = bool(d);
    return;
  }
  if (name === 'port' || name === 'bind_address') {
    once(s, d, 'default listener');
    const l = defaultListener(s, d);
    if (name === 'port') l.port = int(d, 1, 65_535);
    else l.bindAddress = requireValue(d);
    if (!s.defaultStarted) l.source = { file: d.file, line: d.line };
    s.defaultStarted = true;
    return;
  }
  if (global) {
    once(s, d, 'global');
    return global(d, s.config);
  }
  if (listener) {
    s.firstScoped ??= d;
    once(s, d, scopeOf(s));
    if (!s.current) s.firstDefaultOption ??= d;
    return listener(d, s.current ?? defaultListener(s, d));
  }
  if (security) {
    s.firstScoped ??= d;
    if (!s.config.perListenerSettings) {
      once(s, d, 'global');
      return security(d, s.config.security);
    }
    once(s, d, scopeOf(s));
    if (!s.current) s.firstDefaultOption ??= d;
    const l = s.current ?? defaultListener(s, d);
    return security(d, (l.security ??= {}));
  }
  const ignored = IGNORED_DIRECTIVES[name];
  if (ignored !== undefined) {
    s.config.notes.push(`${d.file}:${d.line}: '${name}' ignored: ${ignored}`);
    return;
  }
  if (isUnsupported(name)) fail(d, 'UNSUPPORTED_DIRECTIVE', `mosquitto directive '${name}' is not supported by glassmq`);
  if (name.startsWith('#')) fail(d, 'UNKNOWN_DIRECTIVE', "'#' starts a comment only in the first column");
  if (/\t/.test(name)) fail(d, 'UNKNOWN_DIRECTIVE', `unknown directive '${name.split('\t')[0]}' (separate the value with a space, not a tab)`);
  fail(d, 'UNKNOWN_DIRECTIVE', `unknown directive '${name}'`);
}

/** mosquitto's include order: case-insensitive, and an upper-case letter before the same lower-case one. */
export function compareIncludeNames(a: string, b: string): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    const lx = x.toLowerCase();
    const ly = y.toLowerCase();
    if (lx !== ly) return lx < ly ? -1 : 1;
    return x === x.toUpperCase() ? -1 : 1;
  }
  return a.length - b.length;
}

function realPath(path: string): string | null {
  try {
    return realpathSync(path);
  } catch {
    return null; // text parsed from memory has no file on disk
  }
}

function includeDir(s: ReaderState, d: Directive, depth: number): void {
  if (depth > 0) fail(d, 'MISPLACED_DIRECTIVE', "'include_dir' is only read from the main configuration file");
  const dir = readablePath(d, 'directory');
  const names = readdirSync(dir).filter((n) => n.endsWith('.conf')).sort(compareIncludeNames);
  const main = realPath(s.mainFile);
  for (const name of names) {
    const path = join(dir, name);
    if (realPath(path) === main) fail(d, 'BAD_VALUE', `'include_dir' ${dir} contains the main configuration file`);
    readFile(s, path, depth + 1);
  }
}

function readFile(s: ReaderState, file: string, depth: number): void {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError('FILE_UNREADABLE', file, 0, `cannot read configuration file (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  s.config.files.push(file);
  parseText(s, text, file, depth);
}

function parseText(s: ReaderState, text: string, file: string, depth: number): void {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, '');
    if (raw.startsWith('#')) continue;
    const content = raw.trimEnd().replace(/^ +/, '');
    if (content === '') continue;
    const space = content.indexOf(' ');
    const name = space < 0 ? content : content.slice(0, space);
    const value = space < 0 ? '' : content.slice(space + 1).trim();
    applyDirective(s, { name, value, file, line: i + 1 }, depth);
  }
}

function finish(s: ReaderState): MosquittoConfig {
  const { config } = s;
  if (s.defaultListener) {
    if (s.defaultStarted || config.listeners.length === 0) {
      config.listeners.unshift(s.defaultListener);
    } else if (s.firstDefaultOption) {
      const d = s.firstDefaultOption;
      fail(d, 'INCONSISTENT_LISTENER', `'${d.name}' applies to the default listener, which is not started: put it after a 'listener' line, or add 'port'`);
    }
  }
  const where = new Map<string, ListenerSettings>();
  for (const l of config.listeners) {
    const key = `${l.port}\0${l.bindAddress ?? ''}`;
    const other = where.get(key);
    if (other) fail(l.source, 'DUPLICATE_LISTENER', `a listener on port ${l.port}${l.bindAddress ? ` ${l.bindAddress}` : ''} is already defined at ${other.source.file}:${other.source.line}`);
    where.set(key, l);
    checkListener(l);
  }
  return config;
}

/** TLS options that only make sense together, checked once the listener is complete. */
function checkListener(l: ListenerSettings): void {
  const bad = (detail: string): never => fail(l.source, 'INCONSISTENT_LISTENER', detail);
  if ((l.certfile === undefined) !== (l.keyfile === undefined)) bad('a TLS listener needs both certfile and keyfile');
  const tls = l.certfile !== undefined;
  if (!tls && (l.cafile || l.capath || l.requireCertificate || l.tlsVersion)) bad('cafile, capath, require_certificate and tls_version need certfile and keyfile');
  if (l.requireCertificate && !l.cafile && !l.capath) bad('require_certificate needs cafile or capath to verify client certificates');
  if ((l.useIdentityAsUsername || l.useSubjectAsUsername) && !l.requireCertificate) bad('use_identity_as_username and use_subject_as_username need require_certificate true');
  if (l.useIdentityAsUsername && l.useSubjectAsUsername) bad('use_identity_as_username and use_subject_as_username exclude each other');
  if (l.port === 0 && l.protocol === 'websockets') bad('a unix socket listener (port 0) speaks mqtt only');
}

function newState(mainFile: string): ReaderState {
  return { config: newConfig(), mainFile, defaultListener: null, defaultStarted: false, firstDefaultOption: null, current: null, seen: new Map(), firstScoped: null };
}

/** Reads `path` (and its include_dir files) into a MosquittoConfig; throws ConfigError with FILE:LINE. */
export function readMosquittoConf(path: string): MosquittoConfig {
  const s = newState(resolve(path));
  readFile(s, path, 0);
  return finish(s);
}

/** The same from text already in memory; `file` names it in errors (include_dir still reads the disk). */
export function parseMosquittoConf(text: string, file = '<config>'): MosquittoConfig {
  const s = newState(resolve(file));
  s.config.files.push(file);
  parseText(s, text, file, 0);
  return finish(s);
}
