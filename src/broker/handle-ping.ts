// PINGREQ -> PINGRESP [MQTT-3.12.4-1]. Receiving it already reset the keepalive (connection.ts).
import type { Connection } from './connection.js';

export function handlePingreq(conn: Connection): void {
  // the pinged hook (dashboard keepalive ticks) costs nothing when unset, and pings are rare
  const pinged = conn.broker.hooks.pinged;
  pinged?.(conn.info, 'pingreq');
  if (conn.send({ type: 'pingresp' })) pinged?.(conn.info, 'pingresp');
}
