// The --json line of one MQTT packet found in a capture: stable names (documented in docs/inspect.md),
// Buffers as base64, the password left out unless secrets are shown.
import { PACKET_TYPE_NAME, ProtocolError, decodePacket, type Packet, type Properties, type ProtocolVersion } from '../protocol/index.js';
import { readFixedHeader } from './mqtt-framer.js';
import type { MqttPacketEvent } from './capture-dissector.js';

const TYPE_SHIFT = 4;

export interface PacketDecodeResult {
  packet?: Packet;
  error?: ProtocolError;
  protocolVersion: ProtocolVersion;
}

/** Decodes a captured packet with the connection's version (a CONNECT carries its own). */
export function decodeCaptured(ev: MqttPacketEvent): PacketDecodeResult {
  try {
    const packet = decodePacket(ev.bytes, ev.protocolVersion);
    return { packet, protocolVersion: packet.type === 'connect' ? packet.protocolVersion : ev.protocolVersion };
  } catch (err) {
    if (err instanceof ProtocolError) return { error: err, protocolVersion: ev.protocolVersion };
    throw err;
  }
}

function jsonValue(v: unknown): unknown {
  if (Buffer.isBuffer(v)) return v.toString('base64');
  if (Array.isArray(v)) return v.map(jsonValue);
  return v;
}

export function propertiesJSON(p: Properties | undefined): Record<string, unknown> | undefined {
  if (!p) return undefined;
  const out: Record<string, unknown> = {};
  let any = false;
  for (const [k, v] of Object.entries(p)) {
    if (v === undefined) continue;
    out[k] = jsonValue(v);
    any = true;
  }
  return any ? out : undefined;
}

export interface JsonOptions {
  showSecrets?: boolean;
}

/** One JSON Lines object for one MQTT packet. */
export function packetJSON(ev: MqttPacketEvent, decoded: PacketDecodeResult, opts: JsonOptions = {}): Record<string, unknown> {
  const first = ev.bytes[0]!;
  const hdr = readFixedHeader(ev.bytes, 0);
  const typeName = PACKET_TYPE_NAME[first >> TYPE_SHIFT];
  const v5 = decoded.protocolVersion === 5;
  const o: Record<string, unknown> = {
    frame: ev.frame,
    time: ev.time,
    src: ev.src,
    dst: ev.dst,
    transport: ev.transport,
    connection: ev.connection.id,
    fromClient: ev.fromClient,
    type: typeName ? typeName.toUpperCase() : 'RESERVED',
    header: first,
    remainingLength: hdr && hdr !== 'more' ? hdr.remaining : undefined,
    protocolVersion: decoded.protocolVersion,
  };
  const p = decoded.packet;
  if (!p) {
    o.error = decoded.error?.message ?? 'undecodable';
    if (decoded.error) o.errorCode = decoded.error.code;
    return o;
  }
  switch (p.type) {
    case 'connect':
      o.clientId = p.clientId;
      o.keepalive = p.keepalive;
      o.clean = p.clean;
      if (p.username !== undefined) o.username = p.username;
      if (p.password !== undefined) o.password = opts.showSecrets ? p.password.toString('base64') : '********';
      if (p.will) {
        o.will = {
          topic: p.will.topic, qos: p.will.qos, retain: p.will.retain,
          payload: p.will.payload.toString('base64'), properties: propertiesJSON(p.will.properties),
        };
      }
      break;
    case 'connack':
      o.sessionPresent = p.sessionPresent;
      if (v5) o.reasonCode = p.reasonCode;
      else o.returnCode = p.reasonCode;
      break;
    case 'publish':
      o.topic = p.topic;
      o.qos = p.qos;
      o.retain = p.retain;
      o.dup = p.dup;
      if (p.packetId !== undefined) o.packetId = p.packetId;
      o.payloadLength = p.payload.length;
      o.payload = p.payload.toString('base64');
      break;
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
      o.packetId = p.packetId;
      if (v5) o.reasonCode = p.reasonCode ?? 0;
      break;
    case 'subscribe':
      o.packetId = p.packetId;
      o.subscriptions = p.subscriptions.map((s) => ({
        topicFilter: s.topicFilter, qos: s.qos, noLocal: s.noLocal, retainAsPublished: s.retainAsPublished, retainHandling: s.retainHandling,
      }));
      break;
    case 'suback':
      o.packetId = p.packetId;
      o.reasonCodes = p.reasonCodes;
      break;
    case 'unsubscribe':
      o.packetId = p.packetId;
      o.topicFilters = p.topicFilters;
      break;
    case 'unsuback':
      o.packetId = p.packetId;
      if (p.reasonCodes) o.reasonCodes = p.reasonCodes;
      break;
    case 'disconnect':
    case 'auth':
      if (v5) o.reasonCode = p.reasonCode ?? 0;
      break;
    case 'pingreq':
    case 'pingresp':
      break;
  }
  const props = 'properties' in p ? propertiesJSON(p.properties) : undefined;
  if (props) o.properties = props;
  return o;
}
