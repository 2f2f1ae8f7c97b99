// Value readers for mosquitto.conf directives. Stricter than mosquitto's atoi(): `12abc` is an error, not 12.
import { accessSync, constants, statSync } from 'node:fs';
import { ConfigError, type SourceLocation } from './config-error.js';

export interface Directive extends SourceLocation {
  name: string;
  /** Everything after the directive name, trimmed; '' when nothing follows. */
  value: string;
}

export function fail(d: SourceLocation, code: ConstructorParameters<typeof ConfigError>[0], detail: string): never {
  throw new ConfigError(code, d.file, d.line, detail);
}

export function requireValue(d: Directive): string {
  if (d.value === '') fail(d, 'MISSING_VALUE', `'${d.name}' needs a value`);
  return d.value;
}

/** A value that must be one word. */
export function word(d: Directive): string {
  const v = requireValue(d);
  if (/\s/.test(v)) fail(d, 'BAD_VALUE', `'${d.name}' takes one value, got '${v}'`);
  return v;
}

export function bool(d: Directive): boolean {
  const v = word(d);
  // mosquitto also reads 1 and 0 as booleans; existing files use them
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  return fail(d, 'BAD_VALUE', `'${d.name}' must be true or false, got '${v}'`);
}

export function int(d: Directive, min: number, max: number, text = word(d)): number {
  if (!/^-?[0-9]+$/.test(text)) fail(d, 'BAD_VALUE', `'${d.name}' must be a whole number, got '${text}'`);
  const n = Number(text);
  if (n < min || n > max) fail(d, 'OUT_OF_RANGE', `'${d.name}' must be between ${min} and ${max}, got ${text}`);
  return n;
}

export function oneOf<T extends string>(d: Directive, choices: readonly T[]): T {
  const v = word(d);
  if (!(choices as readonly string[]).includes(v)) fail(d, 'BAD_VALUE', `'${d.name}' must be one of ${choices.join(', ')}, got '${v}'`);
  return v as T;
}

/** A path the broker will read: it must exist and be readable now, so the start fails here, at this line. */
export function readablePath(d: Directive, kind: 'file' | 'directory'): string {
  const path = requireValue(d);
  try {
    accessSync(path, constants.R_OK);
    const isDir = statSync(path).isDirectory();
    if (isDir !== (kind === 'directory')) fail(d, 'FILE_UNREADABLE', `'${d.name}' ${path} is ${isDir ? 'a directory' : 'not a directory'}`);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    fail(d, 'FILE_UNREADABLE', `'${d.name}' ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return path;
}

/** `PORT [ADDRESS]` as in `listener` and `http_listener`. */
export function portAndAddress(d: Directive, minPort: number): { port: number; address?: string } {
  const v = requireValue(d);
  const space = v.search(/\s/);
  const portText = space < 0 ? v : v.slice(0, space);
  const address = space < 0 ? undefined : v.slice(space + 1).trim();
  const port = int(d, minPort, 65_535, portText);
  return address ? { port, address } : { port };
}
