// MQTT over TLS. A net.Server accepts (so a PROXY header can come off first) and feeds sockets to a
// tls.Server that never listens itself; setSecureContext swaps certificates for new handshakes only.
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { frontListener, SocketFront, type CommonListenerOptions, type ProxyOptions } from './front.js';
import { StreamTap } from './tap.js';
import { serverTlsOptions, TlsBookkeeping, tlsFacts, validateTlsOptions, type TlsFileOptions } from './tls-context.js';
import type { Listener, TransportLink } from './types.js';

export type TlsListenerOptions = CommonListenerOptions & ProxyOptions & TlsFileOptions;

/** ALPN protocol id for MQTT (IANA registry). */
export const MQTT_ALPN = 'mqtt';

export function createTlsListener(opts: TlsListenerOptions): Listener {
  validateTlsOptions(opts);
  let onLink: ((link: TransportLink) => void) | null = null;
  const tlsServer = createTlsServer(serverTlsOptions(opts, [MQTT_ALPN]));
  const front = new SocketFront({ ...opts, kind: 'tls' }, (socket, accepted) => book.feed(socket, accepted));
  const book = new TlsBookkeeping(tlsServer, opts, front.reporter, opts.log);

  tlsServer.on('secureConnection', (s: TLSSocket) => {
    const a = book.lookup(s);
    if (!a) return void s.destroy();
    s.on('error', () => undefined);
    front.connections.add(s);
    if (!book.admit(s, a)) return;
    const plain = new StreamTap(s);
    const link: TransportLink = {
      stream: s,
      info: {
        ...a.facts,
        localAddress: a.localAddress,
        localPort: a.localPort,
        tls: tlsFacts(s),
        ...(a.proxiedBy ? { proxiedBy: a.proxiedBy } : {}),
      },
      // [trace] the wire tap replays the handshake recorded so far, so a capture can decrypt what follows
      tap: a.wire ? { wire: new StreamTap(a.wire, a.wire.finishRecording()), plain } : { plain },
    };
    onLink?.(link);
  });

  return frontListener(front, 'tls', (handler) => (onLink = handler), { afterClose: () => book.close(), reloadCertificates: () => book.reload() });
}
