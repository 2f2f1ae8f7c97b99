// PUBLISH from a client: topic alias resolution (5.0), QoS 2 duplicate detection, receive maximum,
// authorization, retained store, routing, then PUBACK / PUBREC.
import { validateTopicName } from '../protocol/index.js';
import { ReasonCode } from '../protocol/constants.js';
import { ProtocolError, protocolError } from '../protocol/errors.js';
import type { Packet, PublishPacket } from '../protocol/packets.js';
import type { Connection } from './connection.js';

const SYS_PREFIX = '$SYS';

export function handlePublish(conn: Connection, packet: PublishPacket): void {
  const session = conn.session!;
  const v5 = conn.version === 5;
  let topic = packet.topic;
  const alias = v5 ? packet.properties?.topicAlias : undefined;
  if (alias !== undefined) {
    // [MQTT-3.3.2-8] 0 is never valid; [MQTT-3.3.2-12] accept 1..our maximum, anything above is invalid
    if (alias === 0 || alias > conn.broker.limits.topicAliasMaximum) {
      throw new ProtocolError('TOPIC_ALIAS_INVALID', ReasonCode.TopicAliasInvalid, `alias ${alias}`);
    }
    if (topic.length > 0) {
      (conn.incomingAliases ??= new Map()).set(alias, topic);
    } else {
      const known = conn.incomingAliases?.get(alias);
      if (known === undefined) throw protocolError('TOPIC_ALIAS_UNKNOWN', `alias ${alias} was never set`);
      topic = known;
    }
  }
  // the decoder has already checked the topic name [MQTT-3.3.2-2]; an aliased topic was checked when it was set
  const responseTopic = v5 ? packet.properties?.responseTopic : undefined;
  if (responseTopic !== undefined && validateTopicName(responseTopic)) {
    throw protocolError('INVALID_RESPONSE_TOPIC', `Response Topic "${responseTopic}"`); // v5 [MQTT-3.3.2-14]
  }

  const qos = packet.qos;
  const id = packet.packetId ?? 0;
  if (qos === 2 && session.incomingQos2.has(id)) {
    sendAck(conn, { type: 'pubrec', packetId: id }); // [MQTT-4.3.3-10] answer again, do not deliver twice
    return;
  }
  if (qos === 2 && session.incomingQos2.size >= conn.broker.limits.maxInflight) {
    throw new ProtocolError('RECEIVE_MAXIMUM_EXCEEDED', ReasonCode.ReceiveMaximumExceeded); // v5 [MQTT-3.3.4-7]
  }
  if (v5 && packet.retain && !conn.broker.retainAvailable) {
    throw new ProtocolError('RETAIN_NOT_SUPPORTED', ReasonCode.RetainNotSupported); // v5 [MQTT-3.2.2-14]
  }

  // [security] message_size_limit, as mosquitto 2: not routed, the QoS flow completed. 5.0 gets 0x97 Quota
  // exceeded ("an administratively imposed limit"): mosquitto 2.0.11 sends 0x95, which PUBACK / PUBREC may not
  // carry [MQTT-3.4.2-1] (Table 3.4, 3.5)
  const maxPayload = conn.broker.limits.maxPayloadSize;
  if (maxPayload > 0 && packet.payload.length > maxPayload) return refused(conn, packet, ReasonCode.QuotaExceeded);
  if (topic.startsWith(SYS_PREFIX)) return refused(conn, packet); // clients cannot publish to $SYS
  const authorize = conn.broker.hooks.authorizePublish;
  if (authorize) {
    const verdict = authorize(conn.info, topic, packet);
    if (verdict instanceof Promise) {
      conn.waitFor(verdict, (ok) => (ok ? accept(conn, packet, topic) : refused(conn, packet)));
      return;
    }
    if (!verdict) return refused(conn, packet);
  }
  accept(conn, packet, topic);
}

function accept(conn: Connection, packet: PublishPacket, topic: string): void {
  conn.broker.publishFromClient(conn, packet, topic);
  const id = packet.packetId ?? 0;
  if (packet.qos === 1) {
    sendAck(conn, { type: 'puback', packetId: id }); // [MQTT-4.3.2-4]
  } else if (packet.qos === 2) {
    conn.session!.incomingQos2.add(id);
    conn.broker.sessions.changed(conn.session!, 'incoming');
    sendAck(conn, { type: 'pubrec', packetId: id }); // [MQTT-4.3.3-8]
  }
}

/** A refused PUBLISH: 3.x acknowledged as usual and dropped [MQTT-3.3.5-2]; 5.0 answered 0x87. */
function refused(conn: Connection, packet: PublishPacket, reason: number = ReasonCode.NotAuthorized): void {
  // [security] reason: also QuotaExceeded for message_size_limit
  conn.broker.logger.debug({ clientId: conn.clientId, topic: packet.topic, reason }, reason === ReasonCode.NotAuthorized ? 'publish not authorized' : 'publish payload too large: dropped');
  const id = packet.packetId ?? 0;
  const reasonCode = conn.version === 5 ? reason : undefined;
  if (packet.qos === 1) sendAck(conn, { type: 'puback', packetId: id, reasonCode });
  // a PUBREC >= 0x80 ends the exchange [MQTT-4.3.3-9]; 3.x completes it normally with PUBREL / PUBCOMP
  if (packet.qos === 2) {
    if (reasonCode === undefined) conn.session!.incomingQos2.add(id);
    sendAck(conn, { type: 'pubrec', packetId: id, reasonCode });
  }
}

/**
 * [persistence] PUBACK / PUBREC / PUBCOMP leave only once what this turn changed is committed (a durable store's
 * barrier; the memory store has none), and [cluster] once the messages sent to other nodes are stored in Redis.
 * Every ack takes this path and both barriers run calls in order, so acks keep their order [MQTT-4.6.0-2..4].
 */
export function sendAck(conn: Connection, packet: Packet): void {
  const store = conn.broker.sessions;
  const cluster = conn.broker.cluster;
  if (cluster?.afterForward) {
    // the store's barrier first: with a Redis store its EXEC is answered after the XADDs sent before it
    if (store.afterCommit) store.afterCommit(() => cluster.afterForward!(() => conn.send(packet)));
    else cluster.afterForward(() => conn.send(packet));
  } else if (store.afterCommit) store.afterCommit(() => conn.send(packet));
  else conn.send(packet);
}
