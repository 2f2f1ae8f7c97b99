// Wire numbers for the raw-byte test oracle. Deliberately a separate copy of the spec tables (not an
// import from src/protocol), so a wrong table in the codec cannot make its own tests agree with it.

/** Protocol level byte of CONNECT under test: 4 = MQTT 3.1.1, 5 = MQTT 5.0 (3 = 3.1 for a few tests). */
export type Level = 3 | 4 | 5;

export const LEVEL_311 = 4;
export const LEVEL_5 = 5;

/** Control packet types, fixed header bits 7-4 (spec 2.1.2). */
export const T = {
  CONNECT: 1,
  CONNACK: 2,
  PUBLISH: 3,
  PUBACK: 4,
  PUBREC: 5,
  PUBREL: 6,
  PUBCOMP: 7,
  SUBSCRIBE: 8,
  SUBACK: 9,
  UNSUBSCRIBE: 10,
  UNSUBACK: 11,
  PINGREQ: 12,
  PINGRESP: 13,
  DISCONNECT: 14,
  AUTH: 15,
} as const;

export type TypeName = keyof typeof T;

export const TYPE_NAME: Readonly<Record<number, TypeName>> = Object.fromEntries(
  Object.entries(T).map(([name, code]) => [code, name as TypeName]),
);

/** Fixed-header flags the spec requires for PUBREL, SUBSCRIBE and UNSUBSCRIBE (0b0010). */
export const FLAGS_0010 = 0b0010;

/** MQTT 5.0 reason codes used by the tests (spec 2.4). */
export const RC = {
  Success: 0x00,
  GrantedQoS1: 0x01,
  GrantedQoS2: 0x02,
  DisconnectWithWill: 0x04,
  NoMatchingSubscribers: 0x10,
  NoSubscriptionExisted: 0x11,
  UnspecifiedError: 0x80,
  MalformedPacket: 0x81,
  ProtocolError: 0x82,
  UnsupportedProtocolVersion: 0x84,
  ClientIdNotValid: 0x85,
  BadUserNameOrPassword: 0x86,
  NotAuthorized: 0x87,
  ServerBusy: 0x89,
  ServerShuttingDown: 0x8b,
  KeepAliveTimeout: 0x8d,
  SessionTakenOver: 0x8e,
  TopicFilterInvalid: 0x8f,
  TopicNameInvalid: 0x90,
  PacketIdInUse: 0x91,
  PacketIdNotFound: 0x92,
  ReceiveMaximumExceeded: 0x93,
  TopicAliasInvalid: 0x94,
  PacketTooLarge: 0x95,
  QuotaExceeded: 0x97,
  PayloadFormatInvalid: 0x99,
  RetainNotSupported: 0x9a,
  QoSNotSupported: 0x9b,
} as const;

/** MQTT 3.1.1 CONNACK return codes (spec 3.2.2.3) and the SUBACK failure code (3.9.3). */
export const RC311 = {
  Accepted: 0,
  UnacceptableProtocolVersion: 1,
  IdentifierRejected: 2,
  ServerUnavailable: 3,
  BadUserNameOrPassword: 4,
  NotAuthorized: 5,
  SubackFailure: 0x80,
} as const;

export type PropType = 'byte' | 'u16' | 'u32' | 'varint' | 'string' | 'binary' | 'pair';

/** MQTT 5.0 properties (spec 2.2.2.2): id and wire type per camelCase name. */
export const PROPS = {
  payloadFormatIndicator: { id: 0x01, type: 'byte' },
  messageExpiryInterval: { id: 0x02, type: 'u32' },
  contentType: { id: 0x03, type: 'string' },
  responseTopic: { id: 0x08, type: 'string' },
  correlationData: { id: 0x09, type: 'binary' },
  subscriptionIdentifier: { id: 0x0b, type: 'varint' },
  sessionExpiryInterval: { id: 0x11, type: 'u32' },
  assignedClientIdentifier: { id: 0x12, type: 'string' },
  serverKeepAlive: { id: 0x13, type: 'u16' },
  authenticationMethod: { id: 0x15, type: 'string' },
  authenticationData: { id: 0x16, type: 'binary' },
  requestProblemInformation: { id: 0x17, type: 'byte' },
  willDelayInterval: { id: 0x18, type: 'u32' },
  requestResponseInformation: { id: 0x19, type: 'byte' },
  responseInformation: { id: 0x1a, type: 'string' },
  serverReference: { id: 0x1c, type: 'string' },
  reasonString: { id: 0x1f, type: 'string' },
  receiveMaximum: { id: 0x21, type: 'u16' },
  topicAliasMaximum: { id: 0x22, type: 'u16' },
  topicAlias: { id: 0x23, type: 'u16' },
  maximumQoS: { id: 0x24, type: 'byte' },
  retainAvailable: { id: 0x25, type: 'byte' },
  userProperty: { id: 0x26, type: 'pair' },
  maximumPacketSize: { id: 0x27, type: 'u32' },
  wildcardSubscriptionAvailable: { id: 0x28, type: 'byte' },
  subscriptionIdentifierAvailable: { id: 0x29, type: 'byte' },
  sharedSubscriptionAvailable: { id: 0x2a, type: 'byte' },
} as const satisfies Record<string, { id: number; type: PropType }>;

export type PropName = keyof typeof PROPS;

export const PROP_BY_ID: ReadonlyMap<number, { name: PropName; type: PropType }> = new Map(
  Object.entries(PROPS).map(([name, d]) => [d.id, { name: name as PropName, type: d.type }]),
);

/** Largest value of a Variable Byte Integer (spec 1.5.5). */
export const VARINT_MAX = 268_435_455;
