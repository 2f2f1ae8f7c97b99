// The accepting side every listener shares: a net.Server on a host:port or a unix path, connection tracking
// for close(), optional PROXY protocol, and one reporting path for per-connection failures.
import { createServer, type Server, type Socket } from 'node:net';
import { describeTransportError, TransportError } from './errors.js';
import { readProxyHeader } from './proxy-protocol.js';
import type { ConnectionFacts, Listener, ListenerAddress, ProxiedBy, TransportKind, TransportLink, TransportLogger } from './types.js';

export interface CommonListenerOptions {
  /** Interface to bind; all interfaces when absent. */
  host?: string;
  /** 0 picks a free port (see address()). */
  port?: number;
  log?: TransportLogger;
  /** Called once per connection that fails at the transport layer (after the log line). */
  onError?: (facts: ConnectionFacts, err: TransportError) => void;
}

export interface ProxyOptions {
  /** Require a HAProxy PROXY v1/v2 header as the first bytes of every connection. */
  proxyProtocol?: boolean;
  proxyHeaderTimeoutMs?: number;
}

export const DEFAULT_PROXY_HEADER_TIMEOUT_MS = 5000;

/** What a listener knows about one accepted connection before the upper layer (TLS, HTTP, MQTT) runs. */
export interface Accepted {
  facts: ConnectionFacts;
  localAddress: string;
  localPort: number;
  proxiedBy?: ProxiedBy;
}

export type Reporter = (facts: ConnectionFacts, err: TransportError) => void;

export function makeReporter(opts: CommonListenerOptions): Reporter {
  return (facts, err) => {
    opts.log?.warn({ code: err.code, transport: facts.transport, listener: facts.listener, remote: `${facts.remoteAddress}:${facts.remotePort}` }, describeTransportError(facts, err));
    opts.onError?.(facts, err);
  };
}

/** '::ffff:127.0.0.1' (an IPv4 client on a dual-stack socket) reads better as '127.0.0.1'. */
export function plainAddress(address: string | undefined): string {
  if (!address) return '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice('::ffff:'.length) : address;
}

type Tracked = { destroy(): unknown; on(event: 'close', fn: (this: Tracked) => void): unknown };

/** Which set tracks an item: one shared 'close' handler, instead of a closure and a once() wrapper per socket. */
const trackedBy = new WeakMap<object, Set<Tracked>>();

function untrack(this: Tracked): void {
  trackedBy.get(this)?.delete(this);
}

/** Swallows socket errors: resets and broken pipes surface as 'close' to whoever owns the socket. */
function ignoreError(): void {}

/** Sockets (and upgraded WebSockets) a listener must drop on close(). */
export class ConnectionSet {
  private readonly items = new Set<Tracked>();

  add(item: Tracked): void {
    this.items.add(item);
    trackedBy.set(item, this.items);
    item.on('close', untrack);
  }

  destroyAll(): void {
    for (const item of this.items) item.destroy();
    this.items.clear();
  }
}

export interface FrontOptions extends CommonListenerOptions, ProxyOptions {
  kind: TransportKind;
  path?: string;
}

/**
 * A net.Server that accepts sockets, takes the PROXY header off them when asked to, and hands each one with
 * its facts to `onSocket`. Socket errors before or after hand-off are swallowed here (the owner sees 'close').
 */
export class SocketFront {
  readonly server: Server;
  readonly connections = new ConnectionSet();
  private readonly report: Reporter;

  constructor(
    private readonly opts: FrontOptions,
    private readonly onSocket: (socket: Socket, accepted: Accepted) => void,
  ) {
    this.report = makeReporter(opts);
    this.server = createServer({ noDelay: true }, (socket) => this.accept(socket));
  }

  get reporter(): Reporter {
    return this.report;
  }

  /** Set once listening: every connection's facts share this one string instead of building their own. */
  private listeningName: string | undefined;

  get name(): string {
    if (this.listeningName !== undefined) return this.listeningName;
    const a = this.address();
    if ('path' in a) return `${this.opts.kind}:${a.path}`;
    return `${this.opts.kind}:${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;
  }

  address(): ListenerAddress {
    if (this.opts.path !== undefined) return { path: this.opts.path };
    const a = this.server.address();
    if (a && typeof a === 'object') return { host: plainAddress(a.address), port: a.port };
    return { host: this.opts.host ?? '0.0.0.0', port: this.opts.port ?? 0 };
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      const done = (): void => {
        this.server.removeListener('error', reject);
        this.listeningName = undefined;
        this.listeningName = this.name;
        resolve();
      };
      if (this.opts.path !== undefined) this.server.listen(this.opts.path, done);
      else this.server.listen(this.opts.port ?? 0, this.opts.host, done);
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
      this.connections.destroyAll();
    });
  }

  factsOf(socket: Socket): ConnectionFacts {
    if (this.opts.kind === 'unix') return { transport: 'unix', listener: this.name, remoteAddress: 'unix', remotePort: 0 };
    return {
      transport: this.opts.kind,
      listener: this.name,
      remoteAddress: plainAddress(socket.remoteAddress),
      remotePort: socket.remotePort ?? 0,
    };
  }

  private accept(socket: Socket): void {
    this.connections.add(socket);
    // Unhandled, an 'error' would crash the process; a shared function, so no closure stays with the socket.
    socket.on('error', ignoreError);
    if (!this.opts.proxyProtocol) return this.handOff(socket, this.acceptedOf(socket));
    this.acceptProxied(socket);
  }

  private acceptedOf(socket: Socket): Accepted {
    const facts = this.factsOf(socket);
    if (this.opts.kind === 'unix') return { facts, localAddress: this.opts.path ?? '', localPort: 0 };
    return { facts, localAddress: plainAddress(socket.localAddress), localPort: socket.localPort ?? 0 };
  }

  /** Kept apart from accept(): its closures would otherwise keep every plain connection's scope alive. */
  private acceptProxied(socket: Socket): void {
    const { facts, ...local } = this.acceptedOf(socket);
    readProxyHeader(socket, this.opts.proxyHeaderTimeoutMs ?? DEFAULT_PROXY_HEADER_TIMEOUT_MS).then(
      (header) => {
        if (header.command === 'local' || !header.source || header.family === 'unknown') return this.handOff(socket, { facts, ...local });
        const proxiedBy: ProxiedBy = { via: header.version === 1 ? 'proxy-v1' : 'proxy-v2', address: facts.remoteAddress, port: facts.remotePort };
        const real = { ...facts, remoteAddress: header.source.address, remotePort: header.source.port };
        const dest = header.destination ? { localAddress: header.destination.address, localPort: header.destination.port } : local;
        this.handOff(socket, { facts: real, ...dest, proxiedBy });
      },
      (err: unknown) => {
        const e = err instanceof TransportError ? err : new TransportError('PROXY_HEADER_INVALID', String(err));
        // A TCP health check (connect, close, no bytes) is not bad input; do not log it.
        const silentProbe = e.code === 'PROXY_HEADER_INVALID' && socket.bytesRead === 0;
        if (!silentProbe) this.report(facts, e);
        socket.destroy();
      },
    );
  }

  private handOff(socket: Socket, accepted: Accepted): void {
    if (socket.destroyed) return;
    try {
      this.onSocket(socket, accepted);
    } catch (err) {
      this.report(accepted.facts, new TransportError('LINK_HANDLER_FAILED', err instanceof Error ? err.message : String(err), err));
      socket.destroy();
    }
  }
}

/**
 * The Listener every transport returns: a SocketFront plus the handler the transport calls for each link
 * (`setHandler` stores it), with optional steps before listening and after closing, and certificate reload.
 */
export function frontListener(
  front: SocketFront,
  transport: TransportKind,
  setHandler: (handler: (link: TransportLink) => void) => void,
  extra: { beforeListen?: () => Promise<void>; afterClose?: () => Promise<void>; reloadCertificates?: () => void } = {},
): Listener {
  return {
    get name() {
      return front.name;
    },
    transport,
    address: () => front.address(),
    async listen(handler) {
      setHandler(handler);
      await extra.beforeListen?.();
      await front.listen();
    },
    async close() {
      await front.close();
      await extra.afterClose?.();
    },
    ...(extra.reloadCertificates ? { reloadCertificates: extra.reloadCertificates } : {}),
  };
}
