// CONNECT -> CONNACK: protocol checks, client id rules, keepalive limits, authentication, take-over, session
// resume or clean start, then resend of unacknowledged messages.
import { validateTopicName } from '../protocol/index.js';
import { ConnectReturnCode, PROTOCOL_NAME_BY_LEVEL, ReasonCode } from '../protocol/constants.js';
import { protocolError } from '../protocol/errors.js';
import type { ConnackPacket, ConnectPacket } from '../protocol/packets.js';
import type { Properties } from '../protocol/properties.js';
import type { Connection } from './connection.js';
import { whenStored } from './stored-ack.js';
import type { AuthenticateVerdict } from './hooks.js'; // [security]
import { DEFAULT_RECEIVE_MAXIMUM, PROTOCOL_MAX_KEEPALIVE, PROTOCOL_MAX_PACKET_SIZE } from './limits.js';
import { SESSION_NEVER_EXPIRES } from './session.js';

/** MQTT 3.1 ("MQIsdp") limits client ids to 1..23 characters. */
const MQTT31_MAX_CLIENT_ID = 23;

export function handleConnect(conn: Connection, packet: ConnectPacket): void {
  if (conn.state !== 'awaiting-connect') {
    throw protocolError('SECOND_CONNECT', 'CONNECT on a connection that already sent one'); // [MQTT-3.1.0-2]
  }
  conn.state = 'connecting';
  conn.version = packet.protocolVersion;
  const v5 = packet.protocolVersion === 5;
  if (PROTOCOL_NAME_BY_LEVEL[packet.protocolVersion] !== packet.protocolName) {
    // [MQTT-3.1.2-1] not MQTT as we know it: close (5.0 may say 0x84 first)
    if (v5) return conn.refuse(ReasonCode.UnsupportedProtocolVersion);
    return conn.close('protocol-error');
  }
  const broker = conn.broker;
  const limits = broker.limits;

  let clientId = packet.clientId;
  let assigned: string | undefined;
  if (packet.protocolVersion === 3 && (clientId.length === 0 || clientId.length > MQTT31_MAX_CLIENT_ID)) {
    return conn.refuse(ReasonCode.ClientIdentifierNotValid); // MQTT 3.1: CONNACK 2 identifier rejected
  }
  if (clientId.length === 0) {
    // [MQTT-3.1.3-8] (3.1.1) an empty id needs CleanSession = 1
    if (!v5 && !packet.clean) return conn.refuse(ReasonCode.ClientIdentifierNotValid);
    clientId = assigned = broker.assignClientId(); // [MQTT-3.1.3-6] [MQTT-3.1.3-7]
  }

  let keepalive = packet.keepalive;
  let serverKeepAlive: number | undefined;
  const limited = limits.maxKeepalive < PROTOCOL_MAX_KEEPALIVE;
  if (limited && (keepalive > limits.maxKeepalive || keepalive === 0)) {
    if (!v5) return conn.refuse(ReasonCode.ClientIdentifierNotValid); // 3.x has no way to lower it: refuse (as mosquitto)
    serverKeepAlive = keepalive = limits.maxKeepalive;
  }

  const props = packet.properties;
  if (v5) {
    if (props?.authenticationMethod !== undefined) return conn.refuse(ReasonCode.BadAuthenticationMethod); // [MQTT-4.12.0-1]
    conn.clientReceiveMaximum = props?.receiveMaximum ?? DEFAULT_RECEIVE_MAXIMUM;
    conn.clientMaxPacketSize = props?.maximumPacketSize ?? PROTOCOL_MAX_PACKET_SIZE;
    conn.clientTopicAliasMaximum = props?.topicAliasMaximum ?? 0;
    conn.requestProblemInformation = props?.requestProblemInformation !== 0;
  }
  const will = packet.will;
  if (will) {
    const bad = validateTopicName(will.topic);
    if (bad) return conn.refuse(ReasonCode.TopicNameInvalid);
    const responseTopic = will.properties?.responseTopic;
    if (responseTopic !== undefined && validateTopicName(responseTopic)) return conn.refuse(ReasonCode.ProtocolError); // v5 [MQTT-3.3.2-14]
    if (will.topic.startsWith('$SYS')) return conn.refuse(ReasonCode.NotAuthorized); // clients cannot publish to $SYS
    // 5.0 [MQTT-3.2.2-13]; 3.x cannot be told, so its will is published without being stored
    if (v5 && will.retain && !broker.retainAvailable) return conn.refuse(ReasonCode.RetainNotSupported);
    // [security] message_size_limit covers the will, as mosquitto 2: CONNACK 0x95 (3.x: 5, it has no such code)
    if (limits.maxPayloadSize > 0 && will.payload.length > limits.maxPayloadSize) return conn.refuse(v5 ? ReasonCode.PacketTooLarge : ReasonCode.NotAuthorized);
  }
  conn.clientId = clientId;
  conn.username = packet.username;
  if (broker.connectionCount > limits.maxConnections) return conn.refuse(ReasonCode.ServerBusy);

  const authenticate = broker.hooks.authenticate;
  if (!authenticate) return finishConnect(conn, packet, keepalive, serverKeepAlive, assigned);
  const verdict = authenticate({
    clientId,
    username: packet.username,
    password: packet.password,
    link: conn.link.info,
    protocolVersion: packet.protocolVersion,
  });
  const decide = (result: AuthenticateVerdict): void => {
    if (result === false) return conn.refuse(ReasonCode.BadUserNameOrPassword);
    if (typeof result === 'number' && result >= ReasonCode.UnspecifiedError) return conn.refuse(result);
    if (typeof result === 'object') conn.username = result.username; // [security] the certificate's user name, for ACL and logs
    finishConnect(conn, packet, keepalive, serverKeepAlive, assigned);
  };
  if (verdict instanceof Promise) conn.waitFor(verdict, decide);
  else decide(verdict);
}

function finishConnect(
  conn: Connection,
  packet: ConnectPacket,
  keepalive: number,
  serverKeepAlive: number | undefined,
  assignedClientId: string | undefined,
): void {
  // [cluster] a store shared by several nodes first makes this node the session's holder: the node that had the
  // client id closes that connection and lets the session go (bounded wait). An id the server assigned is new.
  const acquiring = assignedClientId === undefined ? conn.broker.sessions.acquire?.(conn.clientId, packet.clean) : undefined;
  if (!acquiring) return acceptConnect(conn, packet, keepalive, serverKeepAlive, assignedClientId);
  conn.waitFor(acquiring, (verdict) => {
    // two CONNECTs at once on two nodes: the newer one (higher epoch) won elsewhere [MQTT-3.1.4-3]
    if (verdict === 'superseded') return conn.refuse(ReasonCode.SessionTakenOver, 'a newer connection took this client id');
    acceptConnect(conn, packet, keepalive, serverKeepAlive, assignedClientId);
  });
}

function acceptConnect(
  conn: Connection,
  packet: ConnectPacket,
  keepalive: number,
  serverKeepAlive: number | undefined,
  assignedClientId: string | undefined,
): void {
  const broker = conn.broker;
  const v5 = conn.version === 5;
  const expiry = v5 ? (packet.properties?.sessionExpiryInterval ?? 0) : packet.clean ? 0 : SESSION_NEVER_EXPIRES;
  // [MQTT-3.1.4-3] (5.0) / [MQTT-3.1.4-2] (3.1.1) take-over of a connected client id
  broker.takeOver(conn.clientId);
  const { session, present } = broker.openSession(conn, packet.clean, expiry);
  conn.will = packet.will; // [MQTT-3.1.2-7] stored with the session / connection

  const connack: ConnackPacket = {
    type: 'connack',
    sessionPresent: present, // [MQTT-3.2.2-2] [MQTT-3.2.2-3]
    reasonCode: v5 ? ReasonCode.Success : ConnectReturnCode.Accepted,
  };
  if (v5) connack.properties = connackProperties(conn, packet, serverKeepAlive, assignedClientId);
  const accept = (): void => {
    conn.send(connack); // [MQTT-3.2.0-1] [MQTT-3.1.4-5]
    conn.accepted(keepalive);
    broker.clientConnected(conn, session);
  };
  // [persistence] a persistent session's CONNACK (Session Present) once the store holds the session; the packets
  // that follow the CONNECT wait with it
  const stored = whenStored(broker, session);
  if (stored) conn.waitFor(stored, accept);
  else accept();
}

function connackProperties(
  conn: Connection,
  packet: ConnectPacket,
  serverKeepAlive: number | undefined,
  assignedClientId: string | undefined,
): Properties {
  const broker = conn.broker;
  const limits = broker.limits;
  const p: Properties = {};
  if (limits.maxInflight < DEFAULT_RECEIVE_MAXIMUM) p.receiveMaximum = limits.maxInflight;
  if (!broker.retainAvailable) p.retainAvailable = 0;
  if (limits.maxPacketSize < PROTOCOL_MAX_PACKET_SIZE) p.maximumPacketSize = limits.maxPacketSize;
  if (assignedClientId !== undefined) p.assignedClientIdentifier = assignedClientId; // [MQTT-3.2.2-16]
  p.topicAliasMaximum = limits.topicAliasMaximum;
  if (serverKeepAlive !== undefined) p.serverKeepAlive = serverKeepAlive;
  // [MQTT-3.1.2-28] Response Information only when asked for
  if (packet.properties?.requestResponseInformation === 1) p.responseInformation = `response/${conn.clientId}`;
  return p;
}
