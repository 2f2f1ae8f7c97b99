// DISCONNECT and AUTH bodies (spec 3.14 / 3.15); PINGREQ and PINGRESP have none.
import type { AuthPacket, DisconnectPacket } from '../packets.js';
import { readProperties } from '../property-codec.js';
import type { Reader } from '../reader.js';
import { checkReasonCode } from './reason.js';

export function decodeDisconnect(r: Reader): DisconnectPacket {
  const packet: DisconnectPacket = { type: 'disconnect' };
  // 3.x DISCONNECT has no body (extra bytes are caught as trailing); 5.0: Remaining Length 0 means 0x00
  if (r.version === 5 && r.remaining > 0) {
    const at = r.pos;
    packet.reasonCode = r.u8('Reason Code');
    checkReasonCode(r, 'disconnect', packet.reasonCode, at); // 5.0 [MQTT-3.14.2-1]
    if (r.remaining > 0) {
      const properties = readProperties(r, 'disconnect');
      if (properties) packet.properties = properties;
    }
  }
  return packet;
}

export function decodeAuth(r: Reader): AuthPacket {
  const packet: AuthPacket = { type: 'auth' };
  if (r.remaining > 0) {
    const at = r.pos;
    packet.reasonCode = r.u8('Reason Code');
    checkReasonCode(r, 'auth', packet.reasonCode, at); // 5.0 [MQTT-3.15.2-1]
    if (r.remaining > 0) {
      const properties = readProperties(r, 'auth');
      if (properties) packet.properties = properties;
    }
  }
  return packet;
}
