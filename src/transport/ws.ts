// MQTT over WebSocket (ws) and over secure WebSocket (wss). Our own HTTP(S) server that never listens is fed
// sockets by a SocketFront, answers plain HTTP requests itself and passes upgrades through the WsGate.
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { frontListener, SocketFront, type Accepted } from './front.js';
import { HandshakeRecorder } from './tap.js';
import { serverTlsOptions, TlsBookkeeping, tlsFacts, validateTlsOptions, type TlsFileOptions, type WireStream } from './tls-context.js';
import type { Listener, TransportLink, TransportTlsFacts } from './types.js';
import { HANDSHAKE_RECORD_LIMIT, WsGate, type WsOptions } from './ws-upgrade.js';

export type WsListenerOptions = WsOptions;
export type WssListenerOptions = WsOptions & TlsFileOptions;

/** A browser's wss connection negotiates HTTP/1.1 by ALPN (WebSocket upgrades need it). */
const HTTP1_ALPN = 'http/1.1';

interface SocketState {
  accepted: Accepted;
  recorder?: HandshakeRecorder;
  tls?: TransportTlsFacts;
  wire?: WireStream;
}

export function createWsListener(opts: WsListenerOptions = {}): Listener {
  let onLink: ((link: TransportLink) => void) | null = null;
  const http = createHttpServer();
  const states = new WeakMap<Duplex, SocketState>();
  const front = new SocketFront({ ...opts, kind: 'ws' }, (socket, accepted) => {
    http.emit('connection', socket);
    // After the HTTP server has taken the socket, so our 'data' listener moves its parsing into JS.
    states.set(socket, { accepted, recorder: new HandshakeRecorder(socket, HANDSHAKE_RECORD_LIMIT) });
    gate.guardUpgrade(socket, accepted.facts);
  });
  const gate = new WsGate(opts, front.reporter, () => onLink);
  gate.attach(http, (s) => states.get(s)?.accepted);
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const st = states.get(req.socket);
    if (!st) return void socket.destroy();
    gate.upgrade(req, socket, head, { facts: st.accepted, plainSocket: req.socket, finishRecording: () => st.recorder?.finish() ?? [] });
  });
  return frontListener(front, 'ws', (handler) => (onLink = handler));
}

export function createWssListener(opts: WssListenerOptions): Listener {
  validateTlsOptions(opts);
  let onLink: ((link: TransportLink) => void) | null = null;
  const https = createHttpsServer(serverTlsOptions(opts, [HTTP1_ALPN]));
  const states = new WeakMap<Duplex, SocketState>();
  const front = new SocketFront({ ...opts, kind: 'wss' }, (socket, accepted) => book.feed(socket, accepted));
  const book = new TlsBookkeeping(https, opts, front.reporter, opts.log);
  // Before the HTTP layer sees the socket: the client-certificate policy.
  https.prependListener('secureConnection', (s: TLSSocket) => {
    const a = book.lookup(s);
    if (!a) return void s.destroy();
    s.on('error', () => undefined);
    front.connections.add(s);
    if (!book.admit(s, a)) return;
    states.set(s, { accepted: a, tls: tlsFacts(s), ...(a.wire ? { wire: a.wire } : {}) });
  });
  // After the HTTP layer took the socket (see createWsListener).
  https.on('secureConnection', (s: TLSSocket) => {
    const st = states.get(s);
    if (!st || s.destroyed) return;
    st.recorder = new HandshakeRecorder(s, HANDSHAKE_RECORD_LIMIT);
    gate.guardUpgrade(s, st.accepted.facts);
  });
  const gate = new WsGate(opts, front.reporter, () => onLink);
  gate.attach(https, (s) => states.get(s)?.accepted);
  https.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const st = states.get(req.socket);
    if (!st) return void socket.destroy();
    gate.upgrade(req, socket, head, {
      facts: st.accepted,
      plainSocket: req.socket,
      ...(st.tls ? { tls: st.tls } : {}),
      ...(st.wire ? { wire: st.wire } : {}),
      finishRecording: () => st.recorder?.finish() ?? [],
    });
  });
  return frontListener(front, 'wss', (handler) => (onLink = handler), { afterClose: () => book.close(), reloadCertificates: () => book.reload() });
}
