// Typed MQTT control packets: a discriminated union on `type`, shared by every protocol level.
import type { Properties } from './properties.js';

/** Protocol level byte of CONNECT: 3 = MQTT 3.1 ("MQIsdp"), 4 = 3.1.1, 5 = 5.0. */
export type ProtocolVersion = 3 | 4 | 5;
export type QoS = 0 | 1 | 2;

export interface Will {
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  /** 5.0 Will Properties. */
  properties?: Properties;
}

export interface ConnectPacket {
  type: 'connect';
  protocolName: string;
  protocolVersion: ProtocolVersion;
  /** Clean Session (3.x) / Clean Start (5.0). */
  clean: boolean;
  keepalive: number;
  clientId: string;
  will?: Will;
  username?: string;
  password?: Buffer;
  properties?: Properties;
}

export interface ConnackPacket {
  type: 'connack';
  sessionPresent: boolean;
  /** 3.x return code or 5.0 reason code. */
  reasonCode: number;
  properties?: Properties;
}

export interface PublishPacket {
  type: 'publish';
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  dup: boolean;
  /** Present exactly when qos > 0. */
  packetId?: number;
  properties?: Properties;
}

/** PUBACK, PUBREC, PUBREL and PUBCOMP share one shape. */
export interface PubAckFamilyPacket<T extends 'puback' | 'pubrec' | 'pubrel' | 'pubcomp'> {
  type: T;
  packetId: number;
  /** 5.0 only; omitted on the wire when 0 and there are no properties. */
  reasonCode?: number;
  properties?: Properties;
}
export type PubackPacket = PubAckFamilyPacket<'puback'>;
export type PubrecPacket = PubAckFamilyPacket<'pubrec'>;
export type PubrelPacket = PubAckFamilyPacket<'pubrel'>;
export type PubcompPacket = PubAckFamilyPacket<'pubcomp'>;

export interface Subscription {
  topicFilter: string;
  qos: QoS;
  /** 5.0 subscription options; false / 0 for 3.x. */
  noLocal: boolean;
  retainAsPublished: boolean;
  retainHandling: 0 | 1 | 2;
}

export interface SubscribePacket {
  type: 'subscribe';
  packetId: number;
  subscriptions: Subscription[];
  properties?: Properties;
}

export interface SubackPacket {
  type: 'suback';
  packetId: number;
  /** 3.x return codes (0, 1, 2, 0x80) or 5.0 reason codes, one per subscription. */
  reasonCodes: number[];
  properties?: Properties;
}

export interface UnsubscribePacket {
  type: 'unsubscribe';
  packetId: number;
  topicFilters: string[];
  properties?: Properties;
}

export interface UnsubackPacket {
  type: 'unsuback';
  packetId: number;
  /** 5.0 only: one per topic filter. */
  reasonCodes?: number[];
  properties?: Properties;
}

export interface PingreqPacket { type: 'pingreq' }
export interface PingrespPacket { type: 'pingresp' }

export interface DisconnectPacket {
  type: 'disconnect';
  /** 5.0 only; omitted on the wire when 0 and there are no properties. */
  reasonCode?: number;
  properties?: Properties;
}

export interface AuthPacket {
  type: 'auth';
  reasonCode?: number;
  properties?: Properties;
}

export type Packet =
  | ConnectPacket | ConnackPacket | PublishPacket
  | PubackPacket | PubrecPacket | PubrelPacket | PubcompPacket
  | SubscribePacket | SubackPacket | UnsubscribePacket | UnsubackPacket
  | PingreqPacket | PingrespPacket | DisconnectPacket | AuthPacket;

export type PacketOf<T extends Packet['type']> = Extract<Packet, { type: T }>;
