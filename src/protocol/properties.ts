// MQTT 5.0 properties (spec 2.2.2.2): one table gives id, camelCase name, wire type and the packets allowed to carry each.
import type { PacketTypeName } from './constants.js';

export type PropertyType = 'byte' | 'twoByteInteger' | 'fourByteInteger' | 'varInt' | 'utf8String' | 'binaryData' | 'utf8StringPair';

/** Where a property may appear; 'will' means the Will Properties inside CONNECT. */
export type PropertyContext = PacketTypeName | 'will';

export interface PropertyDef {
  readonly id: number;
  readonly name: PropertyName;
  readonly label: string;
  readonly type: PropertyType;
  readonly contexts: readonly PropertyContext[];
}

export interface Properties {
  payloadFormatIndicator?: number;
  messageExpiryInterval?: number;
  contentType?: string;
  responseTopic?: string;
  correlationData?: Buffer;
  /** Several in a server-sent PUBLISH (one per matching subscription); at most one in SUBSCRIBE. */
  subscriptionIdentifiers?: number[];
  sessionExpiryInterval?: number;
  assignedClientIdentifier?: string;
  serverKeepAlive?: number;
  authenticationMethod?: string;
  authenticationData?: Buffer;
  requestProblemInformation?: number;
  willDelayInterval?: number;
  requestResponseInformation?: number;
  responseInformation?: string;
  serverReference?: string;
  reasonString?: string;
  receiveMaximum?: number;
  topicAliasMaximum?: number;
  topicAlias?: number;
  maximumQoS?: number;
  retainAvailable?: number;
  /** In wire order; names may repeat. */
  userProperties?: [string, string][];
  maximumPacketSize?: number;
  wildcardSubscriptionAvailable?: number;
  subscriptionIdentifiersAvailable?: number;
  sharedSubscriptionAvailable?: number;
}

export type PropertyName = keyof Properties;

const P = (id: number, name: PropertyName, label: string, type: PropertyType, contexts: PropertyContext[]): PropertyDef => ({
  id, name, label, type, contexts,
});

export const PROPERTY_DEFS: readonly PropertyDef[] = [
  P(0x01, 'payloadFormatIndicator', 'Payload Format Indicator', 'byte', ['publish', 'will']),
  P(0x02, 'messageExpiryInterval', 'Message Expiry Interval', 'fourByteInteger', ['publish', 'will']),
  P(0x03, 'contentType', 'Content Type', 'utf8String', ['publish', 'will']),
  P(0x08, 'responseTopic', 'Response Topic', 'utf8String', ['publish', 'will']),
  P(0x09, 'correlationData', 'Correlation Data', 'binaryData', ['publish', 'will']),
  P(0x0b, 'subscriptionIdentifiers', 'Subscription Identifier', 'varInt', ['publish', 'subscribe']),
  P(0x11, 'sessionExpiryInterval', 'Session Expiry Interval', 'fourByteInteger', ['connect', 'connack', 'disconnect']),
  P(0x12, 'assignedClientIdentifier', 'Assigned Client Identifier', 'utf8String', ['connack']),
  P(0x13, 'serverKeepAlive', 'Server Keep Alive', 'twoByteInteger', ['connack']),
  P(0x15, 'authenticationMethod', 'Authentication Method', 'utf8String', ['connect', 'connack', 'auth']),
  P(0x16, 'authenticationData', 'Authentication Data', 'binaryData', ['connect', 'connack', 'auth']),
  P(0x17, 'requestProblemInformation', 'Request Problem Information', 'byte', ['connect']),
  P(0x18, 'willDelayInterval', 'Will Delay Interval', 'fourByteInteger', ['will']),
  P(0x19, 'requestResponseInformation', 'Request Response Information', 'byte', ['connect']),
  P(0x1a, 'responseInformation', 'Response Information', 'utf8String', ['connack']),
  P(0x1c, 'serverReference', 'Server Reference', 'utf8String', ['connack', 'disconnect']),
  P(0x1f, 'reasonString', 'Reason String', 'utf8String',
    ['connack', 'puback', 'pubrec', 'pubrel', 'pubcomp', 'suback', 'unsuback', 'disconnect', 'auth']),
  P(0x21, 'receiveMaximum', 'Receive Maximum', 'twoByteInteger', ['connect', 'connack']),
  P(0x22, 'topicAliasMaximum', 'Topic Alias Maximum', 'twoByteInteger', ['connect', 'connack']),
  P(0x23, 'topicAlias', 'Topic Alias', 'twoByteInteger', ['publish']),
  P(0x24, 'maximumQoS', 'Maximum QoS', 'byte', ['connack']),
  P(0x25, 'retainAvailable', 'Retain Available', 'byte', ['connack']),
  P(0x26, 'userProperties', 'User Property', 'utf8StringPair',
    ['connect', 'connack', 'publish', 'will', 'puback', 'pubrec', 'pubrel', 'pubcomp', 'subscribe', 'suback',
      'unsubscribe', 'unsuback', 'disconnect', 'auth']),
  P(0x27, 'maximumPacketSize', 'Maximum Packet Size', 'fourByteInteger', ['connect', 'connack']),
  P(0x28, 'wildcardSubscriptionAvailable', 'Wildcard Subscription Available', 'byte', ['connack']),
  P(0x29, 'subscriptionIdentifiersAvailable', 'Subscription Identifier Available', 'byte', ['connack']),
  P(0x2a, 'sharedSubscriptionAvailable', 'Shared Subscription Available', 'byte', ['connack']),
];

export const PROPERTY_BY_ID: ReadonlyMap<number, PropertyDef> = new Map(PROPERTY_DEFS.map((d) => [d.id, d]));
export const PROPERTY_BY_NAME: ReadonlyMap<PropertyName, PropertyDef> = new Map(PROPERTY_DEFS.map((d) => [d.name, d]));

/** Properties that may appear more than once in one property list. */
export const REPEATABLE_PROPERTIES: ReadonlySet<PropertyName> = new Set(['userProperties', 'subscriptionIdentifiers']);
