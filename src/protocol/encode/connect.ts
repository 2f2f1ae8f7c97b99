// CONNECT and CONNACK (spec 3.1 / 3.2).
import { PACKET_TYPE, PROTOCOL_NAME_BY_LEVEL } from '../constants.js';
import type { ConnackPacket, ConnectPacket, ProtocolVersion } from '../packets.js';
import { propertiesLength, writeBinary, writeProperties, writeString } from '../property-codec.js';
import { varintLength } from '../varint.js';
import { allocPacket, binBytes, bodyStart, strBytes, writeU16 } from './frame.js';

const TYPE_SHIFT = 4;
const FLAG_USERNAME = 0x80;
const FLAG_PASSWORD = 0x40;
const FLAG_WILL_RETAIN = 0x20;
const WILL_QOS_SHIFT = 3;
const FLAG_WILL = 0x04;
const FLAG_CLEAN = 0x02;

export function encodeConnect(p: ConnectPacket, fallbackVersion: ProtocolVersion): Buffer {
  const version = p.protocolVersion ?? fallbackVersion;
  const name = PROTOCOL_NAME_BY_LEVEL[version]!;
  const v5 = version === 5;
  let body = 2 + name.length + 1 + 1 + 2; // name, level, flags, keepalive
  const propLen = v5 ? propertiesLength(p.properties) : 0;
  if (v5) body += varintLength(propLen) + propLen;
  body += 2 + strBytes(p.clientId, 'Client Identifier');
  const will = p.will;
  let willPropLen = 0;
  let flags = p.clean ? FLAG_CLEAN : 0;
  if (will) {
    flags |= FLAG_WILL | (will.qos << WILL_QOS_SHIFT) | (will.retain ? FLAG_WILL_RETAIN : 0);
    if (v5) {
      willPropLen = propertiesLength(will.properties);
      body += varintLength(willPropLen) + willPropLen;
    }
    body += 2 + strBytes(will.topic, 'Will Topic') + 2 + binBytes(will.payload, 'Will Payload');
  }
  if (p.username !== undefined) {
    flags |= FLAG_USERNAME;
    body += 2 + strBytes(p.username, 'User Name');
  }
  if (p.password !== undefined) {
    flags |= FLAG_PASSWORD;
    body += 2 + binBytes(p.password, 'Password');
  }
  const buf = allocPacket(PACKET_TYPE.connect << TYPE_SHIFT, body);
  let pos = writeString(buf, bodyStart(body), name);
  buf[pos++] = version;
  buf[pos++] = flags;
  pos = writeU16(buf, pos, p.keepalive);
  if (v5) pos = writeProperties(buf, pos, p.properties, propLen);
  pos = writeString(buf, pos, p.clientId);
  if (will) {
    if (v5) pos = writeProperties(buf, pos, will.properties, willPropLen);
    pos = writeString(buf, pos, will.topic);
    pos = writeBinary(buf, pos, will.payload);
  }
  if (p.username !== undefined) pos = writeString(buf, pos, p.username);
  if (p.password !== undefined) writeBinary(buf, pos, p.password);
  return buf;
}

export function encodeConnack(p: ConnackPacket, version: ProtocolVersion): Buffer {
  const propLen = version === 5 ? propertiesLength(p.properties) : 0;
  const body = 2 + (version === 5 ? varintLength(propLen) + propLen : 0);
  const buf = allocPacket(PACKET_TYPE.connack << TYPE_SHIFT, body);
  let pos = bodyStart(body);
  buf[pos++] = p.sessionPresent && version !== 3 ? 1 : 0; // 3.1 has no Session Present
  buf[pos++] = p.reasonCode;
  if (version === 5) writeProperties(buf, pos, p.properties, propLen);
  return buf;
}
