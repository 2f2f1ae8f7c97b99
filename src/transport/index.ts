// src/transport public surface: listeners that turn accepted connections into TransportLinks.
export type {
  ConnectionFacts,
  LinkTaps,
  Listener,
  ListenerAddress,
  ProxiedBy,
  TapDirection,
  TapListener,
  TapSource,
  TransportKind,
  TransportLink,
  TransportLinkInfo,
  TransportLogger,
  TransportTlsFacts,
} from './types.js';
export { TransportError, TRANSPORT_ERROR_CODES, describeTransportError, type TransportErrorCode } from './errors.js';
export type { CommonListenerOptions, ProxyOptions } from './front.js';
export { createTcpListener, type TcpListenerOptions } from './tcp.js';
export { createUnixListener, type UnixListenerOptions } from './unix.js';
export { createTlsListener, MQTT_ALPN, type TlsListenerOptions } from './tls.js';
export { createWsListener, createWssListener, type WsListenerOptions, type WssListenerOptions } from './ws.js';
export { MQTT_SUBPROTOCOLS, MAX_MQTT_PACKET_SIZE } from './ws-upgrade.js';
export type { KeylogConnection, KeylogListener, TlsFileOptions, TlsMinVersion } from './tls-context.js'; // [trace] onKeylog
export { KeyLog, keyLogFileFrom, keyLogWarning } from './keylog.js';
export { parseProxyHeader, type ProxyHeader, type ProxyParseResult } from './proxy-protocol.js';
export { DEFAULT_LISTENER_PORTS } from './defaults.js';
