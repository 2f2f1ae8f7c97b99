// Wire constants of MQTT 3.1 / 3.1.1 / 5.0 as tables; every reverse lookup is derived from them.

export const PROTOCOL_LEVEL = { 'MQTT 3.1': 3, 'MQTT 3.1.1': 4, 'MQTT 5.0': 5 } as const;

/** Protocol name expected for each protocol level in CONNECT. */
export const PROTOCOL_NAME_BY_LEVEL: Readonly<Record<number, string>> = { 3: 'MQIsdp', 4: 'MQTT', 5: 'MQTT' };

export const VERSION_LABEL: Readonly<Record<number, string>> = { 3: '3.1', 4: '3.1.1', 5: '5.0' };

/** Control packet types (fixed header bits 7-4). */
export const PACKET_TYPE = {
  connect: 1,
  connack: 2,
  publish: 3,
  puback: 4,
  pubrec: 5,
  pubrel: 6,
  pubcomp: 7,
  subscribe: 8,
  suback: 9,
  unsubscribe: 10,
  unsuback: 11,
  pingreq: 12,
  pingresp: 13,
  disconnect: 14,
  auth: 15,
} as const;

export type PacketTypeName = keyof typeof PACKET_TYPE;

export const PACKET_TYPE_NAME: Readonly<Record<number, PacketTypeName>> = Object.fromEntries(
  Object.entries(PACKET_TYPE).map(([name, code]) => [code, name as PacketTypeName]),
);

/**
 * Required fixed-header flag bits (bits 3-0) per packet type; PUBLISH's flags carry DUP/QoS/RETAIN
 * and are validated separately. [MQTT-2.1.3-1] (5.0) / [MQTT-2.2.2-1] (3.1.1)
 */
export const REQUIRED_FLAGS: Readonly<Record<number, number>> = {
  1: 0b0000, 2: 0b0000, 4: 0b0000, 5: 0b0000, 6: 0b0010, 7: 0b0000,
  8: 0b0010, 9: 0b0000, 10: 0b0010, 11: 0b0000, 12: 0b0000, 13: 0b0000, 14: 0b0000, 15: 0b0000,
};

/** MQTT 5.0 reason codes (one code may have different names in different packets). */
export const ReasonCode = {
  Success: 0x00,
  NormalDisconnection: 0x00,
  GrantedQoS0: 0x00,
  GrantedQoS1: 0x01,
  GrantedQoS2: 0x02,
  DisconnectWithWillMessage: 0x04,
  NoMatchingSubscribers: 0x10,
  NoSubscriptionExisted: 0x11,
  ContinueAuthentication: 0x18,
  ReAuthenticate: 0x19,
  UnspecifiedError: 0x80,
  MalformedPacket: 0x81,
  ProtocolError: 0x82,
  ImplementationSpecificError: 0x83,
  UnsupportedProtocolVersion: 0x84,
  ClientIdentifierNotValid: 0x85,
  BadUserNameOrPassword: 0x86,
  NotAuthorized: 0x87,
  ServerUnavailable: 0x88,
  ServerBusy: 0x89,
  Banned: 0x8a,
  ServerShuttingDown: 0x8b,
  BadAuthenticationMethod: 0x8c,
  KeepAliveTimeout: 0x8d,
  SessionTakenOver: 0x8e,
  TopicFilterInvalid: 0x8f,
  TopicNameInvalid: 0x90,
  PacketIdentifierInUse: 0x91,
  PacketIdentifierNotFound: 0x92,
  ReceiveMaximumExceeded: 0x93,
  TopicAliasInvalid: 0x94,
  PacketTooLarge: 0x95,
  MessageRateTooHigh: 0x96,
  QuotaExceeded: 0x97,
  AdministrativeAction: 0x98,
  PayloadFormatInvalid: 0x99,
  RetainNotSupported: 0x9a,
  QoSNotSupported: 0x9b,
  UseAnotherServer: 0x9c,
  ServerMoved: 0x9d,
  SharedSubscriptionsNotSupported: 0x9e,
  ConnectionRateExceeded: 0x9f,
  MaximumConnectTime: 0xa0,
  SubscriptionIdentifiersNotSupported: 0xa1,
  WildcardSubscriptionsNotSupported: 0xa2,
} as const;

/** Human names of each 5.0 reason code, per packet type that may carry it (spec section 2.4, table 2-6). */
export const REASON_CODE_NAMES: Readonly<Record<number, { name: string; packets: readonly PacketTypeName[] }[]>> = {
  0x00: [
    { name: 'Success', packets: ['connack', 'puback', 'pubrec', 'pubrel', 'pubcomp', 'unsuback', 'auth'] },
    { name: 'Normal disconnection', packets: ['disconnect'] },
    { name: 'Granted QoS 0', packets: ['suback'] },
  ],
  0x01: [{ name: 'Granted QoS 1', packets: ['suback'] }],
  0x02: [{ name: 'Granted QoS 2', packets: ['suback'] }],
  0x04: [{ name: 'Disconnect with Will Message', packets: ['disconnect'] }],
  0x10: [{ name: 'No matching subscribers', packets: ['puback', 'pubrec'] }],
  0x11: [{ name: 'No subscription existed', packets: ['unsuback'] }],
  0x18: [{ name: 'Continue authentication', packets: ['auth'] }],
  0x19: [{ name: 'Re-authenticate', packets: ['auth'] }],
  0x80: [{ name: 'Unspecified error', packets: ['connack', 'puback', 'pubrec', 'suback', 'unsuback', 'disconnect'] }],
  0x81: [{ name: 'Malformed Packet', packets: ['connack', 'disconnect'] }],
  0x82: [{ name: 'Protocol Error', packets: ['connack', 'disconnect'] }],
  0x83: [{ name: 'Implementation specific error', packets: ['connack', 'puback', 'pubrec', 'suback', 'unsuback', 'disconnect'] }],
  0x84: [{ name: 'Unsupported Protocol Version', packets: ['connack'] }],
  0x85: [{ name: 'Client Identifier not valid', packets: ['connack'] }],
  0x86: [{ name: 'Bad User Name or Password', packets: ['connack'] }],
  0x87: [{ name: 'Not authorized', packets: ['connack', 'puback', 'pubrec', 'suback', 'unsuback', 'disconnect'] }],
  0x88: [{ name: 'Server unavailable', packets: ['connack'] }],
  0x89: [{ name: 'Server busy', packets: ['connack', 'disconnect'] }],
  0x8a: [{ name: 'Banned', packets: ['connack'] }],
  0x8b: [{ name: 'Server shutting down', packets: ['disconnect'] }],
  0x8c: [{ name: 'Bad authentication method', packets: ['connack', 'disconnect'] }],
  0x8d: [{ name: 'Keep Alive timeout', packets: ['disconnect'] }],
  0x8e: [{ name: 'Session taken over', packets: ['disconnect'] }],
  0x8f: [{ name: 'Topic Filter invalid', packets: ['suback', 'unsuback', 'disconnect'] }],
  0x90: [{ name: 'Topic Name invalid', packets: ['connack', 'puback', 'pubrec', 'disconnect'] }],
  0x91: [{ name: 'Packet Identifier in use', packets: ['puback', 'pubrec', 'suback', 'unsuback'] }],
  0x92: [{ name: 'Packet Identifier not found', packets: ['pubrel', 'pubcomp'] }],
  0x93: [{ name: 'Receive Maximum exceeded', packets: ['disconnect'] }],
  0x94: [{ name: 'Topic Alias invalid', packets: ['disconnect'] }],
  0x95: [{ name: 'Packet too large', packets: ['connack', 'disconnect'] }],
  0x96: [{ name: 'Message rate too high', packets: ['disconnect'] }],
  0x97: [{ name: 'Quota exceeded', packets: ['connack', 'puback', 'pubrec', 'suback', 'disconnect'] }],
  0x98: [{ name: 'Administrative action', packets: ['disconnect'] }],
  0x99: [{ name: 'Payload format invalid', packets: ['connack', 'puback', 'pubrec', 'disconnect'] }],
  0x9a: [{ name: 'Retain not supported', packets: ['connack', 'disconnect'] }],
  0x9b: [{ name: 'QoS not supported', packets: ['connack', 'disconnect'] }],
  0x9c: [{ name: 'Use another server', packets: ['connack', 'disconnect'] }],
  0x9d: [{ name: 'Server moved', packets: ['connack', 'disconnect'] }],
  0x9e: [{ name: 'Shared Subscriptions not supported', packets: ['suback', 'disconnect'] }],
  0x9f: [{ name: 'Connection rate exceeded', packets: ['connack', 'disconnect'] }],
  0xa0: [{ name: 'Maximum connect time', packets: ['disconnect'] }],
  0xa1: [{ name: 'Subscription Identifiers not supported', packets: ['suback', 'disconnect'] }],
  0xa2: [{ name: 'Wildcard Subscriptions not supported', packets: ['suback', 'disconnect'] }],
};

/** The reason codes each 5.0 packet type may carry; anything else is a Malformed Packet. */
export const VALID_REASON_CODES: Readonly<Record<string, ReadonlySet<number>>> = (() => {
  const byPacket: Record<string, Set<number>> = {};
  for (const [code, names] of Object.entries(REASON_CODE_NAMES)) {
    for (const { packets } of names) for (const p of packets) (byPacket[p] ??= new Set()).add(Number(code));
  }
  return byPacket;
})();

export function reasonCodeName(code: number, packet?: PacketTypeName): string {
  const names = REASON_CODE_NAMES[code];
  if (!names) return `Unknown reason code 0x${code.toString(16).padStart(2, '0')}`;
  return (packet && names.find((n) => n.packets.includes(packet))?.name) || names[0]!.name;
}

/** MQTT 3.1 / 3.1.1 CONNACK return codes. */
export const ConnectReturnCode = {
  Accepted: 0,
  UnacceptableProtocolVersion: 1,
  IdentifierRejected: 2,
  ServerUnavailable: 3,
  BadUserNameOrPassword: 4,
  NotAuthorized: 5,
} as const;

export const CONNECT_RETURN_CODE_NAMES: Readonly<Record<number, string>> = {
  0: 'Connection Accepted',
  1: 'Connection Refused: unacceptable protocol version',
  2: 'Connection Refused: identifier rejected',
  3: 'Connection Refused: server unavailable',
  4: 'Connection Refused: bad user name or password',
  5: 'Connection Refused: not authorised',
};

/** 3.1.1 SUBACK failure return code. */
export const SUBACK_FAILURE = 0x80;
