// The HTTP listener: the dashboard UI, its JSON API and live streams, /metrics and /healthz. Bound to 127.0.0.1
// by default; bound anywhere else every route but /healthz and the static UI needs the token.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Broker } from '../broker/broker.js';
import type { Logger } from '../broker/ports.js';
import { checkAccess, generateToken, isLoopbackHost, type AccessPolicy } from './access.js';
import { ApiError, handleApi, sendError, sendJson, type ApiContext } from './api.js';
import { LiveFeed, WATCH_CHANNELS, type WatchChannel } from './live-feed.js';
import { createBrokerMetrics, type BrokerMetrics } from './metrics.js';
import { SseStream } from './sse.js';
import { defaultWebRoot, serveStatic } from './static-files.js';
import { parseTraceQuery, parseTraceRate, streamTrace, type TraceFeed } from './trace-stream.js';
import type { ListenerView } from './views.js';

export const DEFAULT_HTTP_HOST = '127.0.0.1';
export const DEFAULT_HTTP_PORT = 18083;

export interface DashboardOptions {
  readonly broker: Broker;
  /** Default 127.0.0.1; 0.0.0.0 / :: accept remote browsers (then a token is required). */
  readonly host?: string;
  /** Default 18083; 0 lets the OS choose. */
  readonly port?: number;
  /** Required on a non-loopback host; generated (and returned) when absent there. On loopback: optional. */
  readonly token?: string;
  /** The broker's MQTT listeners, for the Overview. */
  readonly listeners?: readonly ListenerView[];
  /** Directory of the built front end; default web/dist of this checkout. */
  readonly webRoot?: string;
  /** The inspector's trace hub; without it /api/trace answers 503 TRACE_UNAVAILABLE. */
  readonly trace?: TraceFeed;
  readonly logger?: Logger;
  /** Also export process_* / nodejs_* metrics (default true). */
  readonly processMetrics?: boolean;
}

export interface Dashboard {
  readonly host: string;
  readonly port: number;
  /** Base URL, e.g. http://127.0.0.1:18083/ */
  readonly url: string;
  /** The token API calls need, or undefined when none is needed. */
  readonly token: string | undefined;
  /** Whether the token was generated (the caller should print it). */
  readonly tokenGenerated: boolean;
  readonly metrics: BrokerMetrics;
  close(): Promise<void>;
}

const STATUS_FOR_DENIAL = { TOKEN_REQUIRED: 401, TOKEN_INVALID: 401, HOST_REJECTED: 403 } as const;

export async function startDashboard(opts: DashboardOptions): Promise<Dashboard> {
  const host = opts.host ?? DEFAULT_HTTP_HOST;
  const loopback = isLoopbackHost(host);
  const tokenGenerated = !loopback && !opts.token;
  const policy: AccessPolicy = { loopback, token: opts.token || (loopback ? undefined : generateToken()) };
  const listeners = opts.listeners ?? [];
  const feed = new LiveFeed(opts.broker, listeners);
  const metrics = createBrokerMetrics(opts.broker, { processMetrics: opts.processMetrics });
  const webRoot = opts.webRoot ?? defaultWebRoot();
  const ctx: ApiContext = { broker: opts.broker, feed, listeners };
  const streams = new Set<SseStream>();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
    const path = url.pathname;
    if (path === '/healthz') return sendJson(res, 200, { status: 'ok', uptime: Math.floor(process.uptime()) });
    const isApi = path.startsWith('/api/') || path === '/metrics';
    const denial = checkAccess(policy, req, url);
    // The UI files hold no broker data; they load without the token so the page can ask for it.
    if (denial && (isApi || denial === 'HOST_REJECTED')) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="glassmq"');
      return sendError(res, new ApiError(STATUS_FOR_DENIAL[denial], denial, denial === 'HOST_REJECTED' ? 'Host header is not a loopback name' : 'a valid token is required (Authorization: Bearer T or ?token=T)'));
    }
    if (path === '/metrics') {
      const text = await metrics.render();
      res.writeHead(200, { 'Content-Type': metrics.registry.contentType, 'Cache-Control': 'no-store' });
      return void res.end(text);
    }
    if (path === '/api/events') {
      const channels = new Set((url.searchParams.get('watch') ?? 'overview').split(',').filter((c): c is WatchChannel => (WATCH_CHANNELS as readonly string[]).includes(c)));
      const stream = track(new SseStream(res));
      return feed.watch(stream, channels);
    }
    if (path === '/api/trace') {
      if (!opts.trace) throw new ApiError(503, 'TRACE_UNAVAILABLE', 'this broker runs without the packet trace hub');
      const stream = track(new SseStream(res));
      return void streamTrace(opts.trace, parseTraceQuery(url.searchParams), parseTraceRate(url.searchParams), stream);
    }
    if (path.startsWith('/api/')) return handleApi(ctx, req, res, path);
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new ApiError(405, 'METHOD_NOT_ALLOWED', 'GET');
    serveStatic(webRoot, req, res, path);
  };

  const track = (stream: SseStream): SseStream => {
    streams.add(stream);
    stream.onClose(() => streams.delete(stream));
    return stream;
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) return void res.destroy();
      if (err instanceof ApiError) return sendError(res, err);
      opts.logger?.error({ err: String(err), url: req.url }, 'dashboard: request failed');
      sendError(res, new ApiError(500, 'INTERNAL', 'internal error'));
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? DEFAULT_HTTP_PORT, host, () => {
        server.removeListener('error', reject);
        resolve();
      });
    });
  } catch (err) {
    feed.close();
    throw err;
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : (opts.port ?? DEFAULT_HTTP_PORT);
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    host,
    port,
    url: `http://${urlHost}:${port}/`,
    token: policy.token,
    tokenGenerated,
    metrics,
    close() {
      closing ??= new Promise<void>((resolve) => {
        feed.close();
        for (const s of streams) s.end();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
