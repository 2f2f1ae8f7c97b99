// Transport failures as values with stable codes; one log line per failed connection is built from them.
import type { ConnectionFacts } from './types.js';

export const TRANSPORT_ERROR_CODES = [
  'TLS_HANDSHAKE_FAILED',
  'HTTP_NOT_UPGRADE',
  'HTTP_BAD_REQUEST',
  'HTTP_BAD_UPGRADE',
  'HTTP_TIMEOUT',
  'WS_BAD_PATH',
  'WS_ORIGIN_REFUSED',
  'WS_BAD_SUBPROTOCOL',
  'WS_TEXT_FRAME',
  'WS_FRAME_TOO_LARGE',
  'WS_PROTOCOL_ERROR',
  'WS_PING_TIMEOUT',
  'PROXY_HEADER_INVALID',
  'PROXY_HEADER_TIMEOUT',
  'SOCKET_ERROR',
  'LINK_HANDLER_FAILED',
] as const;

export type TransportErrorCode = (typeof TRANSPORT_ERROR_CODES)[number];

export class TransportError extends Error {
  override readonly name = 'TransportError';
  constructor(
    readonly code: TransportErrorCode,
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

export function describeConnection(facts: ConnectionFacts): string {
  const remote = facts.remoteAddress.includes(':') ? `[${facts.remoteAddress}]` : facts.remoteAddress;
  const who = facts.transport === 'unix' ? 'unix client' : `${remote}:${facts.remotePort}`;
  return `${who} on ${facts.listener}`;
}

/** The one log line for a connection that failed at the transport layer. */
export function describeTransportError(facts: ConnectionFacts, err: TransportError): string {
  return `${facts.transport} connection from ${describeConnection(facts)} failed: ${err.code}: ${err.message}`;
}
