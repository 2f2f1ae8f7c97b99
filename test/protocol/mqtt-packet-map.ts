// Maps between glassmq packets and mqtt-packet's objects, and both to one canonical form for comparison.
// mqtt-packet is an oracle here only (devDependency); nothing in src/ uses it.
import mqtt from 'mqtt-packet';
import { PROPERTY_BY_NAME, type Packet, type Properties, type ProtocolVersion } from '../../src/protocol/index.js';

type Obj = Record<string, any>;

/** Properties in one form for both sides: user properties grouped by name (mqtt-packet keeps no order). */
function canonProps(p: Obj | undefined): Obj | undefined {
  if (!p || Object.keys(p).length === 0) return undefined;
  const out: Obj = {};
  for (const [k, v] of Object.entries(p)) {
    if (v === undefined) continue;
    if (k === 'userProperties') {
      const grouped: Obj = {};
      if (Array.isArray(v)) for (const [n, x] of v as [string, string][]) (grouped[n] ??= []).push(x);
      else for (const [n, x] of Object.entries(v)) grouped[n] = Array.isArray(x) ? [...x] : [x];
      out[k] = grouped;
    } else if (k === 'subscriptionIdentifier' || k === 'subscriptionIdentifiers') {
      out.subscriptionIdentifiers = Array.isArray(v) ? [...v] : [v];
    } else {
      out[k] = typeof v === 'boolean' ? (v ? 1 : 0) : v;
    }
  }
  return out;
}

const REASON_DEFAULT_ZERO = new Set(['puback', 'pubrec', 'pubrel', 'pubcomp', 'disconnect', 'auth']);

/** glassmq packet -> canonical form. */
export function canon(p: Packet, version: ProtocolVersion): Obj {
  const o: Obj = JSON.parse(JSON.stringify(p, (_k, v) => (v && v.type === 'Buffer' ? Buffer.from(v.data).toString('hex') : v)));
  if ('properties' in p) o.properties = canonProps(p.properties);
  if (p.type === 'connect' && p.will) o.will.properties = canonProps(p.will.properties);
  if (version === 5 && REASON_DEFAULT_ZERO.has(p.type)) o.reasonCode ??= 0; // Remaining Length 2 / 0 means 0x00
  return strip(o);
}

function strip(o: Obj): Obj {
  for (const k of Object.keys(o)) {
    if (o[k] === undefined) delete o[k];
    else if (o[k] && typeof o[k] === 'object' && !Array.isArray(o[k])) strip(o[k]);
  }
  return o;
}

const hex = (b: unknown): string | undefined => (Buffer.isBuffer(b) ? b.toString('hex') : b === undefined || b === null ? undefined : Buffer.from(String(b)).toString('hex'));

/** mqtt-packet's parsed object -> canonical form. */
export function canonMp(m: Obj, version: ProtocolVersion): Obj {
  const props = canonProps(m.properties);
  let o: Obj;
  switch (m.cmd) {
    case 'connect':
      o = { type: 'connect', protocolName: m.protocolId, protocolVersion: m.protocolVersion, clean: m.clean, keepalive: m.keepalive, clientId: m.clientId };
      if (m.will) o.will = { topic: m.will.topic, payload: hex(m.will.payload), qos: m.will.qos, retain: m.will.retain, properties: canonProps(m.will.properties) };
      if (m.username !== undefined) o.username = m.username;
      if (m.password !== undefined) o.password = hex(m.password);
      break;
    case 'connack':
      o = { type: 'connack', sessionPresent: m.sessionPresent, reasonCode: version === 5 ? m.reasonCode : m.returnCode };
      break;
    case 'publish':
      o = { type: 'publish', topic: m.topic, payload: hex(m.payload), qos: m.qos, retain: m.retain, dup: m.dup, packetId: m.messageId };
      break;
    case 'puback': case 'pubrec': case 'pubrel': case 'pubcomp':
      o = { type: m.cmd, packetId: m.messageId, reasonCode: m.reasonCode };
      break;
    case 'subscribe':
      o = {
        type: 'subscribe', packetId: m.messageId,
        subscriptions: m.subscriptions.map((s: Obj) => ({ topicFilter: s.topic, qos: s.qos, noLocal: !!s.nl, retainAsPublished: !!s.rap, retainHandling: s.rh ?? 0 })),
      };
      break;
    case 'suback':
      o = { type: 'suback', packetId: m.messageId, reasonCodes: m.granted };
      break;
    case 'unsubscribe':
      o = { type: 'unsubscribe', packetId: m.messageId, topicFilters: m.unsubscriptions };
      break;
    case 'unsuback':
      o = { type: 'unsuback', packetId: m.messageId, reasonCodes: version === 5 ? m.granted : undefined };
      break;
    case 'disconnect': case 'auth':
      o = { type: m.cmd, reasonCode: m.reasonCode };
      break;
    default:
      o = { type: m.cmd };
  }
  o.properties = props;
  return strip(o);
}

/** glassmq packet -> the object mqtt-packet's generate() takes. */
export function toMp(p: Packet, version: ProtocolVersion): Obj {
  const props = (x: Properties | undefined): Obj | undefined => {
    if (!x) return undefined;
    const out: Obj = {};
    for (const [k, v] of Object.entries(x)) {
      if (k === 'userProperties') {
        const grouped: Obj = {};
        for (const [n, val] of v as [string, string][]) {
          const cur = grouped[n];
          grouped[n] = cur === undefined ? val : Array.isArray(cur) ? [...cur, val] : [cur, val];
        }
        out.userProperties = grouped;
      } else if (k === 'subscriptionIdentifiers') {
        out.subscriptionIdentifier = (v as number[]).length === 1 ? (v as number[])[0] : v;
      } else {
        // mqtt-packet writes its 'byte' properties from booleans
        out[k] = PROPERTY_BY_NAME.get(k as never)?.type === 'byte' && k !== 'maximumQoS' ? v === 1 : v;
      }
    }
    return out;
  };
  switch (p.type) {
    case 'connect':
      return {
        cmd: 'connect', protocolId: p.protocolName, protocolVersion: p.protocolVersion, clean: p.clean, keepalive: p.keepalive, clientId: p.clientId,
        will: p.will ? { topic: p.will.topic, payload: p.will.payload, qos: p.will.qos, retain: p.will.retain, properties: props(p.will.properties) } : undefined,
        username: p.username, password: p.password, properties: props(p.properties),
      };
    case 'connack':
      return version === 5
        ? { cmd: 'connack', sessionPresent: p.sessionPresent, reasonCode: p.reasonCode, properties: props(p.properties) }
        : { cmd: 'connack', sessionPresent: p.sessionPresent, returnCode: p.reasonCode };
    case 'publish':
      return { cmd: 'publish', topic: p.topic, payload: p.payload, qos: p.qos, retain: p.retain, dup: p.dup, messageId: p.packetId, properties: props(p.properties) };
    case 'puback': case 'pubrec': case 'pubrel': case 'pubcomp':
      return { cmd: p.type, messageId: p.packetId, reasonCode: p.reasonCode, properties: props(p.properties) };
    case 'subscribe':
      return {
        cmd: 'subscribe', messageId: p.packetId, properties: props(p.properties),
        subscriptions: p.subscriptions.map((s) => (version === 5
          ? { topic: s.topicFilter, qos: s.qos, nl: s.noLocal, rap: s.retainAsPublished, rh: s.retainHandling }
          : { topic: s.topicFilter, qos: s.qos })),
      };
    case 'suback':
      return { cmd: 'suback', messageId: p.packetId, granted: p.reasonCodes, properties: props(p.properties) };
    case 'unsubscribe':
      return { cmd: 'unsubscribe', messageId: p.packetId, unsubscriptions: p.topicFilters, properties: props(p.properties) };
    case 'unsuback':
      return { cmd: 'unsuback', messageId: p.packetId, granted: p.reasonCodes, properties: props(p.properties) };
    case 'disconnect': case 'auth':
      return { cmd: p.type, reasonCode: p.reasonCode ?? 0, properties: props(p.properties) };
    default:
      return { cmd: p.type };
  }
}

/** Parses with mqtt-packet; returns its packets and the first error message, if any. */
export function mpParse(bytes: Buffer, version: ProtocolVersion): { packets: Obj[]; error?: string } {
  const parser = mqtt.parser({ protocolVersion: version });
  const packets: Obj[] = [];
  let error: string | undefined;
  parser.on('packet', (p: Obj) => packets.push(p));
  parser.on('error', (e: Error) => { error ??= e.message; });
  parser.parse(bytes);
  return error === undefined ? { packets } : { packets, error };
}

export function mpGenerate(p: Packet, version: ProtocolVersion): Buffer {
  return mqtt.generate(toMp(p, version) as never, { protocolVersion: version });
}
