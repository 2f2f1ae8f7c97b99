// PUBACK / PUBREC / PUBREL / PUBCOMP: the acknowledgement half of QoS 1 and QoS 2 in both directions.
import { ReasonCode } from '../protocol/constants.js';
import type { PubackPacket, PubcompPacket, PubrecPacket, PubrelPacket } from '../protocol/packets.js';
import type { Connection } from './connection.js';
import { DeliveryState } from './session.js';
import { sendAck } from './handle-publish.js';

/** Outgoing QoS 1 acknowledged [MQTT-4.3.2-3]: frees the packet id and a unit of send quota [MQTT-4.9.0-2]. */
export function handlePuback(conn: Connection, packet: PubackPacket): void {
  const session = conn.session!;
  const d = session.inflight.get(packet.packetId);
  if (!d || d.qos !== 1) return; // unknown id: nothing to release
  conn.broker.delivery.completed(session, packet.packetId);
}

/** Outgoing QoS 2, first ack: answer PUBREL [MQTT-4.3.3-4], or end the exchange on a failure code [MQTT-4.4.0-2]. */
export function handlePubrec(conn: Connection, packet: PubrecPacket): void {
  const session = conn.session!;
  const d = session.inflight.get(packet.packetId);
  if (!d || d.qos !== 2) {
    if (conn.version === 5) conn.send({ type: 'pubrel', packetId: packet.packetId, reasonCode: ReasonCode.PacketIdentifierNotFound });
    else conn.send({ type: 'pubrel', packetId: packet.packetId });
    return;
  }
  if ((packet.reasonCode ?? 0) >= ReasonCode.UnspecifiedError) {
    conn.broker.delivery.completed(session, packet.packetId); // [MQTT-4.8.2-6] discarded, no other subscriber
    return;
  }
  d.state = DeliveryState.PubrelSent; // [MQTT-4.3.3-6] the PUBLISH is never sent again
  conn.broker.sessions.changed(session, 'inflight');
  conn.send({ type: 'pubrel', packetId: packet.packetId });
}

/** Incoming QoS 2, second half: forget the id and answer PUBCOMP [MQTT-4.3.3-11]. */
export function handlePubrel(conn: Connection, packet: PubrelPacket): void {
  const session = conn.session!;
  const known = session.incomingQos2.delete(packet.packetId);
  if (known) conn.broker.sessions.changed(session, 'incoming');
  const reasonCode = !known && conn.version === 5 ? ReasonCode.PacketIdentifierNotFound : undefined;
  sendAck(conn, { type: 'pubcomp', packetId: packet.packetId, reasonCode }); // [persistence] after the id's removal is committed
}

/** Outgoing QoS 2 complete [MQTT-4.3.3-5]. */
export function handlePubcomp(conn: Connection, packet: PubcompPacket): void {
  const session = conn.session!;
  const d = session.inflight.get(packet.packetId);
  if (!d || d.state !== DeliveryState.PubrelSent) return;
  conn.broker.delivery.completed(session, packet.packetId);
}
