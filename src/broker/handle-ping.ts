// PINGREQ -> PINGRESP [MQTT-3.12.4-1]. Receiving it already reset the keepalive (connection.ts).
import type { Connection } from './connection.js';

export function handlePingreq(conn: Connection): void {
  // the pinged hook (dashboard keepalive ticks) costs nothing when unset, and pings are rare
  const pinged = conn.broker.hooks.pinged;
  if (!pinged) {
    conn.send({ type: 'pingresp' });
    return;
  }
  // the PINGREQ's time is when its bytes arrived (what the keepalive counts from), not when it was handled
  const clock = conn.broker.clock;
  pinged(conn.info, 'pingreq', conn.lastReceivedAt ?? clock.now());
  if (conn.send({ type: 'pingresp' })) pinged(conn.info, 'pingresp', clock.now());
}
