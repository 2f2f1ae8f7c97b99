// PINGREQ -> PINGRESP [MQTT-3.12.4-1]. Receiving it already reset the keepalive (connection.ts).
import type { Connection } from './connection.js';

export function handlePingreq(conn: Connection): void {
  conn.send({ type: 'pingresp' });
}
