// AUTH (5.0 enhanced authentication). glassmq offers no authentication method, so CONNECT with one is refused
// (handle-connect.ts, [MQTT-4.12.0-1]) and any AUTH a client sends is a protocol error [MQTT-4.12.0-6].
import { protocolError } from '../protocol/errors.js';
import type { AuthPacket } from '../protocol/packets.js';
import type { Connection } from './connection.js';

export function handleAuth(_conn: Connection, _packet: AuthPacket): void {
  throw protocolError('AUTH_NOT_NEGOTIATED', 'AUTH without an Authentication Method in CONNECT');
}
