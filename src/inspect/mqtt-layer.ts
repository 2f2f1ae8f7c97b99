// The top of a connection's stack: two framers (one per direction) and the protocol version both share,
// learned from the client's CONNECT.
import type { ProtocolVersion } from '../protocol/packets.js';
import { PACKET_TYPE } from '../protocol/constants.js';
import type { DuplexConsumer, NoteSink } from './duplex.js';
import { MqttFramer, readFixedHeader } from './mqtt-framer.js';

export type Transport = 'tcp' | 'ws' | 'tls' | 'wss';

export interface MqttBytes {
  fromClient: boolean;
  bytes: Buffer;
  protocolVersion: ProtocolVersion;
  transport: Transport;
}

/** Assumed until a CONNECT says otherwise (a capture that starts mid-connection). */
export const DEFAULT_PROTOCOL_VERSION: ProtocolVersion = 4;

/** Protocol level byte of a CONNECT packet, if it is one of the three MQTT versions. */
export function connectLevel(bytes: Buffer): ProtocolVersion | undefined {
  if (bytes[0] !== PACKET_TYPE.connect << 4) return undefined;
  const h = readFixedHeader(bytes, 0);
  if (h === null || h === 'more') return undefined;
  const o = h.headerLength;
  if (bytes.length < o + 2) return undefined;
  const level = bytes[o + 2 + bytes.readUInt16BE(o)];
  return level === 3 || level === 4 || level === 5 ? level : undefined;
}

export class MqttLayer implements DuplexConsumer {
  protocolVersion: ProtocolVersion | undefined;
  private readonly framers: [MqttFramer, MqttFramer];

  constructor(
    readonly transport: Transport,
    private readonly emit: (p: MqttBytes) => void,
    private readonly note: NoteSink,
    startMidStream: boolean,
  ) {
    const make = (fromClient: boolean): MqttFramer =>
      new MqttFramer({
        packet: (bytes) => this.packet(fromClient, bytes),
        problem: (code, message) =>
          this.note({ level: code === 'RESYNC' ? 'warning' : 'error', layer: 'mqtt', code, message, fromClient }),
      });
    this.framers = [make(false), make(true)];
    if (startMidStream) for (const f of this.framers) f.startResyncing();
  }

  private packet(fromClient: boolean, bytes: Buffer): void {
    if (fromClient) {
      const level = connectLevel(bytes);
      if (level) this.protocolVersion = level;
    }
    this.emit({ fromClient, bytes, protocolVersion: this.protocolVersion ?? DEFAULT_PROTOCOL_VERSION, transport: this.transport });
  }

  data(fromClient: boolean, chunk: Buffer): void {
    this.framers[fromClient ? 1 : 0].push(chunk);
  }

  gap(fromClient: boolean, bytes: number): void {
    if (bytes > 0) this.note({ level: 'warning', layer: 'mqtt', code: 'GAP', message: `gap of ${bytes} bytes; resynchronising at the next plausible MQTT packet`, fromClient });
    this.framers[fromClient ? 1 : 0].gap(bytes);
  }

  end(fromClient: boolean): void {
    const left = this.framers[fromClient ? 1 : 0].end();
    if (left > 0) this.note({ level: 'error', layer: 'mqtt', code: 'TRUNCATED_PACKET', message: `stream ended inside a packet (${left} bytes never completed)`, fromClient });
  }
}
