// The HTTP side of MQTT over WebSocket, shared by ws and wss: what a plain request gets, which upgrades are
// refused (path, origin, subprotocol), and the link built from an accepted one.
import { STATUS_CODES, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { TransportError, type TransportErrorCode } from './errors.js';
import type { Accepted, CommonListenerOptions, Reporter } from './front.js';
import { plainAddress } from './front.js';
import type { RecordedChunk } from './tap.js';
import { StreamTap } from './tap.js';
import type { WireStream } from './tls-context.js'; // [trace] its recorded handshake becomes the wire tap's replay
import type { ConnectionFacts, LinkTaps, TransportLink, TransportTlsFacts } from './types.js';
import { WsStream } from './ws-stream.js';

/** [MQTT-6.0.0-3] 'mqtt' for 3.1.1 and 5.0; 'mqttv3.1' is what 3.1 clients (and MQTT.js for v3) offer. */
export const MQTT_SUBPROTOCOLS = ['mqtt', 'mqttv3.1', 'mqttv3.1.1'] as const;
/** Largest MQTT packet: 1 type byte + 4 remaining-length bytes + 268,435,455 bytes. */
export const MAX_MQTT_PACKET_SIZE = 1 + 4 + 268_435_455;
/** How much of the HTTP upgrade exchange a link keeps for taps that subscribe later. */
export const HANDSHAKE_RECORD_LIMIT = 16 * 1024;

export interface WsOptions extends CommonListenerOptions {
  /** Only this URL path upgrades (e.g. '/mqtt'); any path when absent. */
  wsPath?: string;
  /** Allowed Origin header values; any origin (or none) when absent. */
  origins?: string[];
  /** Take the client address from X-Forwarded-For (its last entry, the one our proxy added). */
  trustProxy?: boolean;
  /** WebSocket ping interval in seconds; off when absent or 0. */
  pingSeconds?: number;
  /** Largest WebSocket message accepted (bytes); bigger ones close the connection with 1009. */
  maxPacketSize?: number;
  /** Time from connect (or TLS handshake) to a complete upgrade request; slower clients are dropped. */
  upgradeTimeoutMs?: number;
}

export const DEFAULT_UPGRADE_TIMEOUT_MS = 10_000;

/** The HTTP answers this layer gives to requests that do not become a WebSocket. */
export const HTTP_STATUS = { badRequest: 400, forbidden: 403, notFound: 404, upgradeRequired: 426 } as const;

/** What the listener knows about the socket an upgrade arrived on. */
export interface UpgradeSource {
  facts: Accepted;
  /** The socket HTTP ran on: the raw TCP socket for ws, the TLS socket for wss. */
  plainSocket: Duplex;
  tls?: TransportTlsFacts;
  /** The JS pass-through under TLS when the listener taps ciphertext. */
  wire?: WireStream;
  /** Stops recording the HTTP exchange and returns it. */
  finishRecording(): readonly RecordedChunk[];
}

interface UpgradeContext extends Omit<UpgradeSource, 'finishRecording'> {
  recorded: readonly RecordedChunk[];
}

export function offeredSubprotocols(req: IncomingMessage): string[] {
  const header = req.headers['sec-websocket-protocol'];
  return header ? header.split(',').map((p) => p.trim()).filter(Boolean) : [];
}

function pathOf(url: string | undefined): string {
  return new URL(url ?? '/', 'http://host').pathname;
}

/** Answers and closes a socket that will not become a WebSocket. */
export function refuse(socket: Duplex, status: number, body: string): void {
  if (!socket.writable) return void socket.destroy();
  const text = `${body}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
  );
  socket.once('finish', () => socket.destroy());
}

export class WsGate {
  readonly wss: WebSocketServer;

  constructor(
    private readonly opts: WsOptions,
    private readonly report: Reporter,
    private readonly onLink: () => ((link: TransportLink) => void) | null,
  ) {
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      maxPayload: opts.maxPacketSize ?? MAX_MQTT_PACKET_SIZE,
      // The client's order wins among the ones we speak; refusals happen before this runs.
      handleProtocols: (offered) => [...offered].find((p) => (MQTT_SUBPROTOCOLS as readonly string[]).includes(p)) ?? false,
    });
  }

  /** Installs the plain-request and bad-request answers on the HTTP(S) server. */
  attach(http: HttpServer, factsOf: (socket: Duplex) => Accepted | undefined): void {
    http.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const a = factsOf(req.socket);
      if (a) this.refused(a.facts, 'HTTP_NOT_UPGRADE', `${req.method} ${req.url} is not a WebSocket upgrade (answered 426)`);
      const body = 'This port speaks MQTT over WebSocket (subprotocol "mqtt"); connect with an MQTT WebSocket client.\n';
      res.writeHead(HTTP_STATUS.upgradeRequired, { Upgrade: 'websocket', Connection: 'close', 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(body);
    });
    http.on('clientError', (err: Error & { code?: string }, socket: Duplex) => {
      const a = factsOf(socket);
      if (a && err.code !== 'ECONNRESET') this.refused(a.facts, 'HTTP_BAD_REQUEST', `${err.code ?? 'HTTP_ERROR'}: ${err.message} (answered 400)`);
      refuse(socket, HTTP_STATUS.badRequest, 'bad HTTP request');
    });
    this.wss.on('wsClientError', (err: Error, socket: Duplex, req: IncomingMessage) => {
      const a = factsOf(req.socket);
      if (a) this.refused(a.facts, 'HTTP_BAD_UPGRADE', `${err.message} (answered 400)`);
      refuse(socket, HTTP_STATUS.badRequest, err.message);
    });
  }

  private refused(facts: ConnectionFacts, code: TransportErrorCode, message: string): void {
    this.report(facts, new TransportError(code, message));
  }

  /** Client address behind a trusted proxy: the last X-Forwarded-For entry is the one our proxy appended. */
  private clientFacts(req: IncomingMessage, a: Accepted): Accepted {
    if (!this.opts.trustProxy) return a;
    const header = req.headers['x-forwarded-for'];
    const entries = (Array.isArray(header) ? header.join(',') : header ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    const last = entries.at(-1);
    if (!last) return a;
    return {
      ...a,
      facts: { ...a.facts, remoteAddress: plainAddress(last), remotePort: 0 },
      proxiedBy: { via: 'x-forwarded-for', address: a.facts.remoteAddress, port: a.facts.remotePort },
    };
  }

  /**
   * Bounds the HTTP phase of a fresh socket (our HTTP server never listens itself, so Node's own request
   * timeouts do not run). ws clears the socket timeout when the upgrade completes.
   */
  guardUpgrade(socket: Duplex & { setTimeout(ms: number): unknown }, facts: ConnectionFacts): void {
    const ms = this.opts.upgradeTimeoutMs ?? DEFAULT_UPGRADE_TIMEOUT_MS;
    socket.setTimeout(ms);
    socket.once('timeout', () => {
      this.refused(facts, 'HTTP_TIMEOUT', `no complete WebSocket upgrade request within ${ms} ms`);
      socket.destroy();
    });
  }

  /** The 'upgrade' event: refuse what we do not serve, else complete the handshake and hand out a link. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, c: UpgradeSource): void {
    const facts = c.facts.facts;
    const path = pathOf(req.url);
    if (this.opts.wsPath !== undefined && path !== this.opts.wsPath) {
      this.refused(facts, 'WS_BAD_PATH', `upgrade for path ${path}; this listener serves ${this.opts.wsPath} (answered 404)`);
      return refuse(socket, HTTP_STATUS.notFound, `no MQTT WebSocket endpoint at ${path}; use ${this.opts.wsPath}`);
    }
    const origin = req.headers.origin;
    if (this.opts.origins && !(origin !== undefined && this.opts.origins.includes(origin))) {
      this.refused(facts, 'WS_ORIGIN_REFUSED', `origin ${origin ?? '(none)'} is not in the allow-list (answered 403)`);
      return refuse(socket, HTTP_STATUS.forbidden, `origin ${origin ?? '(none)'} not allowed`);
    }
    const offered = offeredSubprotocols(req);
    if (offered.length > 0 && !offered.some((p) => (MQTT_SUBPROTOCOLS as readonly string[]).includes(p))) {
      const list = offered.join(', ');
      this.refused(facts, 'WS_BAD_SUBPROTOCOL', `subprotocols offered [${list}], none of ${MQTT_SUBPROTOCOLS.join(', ')} (answered 400)`);
      return refuse(socket, HTTP_STATUS.badRequest, `unsupported WebSocket subprotocol(s) ${list}; offer "mqtt"`);
    }
    this.wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      const recorded = c.finishRecording();
      const { finishRecording: _done, ...rest } = c;
      this.deliver(ws, { ...rest, facts: this.clientFacts(req, c.facts), recorded });
    });
  }

  private deliver(ws: WebSocket, c: UpgradeContext): void {
    const facts = c.facts.facts;
    const stream = new WsStream(ws, {
      ...(this.opts.pingSeconds ? { pingIntervalMs: this.opts.pingSeconds * 1000 } : {}),
      onFailure: (err) => this.report(facts, err),
    });
    stream.on('error', () => undefined);
    const plain = new StreamTap(c.plainSocket, c.recorded);
    const tap: LinkTaps = c.tls ? { plain, ...(c.wire ? { wire: new StreamTap(c.wire, c.wire.finishRecording()) } : {}) } : { wire: plain, plain };
    const link: TransportLink = {
      stream,
      info: {
        ...facts,
        localAddress: c.facts.localAddress,
        localPort: c.facts.localPort,
        ...(c.tls ? { tls: c.tls } : {}),
        ...(c.facts.proxiedBy ? { proxiedBy: c.facts.proxiedBy } : {}),
      },
      tap,
    };
    const handler = this.onLink();
    if (!handler) return void ws.terminate();
    try {
      handler(link);
    } catch (err) {
      this.report(facts, new TransportError('LINK_HANDLER_FAILED', err instanceof Error ? err.message : String(err), err));
      ws.terminate();
    }
  }
}
