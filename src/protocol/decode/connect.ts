// CONNECT and CONNACK bodies (spec 3.1 / 3.2).
import { CONNECT_RETURN_CODE_NAMES, PROTOCOL_NAME_BY_LEVEL, ReasonCode, VERSION_LABEL } from '../constants.js';
import { ProtocolError, malformed } from '../errors.js';
import type { ConnackPacket, ConnectPacket, ProtocolVersion, QoS, Will } from '../packets.js';
import { readProperties } from '../property-codec.js';
import { bitPicture, type Reader } from '../reader.js';
import { checkReasonCode } from './reason.js';
import { validateTopicName } from '../topic.js';

const FLAG_USERNAME = 0x80;
const FLAG_PASSWORD = 0x40;
const FLAG_WILL_RETAIN = 0x20;
const FLAG_WILL_QOS = 0x18;
const WILL_QOS_SHIFT = 3;
const FLAG_WILL = 0x04;
const FLAG_CLEAN = 0x02;
const FLAG_RESERVED = 0x01;
const CONNACK_SESSION_PRESENT = 0x01;
const CONNACK_RESERVED = 0xfe;
const QOS_INVALID = 3;

const KNOWN_NAMES: ReadonlySet<string> = new Set(Object.values(PROTOCOL_NAME_BY_LEVEL));

function isVersion(level: number): level is ProtocolVersion {
  return PROTOCOL_NAME_BY_LEVEL[level] !== undefined;
}

export function decodeConnect(r: Reader): ConnectPacket {
  const nameStart = r.pos;
  const protocolName = r.utf8('Protocol Name');
  if (!KNOWN_NAMES.has(protocolName)) {
    // 5.0 [MQTT-3.1.2-1] / 3.1.1 [MQTT-3.1.2-1]: not an MQTT CONNECT we speak
    throw new ProtocolError('UNSUPPORTED_PROTOCOL_NAME', ReasonCode.UnsupportedProtocolVersion,
      `protocol name "${protocolName}" is neither MQTT nor MQIsdp`, r.off(nameStart));
  }
  const levelAt = r.pos;
  const level = r.u8('Protocol Level');
  if (!isVersion(level)) {
    r.note(`${level} (unsupported)`);
    // 5.0 [MQTT-3.1.2-2] / 3.1.1 [MQTT-3.1.2-2]: CONNACK 0x84 / return code 0x01, then close
    throw new ProtocolError('UNSUPPORTED_PROTOCOL_VERSION', ReasonCode.UnsupportedProtocolVersion,
      `protocol level ${level} is not 3, 4 or 5`, r.off(levelAt));
  }
  r.version = level; // the stream decoder and broker learn the version even if the rest is malformed
  r.note(`${level} (MQTT ${VERSION_LABEL[level]})`);
  if (PROTOCOL_NAME_BY_LEVEL[level] !== protocolName) {
    throw new ProtocolError('UNSUPPORTED_PROTOCOL_NAME', ReasonCode.UnsupportedProtocolVersion,
      `protocol name "${protocolName}" does not go with level ${level}`, r.off(nameStart)); // [MQTT-3.1.2-1]
  }

  const flagsAt = r.pos;
  const flags = r.u8('Connect Flags');
  if (r.rec !== null) recordConnectFlags(r, flags, flagsAt, level);
  if ((flags & FLAG_RESERVED) !== 0) {
    throw malformed('RESERVED_CONNECT_FLAG', 'reserved Connect Flags bit 0 is set', r.off(flagsAt)); // [MQTT-3.1.2-3]
  }
  const willFlag = (flags & FLAG_WILL) !== 0;
  const willQos = (flags & FLAG_WILL_QOS) >> WILL_QOS_SHIFT;
  const willRetain = (flags & FLAG_WILL_RETAIN) !== 0;
  if (!willFlag && willQos !== 0) {
    // 5.0 [MQTT-3.1.2-11] / 3.1.1 [MQTT-3.1.2-13]
    throw malformed('INVALID_WILL_FLAGS', 'Will QoS is set without the Will Flag', r.off(flagsAt));
  }
  if (!willFlag && willRetain) {
    // 5.0 [MQTT-3.1.2-13] / 3.1.1 [MQTT-3.1.2-15]
    throw malformed('INVALID_WILL_FLAGS', 'Will Retain is set without the Will Flag', r.off(flagsAt));
  }
  if (willQos === QOS_INVALID) {
    throw malformed('INVALID_QOS', 'Will QoS is 3', r.off(flagsAt)); // 5.0 [MQTT-3.1.2-12] / 3.1.1 [MQTT-3.1.2-14]
  }
  const hasUsername = (flags & FLAG_USERNAME) !== 0;
  const hasPassword = (flags & FLAG_PASSWORD) !== 0;
  if (level !== 5 && hasPassword && !hasUsername) {
    // 3.1.1 [MQTT-3.1.2-22] (5.0 allows a password alone)
    throw malformed('PASSWORD_WITHOUT_USERNAME', 'Password Flag is set without the User Name Flag', r.off(flagsAt));
  }

  const keepalive = r.u16('Keep Alive');
  r.note(`${keepalive} s`);
  const packet: ConnectPacket = {
    type: 'connect', protocolName, protocolVersion: level, clean: (flags & FLAG_CLEAN) !== 0, keepalive, clientId: '',
  };
  if (level === 5) {
    const properties = readProperties(r, 'connect');
    if (properties) packet.properties = properties;
  }
  r.open('Payload');
  // 5.0 [MQTT-3.1.3-3] [MQTT-3.1.3-4] / 3.1.1 [MQTT-3.1.3-3] [MQTT-3.1.3-4]: ClientID first, a UTF-8 string;
  // its length and characters (3.1: <= 23) are the broker's decision.
  packet.clientId = r.utf8('Client Identifier');
  if (willFlag) {
    const will: Will = { topic: '', payload: Buffer.alloc(0), qos: willQos as QoS, retain: willRetain };
    if (level === 5) {
      const properties = readProperties(r, 'will', 'Will Properties');
      if (properties) will.properties = properties;
    }
    const topicAt = r.pos;
    will.topic = r.utf8('Will Topic'); // 5.0 [MQTT-3.1.3-11]
    const topicError = validateTopicName(will.topic);
    if (topicError) throw new ProtocolError(topicError.code, topicError.reasonCode, `Will Topic: ${topicError.message}`, r.off(topicAt));
    will.payload = r.binary('Will Payload');
    packet.will = will;
  }
  if (hasUsername) packet.username = r.utf8('User Name'); // 5.0 [MQTT-3.1.3-12]
  if (hasPassword) packet.password = r.binary('Password', true);
  r.close();
  return packet;
}

function recordConnectFlags(r: Reader, flags: number, at: number, level: ProtocolVersion): void {
  const on = (m: number): boolean => (flags & m) !== 0;
  const yes = (m: number): string => (on(m) ? 'Set' : 'Not set');
  r.note(`0x${flags.toString(16).padStart(2, '0')}`);
  r.bit('User Name Flag', at, bitPicture(flags, FLAG_USERNAME), on(FLAG_USERNAME), yes(FLAG_USERNAME));
  r.bit('Password Flag', at, bitPicture(flags, FLAG_PASSWORD), on(FLAG_PASSWORD), yes(FLAG_PASSWORD));
  r.bit('Will Retain', at, bitPicture(flags, FLAG_WILL_RETAIN), on(FLAG_WILL_RETAIN), yes(FLAG_WILL_RETAIN));
  const wq = (flags & FLAG_WILL_QOS) >> WILL_QOS_SHIFT;
  r.bit('Will QoS', at, bitPicture(flags, FLAG_WILL_QOS), wq, `QoS ${wq}`);
  r.bit('Will Flag', at, bitPicture(flags, FLAG_WILL), on(FLAG_WILL), yes(FLAG_WILL));
  r.bit(level === 5 ? 'Clean Start' : 'Clean Session', at, bitPicture(flags, FLAG_CLEAN), on(FLAG_CLEAN), yes(FLAG_CLEAN));
  r.bit('Reserved', at, bitPicture(flags, FLAG_RESERVED), flags & FLAG_RESERVED, on(FLAG_RESERVED) ? '1 (must be 0)' : '0');
}

export function decodeConnack(r: Reader): ConnackPacket {
  const flagsAt = r.pos;
  const flags = r.u8('Acknowledge Flags');
  const sessionPresent = (flags & CONNACK_SESSION_PRESENT) !== 0;
  if (r.rec !== null) {
    r.note(`0x${flags.toString(16).padStart(2, '0')}`);
    r.bit('Reserved', flagsAt, bitPicture(flags, CONNACK_RESERVED), flags & CONNACK_RESERVED, String(flags & CONNACK_RESERVED));
    r.bit('Session Present', flagsAt, bitPicture(flags, CONNACK_SESSION_PRESENT), sessionPresent, sessionPresent ? 'Set' : 'Not set');
  }
  // 5.0 [MQTT-3.2.2-1]; 3.1.1 section 3.2.2.1 reserves bits 7-1 too (3.1 had no flags: the byte is ignored)
  if (r.version !== 3 && (flags & CONNACK_RESERVED) !== 0) {
    throw malformed('INVALID_FLAGS', 'CONNACK reserved flag bits 7-1 are not 0', r.off(flagsAt));
  }
  const codeAt = r.pos;
  if (r.version === 5) {
    const reasonCode = r.u8('Reason Code');
    checkReasonCode(r, 'connack', reasonCode, codeAt); // [MQTT-3.2.2-8]
    const packet: ConnackPacket = { type: 'connack', sessionPresent, reasonCode };
    const properties = readProperties(r, 'connack');
    if (properties) packet.properties = properties;
    return packet;
  }
  const returnCode = r.u8('Return Code');
  const name = CONNECT_RETURN_CODE_NAMES[returnCode];
  if (name === undefined) {
    throw malformed('INVALID_REASON_CODE', `CONNACK return code ${returnCode} is reserved`, r.off(codeAt));
  }
  r.note(`${returnCode} (${name})`);
  return { type: 'connack', sessionPresent: r.version === 3 ? false : sessionPresent, reasonCode: returnCode };
}
