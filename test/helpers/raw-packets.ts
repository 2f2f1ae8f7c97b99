// Hand-built MQTT packets for black-box broker tests, and a tiny parser for what the broker sends back.
// Independent of src/protocol on purpose: this is the oracle the broker is judged against.
import { FLAGS_0010, LEVEL_5, PROP_BY_ID, PROPS, T, TYPE_NAME, type Level, type PropName, type TypeName } from './raw-codes.js';

type ScalarPropName = Exclude<PropName, 'userProperty' | 'subscriptionIdentifier'>;

/** 5.0 properties, written in key order; user properties and subscription identifiers keep their order. */
export type Props = Partial<Record<ScalarPropName, number | string | Buffer>> & {
  userProperties?: [string, string][];
  subscriptionIdentifiers?: number[];
};

// ---------------------------------------------------------------- primitive fields

export function u8(n: number): Buffer {
  return Buffer.from([n & 0xff]);
}

export function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

export function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/** Variable Byte Integer (spec 1.5.5), shortest form. */
export function varint(n: number): Buffer {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Buffer.from(out);
}

/** A length-prefixed UTF-8 string; a Buffer is taken as raw (possibly invalid) string bytes. */
export function str(s: string | Buffer): Buffer {
  const body = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
  return Buffer.concat([u16(body.length), body]);
}

export const bin = str;

function encodeProp(name: PropName, value: unknown): Buffer {
  const def = PROPS[name];
  const id = varint(def.id);
  switch (def.type) {
    case 'byte':
      return Buffer.concat([id, u8(value as number)]);
    case 'u16':
      return Buffer.concat([id, u16(value as number)]);
    case 'u32':
      return Buffer.concat([id, u32(value as number)]);
    case 'varint':
      return Buffer.concat([id, varint(value as number)]);
    case 'string':
    case 'binary':
      return Buffer.concat([id, str(value as string | Buffer)]);
    case 'pair': {
      const [k, v] = value as [string, string];
      return Buffer.concat([id, str(k), str(v)]);
    }
  }
}

/** Property Length followed by the properties (spec 2.2.2). */
export function props(p: Props | undefined): Buffer {
  const parts: Buffer[] = [];
  for (const [key, value] of Object.entries(p ?? {})) {
    if (value === undefined) continue;
    if (key === 'userProperties') for (const pair of value as [string, string][]) parts.push(encodeProp('userProperty', pair));
    else if (key === 'subscriptionIdentifiers') for (const id of value as number[]) parts.push(encodeProp('subscriptionIdentifier', id));
    else parts.push(encodeProp(key as PropName, value));
  }
  const body = Buffer.concat(parts);
  return Buffer.concat([varint(body.length), body]);
}

/** Fixed header (type, flags, Remaining Length) + body. */
export function frame(type: number, flags: number, body: Buffer): Buffer {
  return Buffer.concat([u8((type << 4) | flags), varint(body.length), body]);
}

// ---------------------------------------------------------------- packets a client sends

export interface WillSpec {
  topic: string;
  payload?: string | Buffer;
  qos?: number;
  retain?: boolean;
  props?: Props;
}

export interface ConnectSpec {
  level: Level;
  clientId?: string | Buffer;
  clean?: boolean;
  keepalive?: number;
  will?: WillSpec;
  username?: string;
  password?: string | Buffer;
  props?: Props;
  /** Overrides for malformed-packet tests. */
  protocolName?: string;
  reservedFlag?: boolean;
  /** Set the password flag without a username (legal in 5.0 only). */
  flagsOverride?: number;
}

export function connect(c: ConnectSpec): Buffer {
  const name = c.protocolName ?? (c.level === 3 ? 'MQIsdp' : 'MQTT');
  let flags = 0;
  if (c.username !== undefined) flags |= 0x80;
  if (c.password !== undefined) flags |= 0x40;
  if (c.will) {
    flags |= 0x04 | ((c.will.qos ?? 0) << 3);
    if (c.will.retain) flags |= 0x20;
  }
  if (c.clean ?? true) flags |= 0x02;
  if (c.reservedFlag) flags |= 0x01;
  if (c.flagsOverride !== undefined) flags = c.flagsOverride;
  const v5 = c.level === LEVEL_5;
  const parts: Buffer[] = [str(name), u8(c.level), u8(flags), u16(c.keepalive ?? 60)];
  if (v5) parts.push(props(c.props));
  parts.push(str(c.clientId ?? ''));
  if (c.will) {
    if (v5) parts.push(props(c.will.props));
    parts.push(str(c.will.topic), bin(toBuf(c.will.payload ?? '')));
  }
  if (c.username !== undefined) parts.push(str(c.username));
  if (c.password !== undefined) parts.push(bin(toBuf(c.password)));
  return frame(T.CONNECT, 0, Buffer.concat(parts));
}

export interface PublishSpec {
  topic: string | Buffer;
  payload?: string | Buffer;
  qos?: number;
  retain?: boolean;
  dup?: boolean;
  packetId?: number;
  props?: Props;
}

export function publish(level: Level, p: PublishSpec): Buffer {
  const qos = p.qos ?? 0;
  const flags = (p.dup ? 0x08 : 0) | (qos << 1) | (p.retain ? 1 : 0);
  const parts: Buffer[] = [str(p.topic)];
  if (qos > 0) parts.push(u16(p.packetId ?? 1));
  if (level === LEVEL_5) parts.push(props(p.props));
  parts.push(toBuf(p.payload ?? ''));
  return frame(T.PUBLISH, flags, Buffer.concat(parts));
}

/** PUBACK / PUBREC / PUBREL / PUBCOMP; 5.0 adds the reason code and properties when given. */
export function ack(type: 'PUBACK' | 'PUBREC' | 'PUBREL' | 'PUBCOMP', level: Level, packetId: number, reason?: number, p?: Props): Buffer {
  const parts = [u16(packetId)];
  if (level === LEVEL_5 && (reason !== undefined || p)) {
    parts.push(u8(reason ?? 0));
    if (p) parts.push(props(p));
  }
  return frame(T[type], type === 'PUBREL' ? FLAGS_0010 : 0, Buffer.concat(parts));
}

export const puback = (level: Level, id: number, reason?: number) => ack('PUBACK', level, id, reason);
export const pubrec = (level: Level, id: number, reason?: number) => ack('PUBREC', level, id, reason);
export const pubrel = (level: Level, id: number, reason?: number) => ack('PUBREL', level, id, reason);
export const pubcomp = (level: Level, id: number, reason?: number) => ack('PUBCOMP', level, id, reason);

export interface SubSpec {
  filter: string | Buffer;
  qos?: number;
  noLocal?: boolean;
  retainAsPublished?: boolean;
  retainHandling?: number;
  /** Raw options byte, for malformed-packet tests. */
  optionsByte?: number;
}

export function subscribe(level: Level, packetId: number, subs: (SubSpec | string)[], p?: Props, flags = FLAGS_0010): Buffer {
  const parts: Buffer[] = [u16(packetId)];
  if (level === LEVEL_5) parts.push(props(p));
  for (const s0 of subs) {
    const s = typeof s0 === 'string' ? { filter: s0 } : s0;
    const opts = s.optionsByte ??
      ((s.qos ?? 0) | (s.noLocal ? 0x04 : 0) | (s.retainAsPublished ? 0x08 : 0) | ((s.retainHandling ?? 0) << 4));
    parts.push(str(s.filter), u8(opts));
  }
  return frame(T.SUBSCRIBE, flags, Buffer.concat(parts));
}

export function unsubscribe(level: Level, packetId: number, filters: string[], p?: Props, flags = FLAGS_0010): Buffer {
  const parts: Buffer[] = [u16(packetId)];
  if (level === LEVEL_5) parts.push(props(p));
  for (const f of filters) parts.push(str(f));
  return frame(T.UNSUBSCRIBE, flags, Buffer.concat(parts));
}

export function pingreq(): Buffer {
  return frame(T.PINGREQ, 0, Buffer.alloc(0));
}

export function disconnect(level: Level, reason?: number, p?: Props): Buffer {
  if (level !== LEVEL_5 || (reason === undefined && !p)) return frame(T.DISCONNECT, 0, Buffer.alloc(0));
  return frame(T.DISCONNECT, 0, Buffer.concat([u8(reason ?? 0), ...(p ? [props(p)] : [])]));
}

export function auth(reason: number, p?: Props): Buffer {
  return frame(T.AUTH, 0, Buffer.concat([u8(reason), props(p)]));
}

function toBuf(x: string | Buffer): Buffer {
  return typeof x === 'string' ? Buffer.from(x, 'utf8') : x;
}

// ---------------------------------------------------------------- parsing what the broker sends

/** One packet received from the broker, flattened: only the fields of its type are set. */
export interface RawPacket {
  type: TypeName;
  flags: number;
  /** The whole packet as received. */
  bytes: Buffer;
  sessionPresent?: boolean;
  /** CONNACK / PUBACK family / DISCONNECT / AUTH reason (3.1.1 CONNACK: return code). */
  reasonCode?: number;
  /** SUBACK / UNSUBACK (5.0). */
  reasonCodes?: number[];
  packetId?: number;
  topic?: string;
  payload?: Buffer;
  qos?: number;
  retain?: boolean;
  dup?: boolean;
  props?: Props;
  /** Set when the body could not be parsed (the broker sent something malformed). */
  parseError?: string;
}

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  get left(): number {
    return this.buf.length - this.pos;
  }
  need(n: number): void {
    if (this.left < n) throw new Error(`truncated at ${this.pos}: need ${n}, have ${this.left}`);
  }
  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }
  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  varint(): number {
    let value = 0;
    for (let i = 0, mult = 1; i < 4; i++, mult *= 128) {
      const b = this.u8();
      value += (b & 0x7f) * mult;
      if ((b & 0x80) === 0) return value;
    }
    throw new Error('variable byte integer longer than 4 bytes');
  }
  bytes(n: number): Buffer {
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  bin(): Buffer {
    return this.bytes(this.u16());
  }
  str(): string {
    const b = this.bin();
    const s = b.toString('utf8');
    if (!Buffer.from(s, 'utf8').equals(b)) throw new Error('ill-formed UTF-8 string');
    return s;
  }
  props(): Props {
    const length = this.varint();
    const end = this.pos + length;
    const out: Props = {};
    const rec = out as Record<string, unknown>;
    while (this.pos < end) {
      const id = this.varint();
      const def = PROP_BY_ID.get(id);
      if (!def) throw new Error(`unknown property id 0x${id.toString(16)}`);
      if (def.name === 'userProperty') (out.userProperties ??= []).push([this.str(), this.str()]);
      else if (def.name === 'subscriptionIdentifier') (out.subscriptionIdentifiers ??= []).push(this.varint());
      else {
        if (def.name in rec) throw new Error(`property ${def.name} repeated`);
        rec[def.name] = this.propValue(def.type);
      }
    }
    if (this.pos !== end) throw new Error('property length mismatch');
    return out;
  }
  private propValue(type: string): number | string | Buffer {
    if (type === 'byte') return this.u8();
    if (type === 'u16') return this.u16();
    if (type === 'u32') return this.u32();
    if (type === 'varint') return this.varint();
    if (type === 'string') return this.str();
    return this.bin();
  }
}

/** Splits complete packets off the front of `buf`; returns them and the incomplete rest. */
export function splitPackets(buf: Buffer): { packets: Buffer[]; rest: Buffer } {
  const packets: Buffer[] = [];
  let pos = 0;
  while (pos < buf.length) {
    let len = 0;
    let i = 1;
    let mult = 1;
    let complete = false;
    for (; i <= 4 && pos + i < buf.length; i++, mult *= 128) {
      const b = buf[pos + i]!;
      len += (b & 0x7f) * mult;
      if ((b & 0x80) === 0) {
        complete = true;
        break;
      }
    }
    if (!complete || pos + i + 1 + len > buf.length) break;
    packets.push(buf.subarray(pos, pos + i + 1 + len));
    pos += i + 1 + len;
  }
  return { packets, rest: buf.subarray(pos) };
}

/** Parses one complete packet sent by a broker to a client of protocol level `level`. */
export function parsePacket(bytes: Buffer, level: Level): RawPacket {
  const typeCode = bytes[0]! >> 4;
  const flags = bytes[0]! & 0x0f;
  const head = new Reader(bytes);
  head.u8();
  const len = head.varint();
  const r = new Reader(bytes.subarray(head.pos, head.pos + len));
  const p: RawPacket = { type: TYPE_NAME[typeCode] ?? ('RESERVED' as TypeName), flags, bytes };
  const v5 = level === LEVEL_5;
  try {
    switch (typeCode) {
      case T.CONNACK:
        p.sessionPresent = (r.u8() & 1) === 1;
        p.reasonCode = r.u8();
        if (v5 && r.left) p.props = r.props();
        break;
      case T.PUBLISH:
        p.dup = (flags & 0x08) !== 0;
        p.qos = (flags >> 1) & 3;
        p.retain = (flags & 1) !== 0;
        p.topic = r.str();
        if (p.qos > 0) p.packetId = r.u16();
        if (v5) p.props = r.props();
        p.payload = r.bytes(r.left);
        break;
      case T.PUBACK:
      case T.PUBREC:
      case T.PUBREL:
      case T.PUBCOMP:
        p.packetId = r.u16();
        p.reasonCode = v5 && r.left ? r.u8() : 0;
        if (v5 && r.left) p.props = r.props();
        break;
      case T.SUBACK:
      case T.UNSUBACK:
        p.packetId = r.u16();
        if (v5) p.props = r.props();
        p.reasonCodes = [...r.bytes(r.left)];
        break;
      case T.DISCONNECT:
      case T.AUTH:
        p.reasonCode = r.left ? r.u8() : 0;
        if (r.left) p.props = r.props();
        break;
    }
    if (r.left) throw new Error(`${r.left} trailing bytes`);
  } catch (err) {
    p.parseError = (err as Error).message;
  }
  return p;
}

/** One-line human description of a packet, for assertion messages (mosquitto's test style). */
export function describe(p: RawPacket): string {
  const parts: string[] = [p.type];
  if (p.flags && p.type !== 'PUBLISH') parts.push(`flags=0b${p.flags.toString(2).padStart(4, '0')}`);
  if (p.type === 'PUBLISH') parts.push(`q${p.qos}${p.retain ? ' r' : ''}${p.dup ? ' d' : ''}`, `topic=${JSON.stringify(p.topic)}`);
  if (p.packetId !== undefined) parts.push(`id=${p.packetId}`);
  if (p.sessionPresent !== undefined) parts.push(`sp=${p.sessionPresent ? 1 : 0}`);
  if (p.reasonCode !== undefined) parts.push(`rc=0x${p.reasonCode.toString(16).padStart(2, '0')}`);
  if (p.reasonCodes) parts.push(`rcs=[${p.reasonCodes.map((c) => '0x' + c.toString(16)).join(',')}]`);
  if (p.props && Object.keys(p.props).length) parts.push(`props=${JSON.stringify(p.props)}`);
  if (p.payload) parts.push(`payload=${JSON.stringify(p.payload.length > 64 ? `${p.payload.length} bytes` : p.payload.toString('utf8'))}`);
  if (p.parseError) parts.push(`PARSE ERROR: ${p.parseError}`);
  parts.push(`hex=${p.bytes.length > 48 ? p.bytes.subarray(0, 48).toString('hex') + '…' : p.bytes.toString('hex')}`);
  return parts.join(' ');
}
