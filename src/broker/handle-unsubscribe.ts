// UNSUBSCRIBE -> UNSUBACK [MQTT-3.10.4-4]: exact filter match deletes [MQTT-3.10.4-1]; deliveries already
// started still complete [MQTT-3.10.4-3] (they stay in the session's inflight window).
import { ReasonCode } from '../protocol/constants.js';
import type { UnsubscribePacket } from '../protocol/packets.js';
import type { Connection } from './connection.js';
import { afterStored } from './stored-ack.js';

export function handleUnsubscribe(conn: Connection, packet: UnsubscribePacket): void {
  const session = conn.session!;
  const codes: number[] = [];
  for (const filter of packet.topicFilters) {
    const removed = conn.broker.unsubscribe(session, filter);
    codes.push(removed ? ReasonCode.Success : ReasonCode.NoSubscriptionExisted);
    if (removed) conn.broker.hooks.unsubscribed?.(conn.info, filter);
  }
  // [MQTT-3.10.4-5] sent even when nothing was deleted; 3.x UNSUBACK has no reason codes; [persistence] once stored
  afterStored(conn.broker, session, () => conn.send({ type: 'unsuback', packetId: packet.packetId, reasonCodes: conn.version === 5 ? codes : undefined }));
}
