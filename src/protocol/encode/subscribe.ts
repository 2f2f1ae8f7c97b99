// SUBSCRIBE, SUBACK, UNSUBSCRIBE and UNSUBACK (spec 3.8 - 3.11).
import { PACKET_TYPE, REQUIRED_FLAGS } from '../constants.js';
import type { ProtocolVersion, SubackPacket, SubscribePacket, UnsubackPacket, UnsubscribePacket } from '../packets.js';
import { propertiesLength, writeProperties, writeString } from '../property-codec.js';
import { varintLength } from '../varint.js';
import { allocPacket, bodyStart, strBytes, writeU16 } from './frame.js';

const TYPE_SHIFT = 4;
const NO_LOCAL = 0x04;
const RETAIN_AS_PUBLISHED = 0x08;
const RETAIN_HANDLING_SHIFT = 4;

function first(type: number): number {
  return (type << TYPE_SHIFT) | REQUIRED_FLAGS[type]!;
}

function propsPart(version: ProtocolVersion, propLen: number): number {
  return version === 5 ? varintLength(propLen) + propLen : 0;
}

export function encodeSubscribe(p: SubscribePacket, version: ProtocolVersion): Buffer {
  const propLen = version === 5 ? propertiesLength(p.properties) : 0;
  let body = 2 + propsPart(version, propLen);
  for (const s of p.subscriptions) body += 2 + strBytes(s.topicFilter, 'Topic Filter') + 1;
  const buf = allocPacket(first(PACKET_TYPE.subscribe), body);
  let pos = writeU16(buf, bodyStart(body), p.packetId);
  if (version === 5) pos = writeProperties(buf, pos, p.properties, propLen);
  for (const s of p.subscriptions) {
    pos = writeString(buf, pos, s.topicFilter);
    let opts: number = s.qos;
    if (version === 5) {
      if (s.noLocal) opts |= NO_LOCAL;
      if (s.retainAsPublished) opts |= RETAIN_AS_PUBLISHED;
      opts |= s.retainHandling << RETAIN_HANDLING_SHIFT;
    }
    buf[pos++] = opts;
  }
  return buf;
}

export function encodeSuback(p: SubackPacket, version: ProtocolVersion): Buffer {
  const propLen = version === 5 ? propertiesLength(p.properties) : 0;
  const body = 2 + propsPart(version, propLen) + p.reasonCodes.length;
  const buf = allocPacket(first(PACKET_TYPE.suback), body);
  let pos = writeU16(buf, bodyStart(body), p.packetId);
  if (version === 5) pos = writeProperties(buf, pos, p.properties, propLen);
  for (const c of p.reasonCodes) buf[pos++] = c;
  return buf;
}

export function encodeUnsubscribe(p: UnsubscribePacket, version: ProtocolVersion): Buffer {
  const propLen = version === 5 ? propertiesLength(p.properties) : 0;
  let body = 2 + propsPart(version, propLen);
  for (const f of p.topicFilters) body += 2 + strBytes(f, 'Topic Filter');
  const buf = allocPacket(first(PACKET_TYPE.unsubscribe), body);
  let pos = writeU16(buf, bodyStart(body), p.packetId);
  if (version === 5) pos = writeProperties(buf, pos, p.properties, propLen);
  for (const f of p.topicFilters) pos = writeString(buf, pos, f);
  return buf;
}

export function encodeUnsuback(p: UnsubackPacket, version: ProtocolVersion): Buffer {
  const v5 = version === 5;
  const propLen = v5 ? propertiesLength(p.properties) : 0;
  const codes = v5 ? p.reasonCodes ?? [] : [];
  const body = 2 + propsPart(version, propLen) + codes.length;
  const buf = allocPacket(first(PACKET_TYPE.unsuback), body);
  let pos = writeU16(buf, bodyStart(body), p.packetId);
  if (v5) pos = writeProperties(buf, pos, p.properties, propLen);
  for (const c of codes) buf[pos++] = c;
  return buf;
}
