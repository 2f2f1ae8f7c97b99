// Reads and writes MQTT 5.0 property lists (spec 2.2.2), checking ids, the packet each may appear in,
// repetition and value ranges.
import { ReasonCode } from './constants.js';
import { MASKED_SECRET } from './dissection.js';
import { ProtocolError } from './errors.js';
import {
  PROPERTY_BY_ID, PROPERTY_BY_NAME, PROPERTY_DEFS, REPEATABLE_PROPERTIES,
  type Properties, type PropertyContext, type PropertyDef, type PropertyName,
} from './properties.js';
import { plural, type Reader } from './reader.js';
import { isValidMqttString, writeUtf8 } from './utf8.js';
import { MAX_VARINT, varintLength, writeVarint } from './varint.js';

const U16_MAX = 0xffff;

/** Properties whose value must be 0 or 1. */
const BOOLEAN_BYTE: readonly PropertyName[] = [
  'payloadFormatIndicator', // 5.0 3.3.2.3.2
  'requestProblemInformation', // 5.0 3.1.2.11.7: other values are a Protocol Error
  'requestResponseInformation', // 5.0 3.1.2.11.6
  'maximumQoS', // 5.0 3.2.2.3.4
  'retainAvailable', // 5.0 3.2.2.3.5
  'wildcardSubscriptionAvailable', // 5.0 3.2.2.3.11
  'subscriptionIdentifiersAvailable', // 5.0 3.2.2.3.12
  'sharedSubscriptionAvailable', // 5.0 3.2.2.3.13
];

/** Properties for which 0 is a Protocol Error. */
const NON_ZERO: readonly PropertyName[] = [
  'receiveMaximum', // 5.0 3.1.2.11.3 / 3.2.2.3.3
  'maximumPacketSize', // 5.0 3.1.2.11.4 / 3.2.2.3.6
  'subscriptionIdentifiers', // 5.0 3.3.2.3.8 / 3.8.2.1.2
];

// Lookup tables indexed by property id, derived once from PROPERTY_DEFS, so the hot path does array reads.
const ID_SPACE = 0x80; // identifiers are one-byte Variable Byte Integers in 5.0
const RULE_NONE = 0;
const RULE_BOOLEAN = 1;
const RULE_NON_ZERO = 2;
const DEF_BY_ID: (PropertyDef | undefined)[] = Array.from({ length: ID_SPACE }, (_, id) => PROPERTY_BY_ID.get(id));
const RULE_BY_ID = Uint8Array.from(DEF_BY_ID, (d) =>
  d === undefined ? RULE_NONE : BOOLEAN_BYTE.includes(d.name) ? RULE_BOOLEAN : NON_ZERO.includes(d.name) ? RULE_NON_ZERO : RULE_NONE);
const ALLOWED_IN = new Map<PropertyContext, Uint8Array>();
for (const d of PROPERTY_DEFS) {
  for (const ctx of d.contexts) {
    let table = ALLOWED_IN.get(ctx);
    if (!table) ALLOWED_IN.set(ctx, (table = new Uint8Array(ID_SPACE)));
    table[d.id] = 1;
  }
}
const NOTHING_ALLOWED = new Uint8Array(ID_SPACE);

function propError(code: string, detail: string, offset: number): ProtocolError {
  return new ProtocolError(code, ReasonCode.ProtocolError, detail, offset);
}

/**
 * Reads a Property Length and the properties after it. Returns undefined for an empty list.
 * Topic Alias 0 is left to the broker (DISCONNECT 0x94, [MQTT-3.3.2-8]); Payload Format Indicator 1 with
 * invalid UTF-8 payload is left to the broker too (0x99).
 */
export function readProperties(r: Reader, ctx: PropertyContext, groupName = 'Properties'): Properties | undefined {
  r.open(groupName);
  const len = r.varint('Property Length');
  const end = r.pos + len;
  if (end > r.end) {
    r.truncated('Properties', len);
  }
  if (len === 0) {
    r.close(undefined, 'none');
    return undefined;
  }
  const outerEnd = r.end;
  r.end = end; // a property running past the Property Length is malformed, not a read into the next field
  const props: Properties = {};
  const bag = props as Record<string, unknown>;
  let count = 0;
  const allowed = ALLOWED_IN.get(ctx) ?? NOTHING_ALLOWED;
  while (r.pos < end) {
    const start = r.pos;
    r.open('Property');
    const id = r.varint('Identifier');
    const def = id < ID_SPACE ? DEF_BY_ID[id] : undefined;
    if (def === undefined) {
      throw propError('INVALID_PROPERTY', `unknown property identifier 0x${id.toString(16)}`, r.off(start));
    }
    if (r.rec !== null) {
      r.note(`0x${id.toString(16).padStart(2, '0')} (${def.label}, ${TYPE_LABEL[def.type]})`);
      r.rec.current()!.name = def.label;
    }
    if (allowed[id] !== 1) {
      throw propError('PROPERTY_NOT_ALLOWED',
        `${def.label} is not allowed in ${ctx === 'will' ? 'Will Properties' : ctx.toUpperCase()}`, r.off(start));
    }
    const value = readValue(r, def);
    checkValue(def, value, start - r.base, ctx, bag);
    if (def.name === 'userProperties') {
      (props.userProperties ??= []).push(value as [string, string]);
    } else if (def.name === 'subscriptionIdentifiers') {
      (props.subscriptionIdentifiers ??= []).push(value as number);
    } else {
      bag[def.name] = value;
    }
    count++;
    if (r.rec !== null) {
      const secret = def.name === 'authenticationData' && !r.rec.showSecrets;
      r.rec.close(r.off(), secret ? MASKED_SECRET : value, secret ? MASKED_SECRET : displayValue(def, value));
    }
  }
  r.end = outerEnd;
  r.close(undefined, `${count} propert${count === 1 ? 'y' : 'ies'}`);
  return props;
}

const TYPE_LABEL: Readonly<Record<string, string>> = {
  byte: 'Byte', twoByteInteger: 'Two Byte Integer', fourByteInteger: 'Four Byte Integer', varInt: 'Variable Byte Integer',
  utf8String: 'UTF-8 String', binaryData: 'Binary Data', utf8StringPair: 'UTF-8 String Pair',
};

function readValue(r: Reader, def: PropertyDef): unknown {
  switch (def.type) {
    case 'byte': return r.u8('Value');
    case 'twoByteInteger': return r.u16('Value');
    case 'fourByteInteger': return r.u32('Value');
    case 'varInt': return r.varint('Value');
    case 'utf8String': return r.utf8('Value');
    case 'binaryData': return r.binary('Value', def.name === 'authenticationData');
    case 'utf8StringPair': {
      const name = r.utf8('Name');
      const value = r.utf8('Value');
      return [name, value];
    }
  }
}

function checkValue(def: PropertyDef, value: unknown, offset: number, ctx: PropertyContext, bag: Record<string, unknown>): void {
  const name = def.name;
  if (bag[name] !== undefined && !(REPEATABLE_PROPERTIES.has(name) && !(name === 'subscriptionIdentifiers' && ctx === 'subscribe'))) {
    // 5.0 2.2.2.2: a property other than User Property (and Subscription Identifier in a server PUBLISH) appears once
    throw propError('DUPLICATE_PROPERTY', `${def.label} appears more than once`, offset);
  }
  const rule = RULE_BY_ID[def.id];
  if ((rule === RULE_BOOLEAN && (value as number) > 1) || (rule === RULE_NON_ZERO && value === 0)) {
    throw propError('INVALID_PROPERTY', `${def.label} may not be ${String(value)}`, offset);
  }
}

function displayValue(def: PropertyDef, value: unknown): string {
  switch (def.type) {
    case 'utf8String': return `"${String(value)}"`;
    case 'utf8StringPair': {
      const [k, v] = value as [string, string];
      return `"${k}" = "${v}"`;
    }
    case 'binaryData': return Buffer.isBuffer(value) ? `0x${value.toString('hex')} (${plural(value.length, 'byte')})` : String(value);
    case 'fourByteInteger':
      return def.name.endsWith('Interval') ? `${String(value)} s` : String(value);
    default:
      if (def.name === 'serverKeepAlive') return `${String(value)} s`;
      if (def.name === 'payloadFormatIndicator') return value === 1 ? '1 (UTF-8 text)' : `${String(value)} (unspecified bytes)`;
      return String(value);
  }
}

function encodeError(detail: string): ProtocolError {
  return new ProtocolError('INVALID_PROPERTY', ReasonCode.ProtocolError, detail);
}

function strLen(s: string, what: string): number {
  const n = Buffer.byteLength(s);
  if (n > U16_MAX) throw new ProtocolError('STRING_TOO_LONG', ReasonCode.MalformedPacket, `${what} is ${n} bytes`);
  return n;
}

/** Bytes the property list occupies, without its Property Length varint. */
export function propertiesLength(props: Properties | undefined): number {
  if (props === undefined) return 0;
  let n = 0;
  const bag = props as Record<string, unknown>;
  for (const key in bag) {
    const v = bag[key];
    if (v === undefined) continue;
    const def = PROPERTY_BY_NAME.get(key as PropertyName);
    if (!def) throw encodeError(`unknown property ${key}`);
    if (def.name === 'userProperties') {
      for (const [k, val] of v as [string, string][]) n += 5 + strLen(k, 'User Property name') + strLen(val, 'User Property value');
    } else if (def.name === 'subscriptionIdentifiers') {
      for (const id of v as number[]) {
        if (!(id >= 1 && id <= MAX_VARINT)) throw encodeError(`Subscription Identifier ${id} out of range`);
        n += 1 + varintLength(id);
      }
    } else {
      n += 1 + valueLength(def, v);
    }
  }
  return n;
}

function valueLength(def: PropertyDef, v: unknown): number {
  switch (def.type) {
    case 'byte': return 1;
    case 'twoByteInteger': return 2;
    case 'fourByteInteger': return 4;
    case 'varInt': return varintLength(v as number);
    case 'utf8String': {
      if (!isValidMqttString(v as string)) throw encodeError(`${def.label} is not a valid MQTT string`);
      return 2 + strLen(v as string, def.label);
    }
    case 'binaryData': return 2 + (v as Uint8Array).length;
    case 'utf8StringPair': return 0; // handled by the caller (userProperties)
  }
}

/** Writes the Property Length (`len` from propertiesLength) and the properties; returns the new position. */
export function writeProperties(buf: Buffer, pos: number, props: Properties | undefined, len: number): number {
  pos = writeVarint(buf, pos, len);
  if (props === undefined || len === 0) return pos;
  const bag = props as Record<string, unknown>;
  for (const key in bag) {
    const v = bag[key];
    if (v === undefined) continue;
    const def = PROPERTY_BY_NAME.get(key as PropertyName)!;
    if (def.name === 'userProperties') {
      for (const [k, val] of v as [string, string][]) {
        buf[pos++] = def.id;
        pos = writeString(buf, pos, k);
        pos = writeString(buf, pos, val);
      }
    } else if (def.name === 'subscriptionIdentifiers') {
      for (const id of v as number[]) {
        buf[pos++] = def.id;
        pos = writeVarint(buf, pos, id);
      }
    } else {
      buf[pos++] = def.id;
      pos = writeValue(buf, pos, def, v);
    }
  }
  return pos;
}

function writeValue(buf: Buffer, pos: number, def: PropertyDef, v: unknown): number {
  switch (def.type) {
    case 'byte': buf[pos] = v as number; return pos + 1;
    case 'twoByteInteger': buf.writeUInt16BE((v as number) & U16_MAX, pos); return pos + 2;
    case 'fourByteInteger': buf.writeUInt32BE((v as number) >>> 0, pos); return pos + 4;
    case 'varInt': return writeVarint(buf, pos, v as number);
    case 'utf8String': return writeString(buf, pos, v as string);
    case 'binaryData': return writeBinary(buf, pos, v as Uint8Array);
    case 'utf8StringPair': return pos;
  }
}

/** Writes a 2-byte length and the UTF-8 bytes; the write reports the length, so no second byteLength. */
export function writeString(buf: Buffer, pos: number, s: string): number {
  const n = s.length === 0 ? 0 : writeUtf8(buf, pos + 2, s);
  buf[pos] = n >>> 8;
  buf[pos + 1] = n & 0xff;
  return pos + 2 + n;
}

export function writeBinary(buf: Buffer, pos: number, data: Uint8Array): number {
  const n = data.length;
  buf[pos] = n >>> 8;
  buf[pos + 1] = n & 0xff;
  buf.set(data, pos + 2);
  return pos + 2 + n;
}
