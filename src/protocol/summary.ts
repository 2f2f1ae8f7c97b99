// One line per packet, for traces and logs: "PUBLISH q1 id=7 retain "a/b" 5 B "hello"".
import { CONNECT_RETURN_CODE_NAMES, VERSION_LABEL, reasonCodeName, type PacketTypeName } from './constants.js';
import type { Packet, ProtocolVersion } from './packets.js';
import type { Properties } from './properties.js';
import { displayBytes } from './reader.js';

const PREVIEW_BYTES = 32;

function rc(code: number, packet: PacketTypeName, version: ProtocolVersion | undefined): string {
  const hex = `0x${code.toString(16).padStart(2, '0')}`;
  if (version !== 5 && packet === 'connack') return `rc=${code} (${CONNECT_RETURN_CODE_NAMES[code] ?? 'reserved'})`;
  if (version !== 5 && packet === 'suback') return hex;
  return `${hex} (${reasonCodeName(code, packet)})`;
}

function props(p: Properties | undefined): string {
  if (!p) return '';
  const names = Object.keys(p).filter((k) => (p as Record<string, unknown>)[k] !== undefined);
  return names.length ? ` props=[${names.join(',')}]` : '';
}

function preview(payload: Buffer): string {
  if (payload.length === 0) return '0 B';
  const shown = displayBytes(payload.subarray(0, PREVIEW_BYTES));
  const cut = payload.length > PREVIEW_BYTES ? '...' : '';
  return `${payload.length} B ${shown.replace(/ \(\d+ bytes?\)$/, '')}${cut}`;
}

export function summarizePacket(p: Packet, version?: ProtocolVersion): string {
  switch (p.type) {
    case 'connect': {
      const parts = [`CONNECT MQTT ${VERSION_LABEL[p.protocolVersion]} client="${p.clientId}"`, p.clean ? 'clean' : 'resume', `keepalive=${p.keepalive}s`];
      if (p.username !== undefined) parts.push(`user="${p.username}"`);
      if (p.password !== undefined) parts.push('password=********');
      if (p.will) parts.push(`will="${p.will.topic}" q${p.will.qos}${p.will.retain ? ' retain' : ''}`);
      return parts.join(' ') + props(p.properties);
    }
    case 'connack':
      return `CONNACK ${rc(p.reasonCode, 'connack', version)}${p.sessionPresent ? ' session-present' : ''}${props(p.properties)}`;
    case 'publish':
      return `PUBLISH q${p.qos}${p.packetId !== undefined ? ` id=${p.packetId}` : ''}${p.dup ? ' dup' : ''}${p.retain ? ' retain' : ''} "${p.topic}" ${preview(p.payload)}${props(p.properties)}`;
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
      return `${p.type.toUpperCase()} id=${p.packetId}${p.reasonCode !== undefined ? ` ${rc(p.reasonCode, p.type, 5)}` : ''}${props(p.properties)}`;
    case 'subscribe':
      return `SUBSCRIBE id=${p.packetId} ${p.subscriptions.map((s) => `"${s.topicFilter}" q${s.qos}${s.noLocal ? ' nl' : ''}${s.retainAsPublished ? ' rap' : ''}${s.retainHandling ? ` rh${s.retainHandling}` : ''}`).join(', ')}${props(p.properties)}`;
    case 'suback':
      return `SUBACK id=${p.packetId} [${p.reasonCodes.map((c) => rc(c, 'suback', version)).join(', ')}]${props(p.properties)}`;
    case 'unsubscribe':
      return `UNSUBSCRIBE id=${p.packetId} ${p.topicFilters.map((f) => `"${f}"`).join(', ')}${props(p.properties)}`;
    case 'unsuback':
      return `UNSUBACK id=${p.packetId}${p.reasonCodes ? ` [${p.reasonCodes.map((c) => rc(c, 'unsuback', 5)).join(', ')}]` : ''}${props(p.properties)}`;
    case 'pingreq':
      return 'PINGREQ';
    case 'pingresp':
      return 'PINGRESP';
    case 'disconnect':
      return `DISCONNECT${p.reasonCode !== undefined ? ` ${rc(p.reasonCode, 'disconnect', 5)}` : ''}${props(p.properties)}`;
    case 'auth':
      return `AUTH${p.reasonCode !== undefined ? ` ${rc(p.reasonCode, 'auth', 5)}` : ''}${props(p.properties)}`;
  }
}
