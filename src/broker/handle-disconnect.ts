// DISCONNECT from the client: a normal one discards the will [MQTT-3.14.4-3]; 5.0 reason 0x04 keeps it;
// 5.0 may update the Session Expiry Interval, but not from 0 to non-zero.
import { ReasonCode } from '../protocol/constants.js';
import { protocolError } from '../protocol/errors.js';
import type { DisconnectPacket } from '../protocol/packets.js';
import type { Connection } from './connection.js';

export function handleDisconnect(conn: Connection, packet: DisconnectPacket): void {
  const session = conn.session!;
  const expiry = conn.version === 5 ? packet.properties?.sessionExpiryInterval : undefined;
  if (expiry !== undefined) {
    if (session.expiryInterval === 0 && expiry !== 0) {
      throw protocolError('SESSION_EXPIRY_FROM_ZERO', 'DISCONNECT may not set Session Expiry when CONNECT had 0');
    }
    session.expiryInterval = expiry;
    conn.broker.sessions.changed(session, 'expiry');
  }
  const withWill = conn.version === 5 && packet.reasonCode === ReasonCode.DisconnectWithWillMessage;
  if (!withWill) conn.will = undefined; // [MQTT-3.14.4-3] [MQTT-3.1.2-10]
  conn.close(withWill ? 'client-disconnect-with-will' : 'client-disconnect');
}
