// -D COMMAND PROPERTY VALUE: MQTT 5 properties named as mosquitto spells them, checked against glassmq's property table.
import { PROPERTY_DEFS, REPEATABLE_PROPERTIES, type Properties, type PropertyDef, type PropertyName } from '../../protocol/properties.js';
import { CliError } from './errors.js';

/** The packets (and the will) a user may attach properties to from the command line. */
export const PROPERTY_COMMANDS = ['connect', 'publish', 'subscribe', 'unsubscribe', 'disconnect', 'will'] as const;
export type PropertyCommand = (typeof PROPERTY_COMMANDS)[number];
export type PropertySet = Partial<Record<PropertyCommand, Properties>>;

/** mosquitto's spelling is the spec's name in lower case with '-' between words: 'Topic Alias' -> 'topic-alias'. */
export function cliPropertyName(def: PropertyDef): string {
  return def.label.toLowerCase().replace(/ /g, '-');
}

const DEF_BY_CLI_NAME: ReadonlyMap<string, PropertyDef> = new Map(PROPERTY_DEFS.map((d) => [cliPropertyName(d), d]));

/** Upper bounds of the integer wire types (spec 1.5.x). */
const INTEGER_MAX: Readonly<Record<string, number>> = {
  byte: 0xff,
  twoByteInteger: 0xffff,
  fourByteInteger: 0xffffffff,
  varInt: 268_435_455,
};

/** Properties a client may never send in a packet although the table lists that packet for them. */
const CLIENT_FORBIDDEN: Partial<Record<PropertyCommand, ReadonlySet<PropertyName>>> = {
  publish: new Set<PropertyName>(['subscriptionIdentifiers']), // [MQTT-3.3.4-6]
};

/** Integer properties for which 0 is a Protocol Error. */
const NONZERO: ReadonlySet<PropertyName> = new Set<PropertyName>([
  'topicAlias', // [MQTT-3.3.2-8]
  'receiveMaximum',
  'maximumPacketSize',
  'subscriptionIdentifiers',
]);

/** Byte properties whose only values are 0 and 1. */
const BOOLEAN_BYTES: ReadonlySet<PropertyName> = new Set<PropertyName>([
  'payloadFormatIndicator', 'requestProblemInformation', 'requestResponseInformation',
]);

function bad(message: string): CliError {
  return new CliError('BAD_PROPERTY', `Error: ${message}`);
}

function parseInteger(def: PropertyDef, text: string): number {
  const max = INTEGER_MAX[def.type]!;
  const name = cliPropertyName(def);
  if (!/^\d+$/.test(text)) throw bad(`Invalid value '${text}' for property ${name}: expected an integer.`);
  const n = Number(text);
  const min = NONZERO.has(def.name) ? 1 : 0;
  const top = BOOLEAN_BYTES.has(def.name) ? 1 : max;
  if (n < min || n > top) throw bad(`Invalid value '${text}' for property ${name}: must be ${min} to ${top}.`);
  return n;
}

/** Adds one -D to `set`; throws a BAD_PROPERTY CliError on an unknown command/name, a bad value or a repeat. */
export function addProperty(set: PropertySet, words: readonly string[]): void {
  const [commandWord, nameWord, ...valueWords] = words as [string, string, ...string[]];
  const command = commandWord.toLowerCase() as PropertyCommand;
  if (!PROPERTY_COMMANDS.includes(command)) {
    throw bad(`Invalid command '${commandWord}' given for -D (use one of ${PROPERTY_COMMANDS.join(', ')}).`);
  }
  const def = DEF_BY_CLI_NAME.get(nameWord.toLowerCase());
  if (!def) throw bad(`Invalid property name '${nameWord}' given.`);
  const name = cliPropertyName(def);
  if (!def.contexts.includes(command) || CLIENT_FORBIDDEN[command]?.has(def.name)) {
    throw bad(`Property ${name} is not allowed for ${command}.`);
  }
  const props = (set[command] ??= {});
  const current = props[def.name];
  if (current !== undefined && !REPEATABLE_PROPERTIES.has(def.name)) throw bad(`Duplicate property ${name} given for ${command}.`);
  if (def.name === 'subscriptionIdentifiers' && current !== undefined) {
    throw bad(`Duplicate property ${name} given for ${command}.`); // at most one in SUBSCRIBE
  }
  const text = valueWords[0]!;
  switch (def.type) {
    case 'utf8StringPair':
      (props.userProperties ??= []).push([text, valueWords[1]!]);
      return;
    case 'utf8String':
      (props as Record<string, unknown>)[def.name] = text;
      return;
    case 'binaryData':
      (props as Record<string, unknown>)[def.name] = Buffer.from(text, 'utf8');
      return;
    default: {
      const n = parseInteger(def, text);
      if (def.name === 'subscriptionIdentifiers') props.subscriptionIdentifiers = [n];
      else (props as Record<string, unknown>)[def.name] = n;
    }
  }
}

export function parsePropertyArgs(list: readonly (readonly string[])[]): PropertySet {
  const set: PropertySet = {};
  for (const words of list) addProperty(set, words);
  return set;
}
