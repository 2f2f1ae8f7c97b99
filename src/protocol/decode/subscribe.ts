// SUBSCRIBE, SUBACK, UNSUBSCRIBE and UNSUBACK bodies (spec 3.8 - 3.11).
import { ReasonCode, SUBACK_FAILURE } from '../constants.js';
import { ProtocolError, malformed } from '../errors.js';
import type { QoS, SubackPacket, SubscribePacket, Subscription, UnsubackPacket, UnsubscribePacket } from '../packets.js';
import { readProperties } from '../property-codec.js';
import { bitPicture, type Reader } from '../reader.js';
import { isSharedFilter, validateTopicFilter } from '../topic.js';
import { checkReasonCode } from './reason.js';

const OPT_QOS = 0x03;
const OPT_NO_LOCAL = 0x04;
const OPT_RETAIN_AS_PUBLISHED = 0x08;
const OPT_RETAIN_HANDLING = 0x30;
const RETAIN_HANDLING_SHIFT = 4;
const OPT_RESERVED_V5 = 0xc0;
const OPT_RESERVED_V5_SHIFT = 6;
const OPT_RESERVED_V3_SHIFT = 2;
const OPT_RESERVED_V3 = 0xfc;
const QOS_INVALID = 3;
const RETAIN_HANDLING_INVALID = 3;

function readPacketId(r: Reader, what: string): number {
  const at = r.pos;
  const id = r.u16('Packet Identifier');
  // 5.0 [MQTT-2.2.1-3] / 3.1.1 [MQTT-2.3.1-1]: SUBSCRIBE / UNSUBSCRIBE carry a non-zero identifier
  if (id === 0) throw malformed('PACKET_ID_ZERO', `${what} with Packet Identifier 0`, r.off(at));
  return id;
}

function readFilter(r: Reader): string {
  const at = r.pos;
  const filter = r.utf8('Topic Filter'); // 5.0 / 3.1.1 [MQTT-3.8.3-1] [MQTT-3.10.3-1]
  const err = validateTopicFilter(filter);
  if (err) {
    r.note(`"${filter}" (invalid)`);
    throw new ProtocolError(err.code, err.reasonCode, err.message, r.off(at));
  }
  return filter;
}

export function decodeSubscribe(r: Reader): SubscribePacket {
  const packet: SubscribePacket = { type: 'subscribe', packetId: readPacketId(r, 'SUBSCRIBE'), subscriptions: [] };
  if (r.version === 5) {
    const properties = readProperties(r, 'subscribe');
    if (properties) packet.properties = properties;
  }
  r.open('Payload');
  if (r.remaining === 0) {
    // 5.0 [MQTT-3.8.3-2] / 3.1.1 [MQTT-3.8.3-3]: at least one filter
    throw new ProtocolError('EMPTY_SUBSCRIPTION_LIST',
      r.version === 5 ? ReasonCode.ProtocolError : ReasonCode.MalformedPacket, 'SUBSCRIBE has no topic filter', r.off());
  }
  while (r.remaining > 0) {
    r.open('Subscription');
    const topicFilter = readFilter(r);
    const at = r.pos;
    const opts = r.u8(r.version === 5 ? 'Subscription Options' : 'Requested QoS');
    if (r.rec !== null) recordOptions(r, opts, at);
    const qos = opts & OPT_QOS;
    const sub: Subscription = { topicFilter, qos: qos as QoS, noLocal: false, retainAsPublished: false, retainHandling: 0 };
    if (r.version === 5) {
      // 5.0 [MQTT-3.8.3-5]: reserved bits 6-7 are 0
      if ((opts & OPT_RESERVED_V5) !== 0) throw malformed('INVALID_SUBSCRIPTION_OPTIONS', 'reserved option bits 6-7 are set', r.off(at));
      if (qos === QOS_INVALID) throw new ProtocolError('INVALID_QOS', ReasonCode.ProtocolError, 'Maximum QoS 3', r.off(at)); // 5.0 3.8.3.1
      const rh = (opts & OPT_RETAIN_HANDLING) >> RETAIN_HANDLING_SHIFT;
      if (rh === RETAIN_HANDLING_INVALID) {
        throw new ProtocolError('INVALID_SUBSCRIPTION_OPTIONS', ReasonCode.ProtocolError, 'Retain Handling 3', r.off(at)); // 5.0 3.8.3.1
      }
      sub.noLocal = (opts & OPT_NO_LOCAL) !== 0;
      sub.retainAsPublished = (opts & OPT_RETAIN_AS_PUBLISHED) !== 0;
      sub.retainHandling = rh as 0 | 1 | 2;
      if (sub.noLocal && isSharedFilter(topicFilter)) {
        // 5.0 [MQTT-3.8.3-4]
        throw new ProtocolError('INVALID_SUBSCRIPTION_OPTIONS', ReasonCode.ProtocolError, 'No Local on a shared subscription', r.off(at));
      }
    } else {
      // 3.1.1 [MQTT-3-8.3-4] (= MQTT-3.8.3-4): upper 6 bits 0 and QoS 0, 1 or 2
      if ((opts & OPT_RESERVED_V3) !== 0) throw malformed('INVALID_SUBSCRIPTION_OPTIONS', 'reserved bits 7-2 of the QoS byte are set', r.off(at));
      if (qos === QOS_INVALID) throw malformed('INVALID_QOS', 'Requested QoS 3', r.off(at));
    }
    packet.subscriptions.push(sub);
    r.close(topicFilter, `"${topicFilter}" QoS ${qos}`);
  }
  r.close();
  return packet;
}

function recordOptions(r: Reader, opts: number, at: number): void {
  r.note(`0x${opts.toString(16).padStart(2, '0')}`);
  if (r.version === 5) {
    r.bit('Reserved', at, bitPicture(opts, OPT_RESERVED_V5), opts >> OPT_RESERVED_V5_SHIFT, String(opts >> OPT_RESERVED_V5_SHIFT));
    const rh = (opts & OPT_RETAIN_HANDLING) >> RETAIN_HANDLING_SHIFT;
    r.bit('Retain Handling', at, bitPicture(opts, OPT_RETAIN_HANDLING), rh, RETAIN_HANDLING_NAMES[rh] ?? String(rh));
    r.bit('Retain As Published', at, bitPicture(opts, OPT_RETAIN_AS_PUBLISHED), (opts & OPT_RETAIN_AS_PUBLISHED) !== 0,
      (opts & OPT_RETAIN_AS_PUBLISHED) !== 0 ? 'Set' : 'Not set');
    r.bit('No Local', at, bitPicture(opts, OPT_NO_LOCAL), (opts & OPT_NO_LOCAL) !== 0, (opts & OPT_NO_LOCAL) !== 0 ? 'Set' : 'Not set');
  } else {
    r.bit('Reserved', at, bitPicture(opts, OPT_RESERVED_V3), opts >> OPT_RESERVED_V3_SHIFT, String(opts >> OPT_RESERVED_V3_SHIFT));
  }
  r.bit('QoS', at, bitPicture(opts, OPT_QOS), opts & OPT_QOS, `QoS ${opts & OPT_QOS}`);
}

const RETAIN_HANDLING_NAMES: Readonly<Record<number, string>> = {
  0: '0 (send retained messages at subscribe)',
  1: '1 (send retained only for a new subscription)',
  2: '2 (do not send retained messages)',
  3: '3 (invalid)',
};

/** 3.x SUBACK return codes: granted QoS 0-2 or failure (0x80; 3.1 had no failure code). */
const SUBACK_V3_CODES: ReadonlySet<number> = new Set([0, 1, 2, SUBACK_FAILURE]);

export function decodeSuback(r: Reader): SubackPacket {
  const packet: SubackPacket = { type: 'suback', packetId: r.u16('Packet Identifier'), reasonCodes: [] };
  if (r.version === 5) {
    const properties = readProperties(r, 'suback');
    if (properties) packet.properties = properties;
  }
  r.open('Payload');
  while (r.remaining > 0) {
    const at = r.pos;
    const code = r.u8(r.version === 5 ? 'Reason Code' : 'Return Code');
    if (r.version === 5) {
      checkReasonCode(r, 'suback', code, at); // 5.0 [MQTT-3.9.3-2]
    } else if (!SUBACK_V3_CODES.has(code)) {
      throw malformed('INVALID_REASON_CODE', `SUBACK return code 0x${code.toString(16)} is not 0, 1, 2 or 0x80`, r.off(at));
    } else {
      r.note(code === SUBACK_FAILURE ? '0x80 (Failure)' : `${code} (Granted QoS ${code})`);
    }
    packet.reasonCodes.push(code);
  }
  r.close();
  return packet;
}

export function decodeUnsubscribe(r: Reader): UnsubscribePacket {
  const packet: UnsubscribePacket = { type: 'unsubscribe', packetId: readPacketId(r, 'UNSUBSCRIBE'), topicFilters: [] };
  if (r.version === 5) {
    const properties = readProperties(r, 'unsubscribe');
    if (properties) packet.properties = properties;
  }
  r.open('Payload');
  if (r.remaining === 0) {
    // 5.0 / 3.1.1 [MQTT-3.10.3-2]: at least one filter
    throw new ProtocolError('EMPTY_SUBSCRIPTION_LIST',
      r.version === 5 ? ReasonCode.ProtocolError : ReasonCode.MalformedPacket, 'UNSUBSCRIBE has no topic filter', r.off());
  }
  while (r.remaining > 0) packet.topicFilters.push(readFilter(r));
  r.close();
  return packet;
}

export function decodeUnsuback(r: Reader): UnsubackPacket {
  const packet: UnsubackPacket = { type: 'unsuback', packetId: r.u16('Packet Identifier') };
  if (r.version !== 5) return packet; // 3.x: Remaining Length 2; extra bytes are caught as trailing bytes
  const properties = readProperties(r, 'unsuback');
  if (properties) packet.properties = properties;
  const codes: number[] = [];
  r.open('Payload');
  while (r.remaining > 0) {
    const at = r.pos;
    const code = r.u8('Reason Code');
    checkReasonCode(r, 'unsuback', code, at); // 5.0 [MQTT-3.11.3-2]
    codes.push(code);
  }
  r.close();
  packet.reasonCodes = codes;
  return packet;
}
