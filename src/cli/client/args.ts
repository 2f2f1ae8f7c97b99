// A small argv scanner driven by a table of options, so every command states its options in one place.
import { CliError } from './errors.js';

export interface OptionDef {
  /** Canonical key the parsed result is stored under. */
  readonly key: string;
  /** Every spelling, e.g. ['-t', '--topic']. */
  readonly names: readonly string[];
  /** 'flag' takes no value; 'value' takes one; 'list' takes one and may repeat; 'property' is -D (3 or 4 words). */
  readonly kind: 'flag' | 'value' | 'list' | 'property';
  readonly help: string;
  /** Placeholder shown in --help. */
  readonly arg?: string;
}

export interface ParsedArgs {
  readonly flags: ReadonlySet<string>;
  readonly values: ReadonlyMap<string, string>;
  readonly lists: ReadonlyMap<string, readonly string[]>;
  /** Each -D as given: [command, property, value] or [command, 'user-property', name, value]. */
  readonly properties: readonly string[][];
}

/** -D's user-property takes a name and a value; every other property takes one value. */
const TWO_VALUE_PROPERTIES: ReadonlySet<string> = new Set(['user-property']);

export function parseArgs(argv: readonly string[], defs: readonly OptionDef[]): ParsedArgs {
  const byName = new Map<string, OptionDef>();
  for (const def of defs) for (const name of def.names) byName.set(name, def);
  const flags = new Set<string>();
  const values = new Map<string, string>();
  const lists = new Map<string, string[]>();
  const properties: string[][] = [];

  let i = 0;
  const take = (name: string, what: string): string => {
    const v = argv[i++];
    if (v === undefined) throw new CliError('MISSING_ARGUMENT', `Error: ${name} argument given but no ${what.toLowerCase()} specified.`);
    return v;
  };
  while (i < argv.length) {
    const name = argv[i++]!;
    const def = byName.get(name);
    if (!def) throw new CliError('UNKNOWN_OPTION', `Error: Unknown option '${name}'.`);
    switch (def.kind) {
      case 'flag':
        flags.add(def.key);
        break;
      case 'value':
        values.set(def.key, take(name, def.arg ?? 'value'));
        break;
      case 'list': {
        const list = lists.get(def.key) ?? [];
        list.push(take(name, def.arg ?? 'value'));
        lists.set(def.key, list);
        break;
      }
      case 'property': {
        const command = take(name, 'command');
        const property = take(name, 'property');
        const words = [command, property, take(name, 'value')];
        if (TWO_VALUE_PROPERTIES.has(property.toLowerCase())) words.push(take(name, 'value'));
        properties.push(words);
        break;
      }
    }
  }
  return { flags, values, lists, properties };
}

/** Renders the option table as the body of --help. */
export function describeOptions(defs: readonly OptionDef[]): string {
  const rows = defs.map((d) => [`${d.names.join(', ')}${d.arg ? ` ${d.arg}` : ''}`, d.help] as const);
  const width = Math.min(34, Math.max(...rows.map(([left]) => left.length)));
  return rows.map(([left, help]) => (left.length > width ? ` ${left}\n ${''.padEnd(width)}  ${help}` : ` ${left.padEnd(width)}  ${help}`)).join('\n');
}
