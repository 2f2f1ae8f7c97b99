// Errors are values with a stable code (asserted by tests) and the MQTT reason code the spec names.
import { ReasonCode } from './constants.js';

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  constructor(
    /** Stable machine-readable code, e.g. 'MALFORMED_REMAINING_LENGTH'. */
    readonly code: string,
    /** 5.0 reason code for CONNACK / DISCONNECT (0x81 Malformed Packet, 0x82 Protocol Error, ...). */
    readonly reasonCode: number = ReasonCode.MalformedPacket,
    detail?: string,
    /** Byte offset within the packet where the problem was found, when known. */
    readonly offset?: number,
  ) {
    super(detail ? `${code}: ${detail}` : code);
  }
}

export function malformed(code: string, detail?: string, offset?: number): ProtocolError {
  return new ProtocolError(code, ReasonCode.MalformedPacket, detail, offset);
}

export function protocolError(code: string, detail?: string, offset?: number): ProtocolError {
  return new ProtocolError(code, ReasonCode.ProtocolError, detail, offset);
}
