// Plain TCP listener: the socket itself is the link's byte stream.
import type { Socket } from 'node:net';
import { frontListener, SocketFront, type Accepted, type CommonListenerOptions, type ProxyOptions } from './front.js';
import { StreamTap } from './tap.js';
import type { Listener, TransportLink } from './types.js';

export type TcpListenerOptions = CommonListenerOptions & ProxyOptions;

export function socketLink(socket: Socket, accepted: Accepted): TransportLink {
  const tap = new StreamTap(socket);
  return {
    stream: socket,
    info: {
      ...accepted.facts,
      localAddress: accepted.localAddress,
      localPort: accepted.localPort,
      ...(accepted.proxiedBy ? { proxiedBy: accepted.proxiedBy } : {}),
    },
    // Under no TLS the wire bytes are the MQTT bytes: one source serves both.
    tap: { wire: tap, plain: tap },
  };
}

export function createTcpListener(opts: TcpListenerOptions = {}): Listener {
  let onLink: ((link: TransportLink) => void) | null = null;
  const front = new SocketFront({ ...opts, kind: 'tcp' }, (socket, accepted) => onLink?.(socketLink(socket, accepted)));
  return frontListener(front, 'tcp', (handler) => (onLink = handler));
}
