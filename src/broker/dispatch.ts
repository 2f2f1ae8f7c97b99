// Routes each decoded packet to the handler of its family; a packet a client may not send is a protocol error.
import { protocolError } from '../protocol/errors.js';
import type { Packet } from '../protocol/packets.js';
import type { Connection } from './connection.js';
import { handleConnect } from './handle-connect.js';
import { handlePublish } from './handle-publish.js';
import { handlePuback, handlePubcomp, handlePubrec, handlePubrel } from './handle-ack.js';
import { handleSubscribe } from './handle-subscribe.js';
import { handleUnsubscribe } from './handle-unsubscribe.js';
import { handlePingreq } from './handle-ping.js';
import { handleDisconnect } from './handle-disconnect.js';
import { handleAuth } from './handle-auth.js';

export function dispatchPacket(conn: Connection, packet: Packet): void {
  if (packet.type === 'connect') return handleConnect(conn, packet);
  // [MQTT-3.1.0-1] the first packet must be CONNECT; [MQTT-3.1.4-6] nothing is processed before it is accepted
  if (conn.state !== 'connected') {
    if (packet.type === 'auth') return handleAuth(conn, packet);
    throw protocolError('FIRST_PACKET_NOT_CONNECT', `${packet.type} before CONNECT was accepted`);
  }
  switch (packet.type) {
    case 'publish':
      return handlePublish(conn, packet);
    case 'puback':
      return handlePuback(conn, packet);
    case 'pubrec':
      return handlePubrec(conn, packet);
    case 'pubrel':
      return handlePubrel(conn, packet);
    case 'pubcomp':
      return handlePubcomp(conn, packet);
    case 'subscribe':
      return handleSubscribe(conn, packet);
    case 'unsubscribe':
      return handleUnsubscribe(conn, packet);
    case 'pingreq':
      return handlePingreq(conn);
    case 'disconnect':
      return handleDisconnect(conn, packet);
    case 'auth':
      return handleAuth(conn, packet);
    default:
      // CONNACK, SUBACK, UNSUBACK, PINGRESP travel only from server to client
      throw protocolError('SERVER_ONLY_PACKET', `a client may not send ${packet.type}`);
  }
}
