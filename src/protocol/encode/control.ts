// PINGREQ, PINGRESP, DISCONNECT and AUTH (spec 3.12 - 3.15).
import { PACKET_TYPE, ReasonCode } from '../constants.js';
import { ProtocolError } from '../errors.js';
import type { AuthPacket, DisconnectPacket, ProtocolVersion } from '../packets.js';
import { propertiesLength, writeProperties } from '../property-codec.js';
import { varintLength } from '../varint.js';
import { allocPacket, bodyStart } from './frame.js';

const TYPE_SHIFT = 4;

export function encodeEmpty(type: number): Buffer {
  const buf = Buffer.allocUnsafe(2);
  buf[0] = type << TYPE_SHIFT;
  buf[1] = 0;
  return buf;
}

/** 5.0: Remaining Length 0 stands for reason 0x00 without properties [MQTT-3.14.2-1] [MQTT-3.15.2-1]. */
function encodeReasonOnly(type: number, reasonCode: number | undefined, p: DisconnectPacket | AuthPacket): Buffer {
  const rc = reasonCode ?? ReasonCode.Success;
  const propLen = propertiesLength(p.properties);
  if (rc === ReasonCode.Success && propLen === 0) return encodeEmpty(type);
  const body = propLen === 0 ? 1 : 1 + varintLength(propLen) + propLen;
  const buf = allocPacket(type << TYPE_SHIFT, body);
  const pos = bodyStart(body);
  buf[pos] = rc;
  if (propLen > 0) writeProperties(buf, pos + 1, p.properties, propLen);
  return buf;
}

export function encodeDisconnect(p: DisconnectPacket, version: ProtocolVersion): Buffer {
  if (version !== 5) return encodeEmpty(PACKET_TYPE.disconnect); // 3.x: no reason code, no properties
  return encodeReasonOnly(PACKET_TYPE.disconnect, p.reasonCode, p);
}

export function encodeAuth(p: AuthPacket, version: ProtocolVersion): Buffer {
  if (version !== 5) throw new ProtocolError('INVALID_PACKET_TYPE', ReasonCode.ProtocolError, 'AUTH exists only in MQTT 5.0');
  return encodeReasonOnly(PACKET_TYPE.auth, p.reasonCode, p);
}
