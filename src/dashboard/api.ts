// The JSON API: one function per route, each answering from the broker's public views. Errors are values with
// a stable code: { "error": { "code": "...", "message": "..." } }.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ReasonCode } from '../protocol/constants.js';
import { validateTopicName } from '../protocol/index.js';
import type { QoS } from '../protocol/packets.js';
import type { Broker } from '../broker/broker.js';
import type { LiveFeed } from './live-feed.js';
import { nodesView } from './nodes.js'; // [cluster]
import { clientView, connectedClients, findConnection, flowGraphView, overviewView, retainedView, topicsView, type ListenerView } from './views.js';

export type ApiErrorCode =
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'BAD_JSON'
  | 'BAD_REQUEST'
  | 'BAD_TOPIC'
  | 'BODY_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'CLIENT_NOT_CONNECTED'
  | 'TRACE_UNAVAILABLE';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode | string,
    message: string,
  ) {
    super(message);
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendError(res: ServerResponse, err: ApiError): void {
  sendJson(res, err.status, { error: { code: err.code, message: err.message } });
}

export interface ApiContext {
  readonly broker: Broker;
  readonly feed: LiveFeed;
  readonly listeners: readonly ListenerView[];
}

/** Reads a JSON body of at most `limit` bytes; only application/json (a cross-site form cannot send it). */
async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  if (!type.startsWith('application/json')) throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new ApiError(413, 'BODY_TOO_LARGE', `body larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new ApiError(400, 'BAD_JSON', 'body is not valid JSON');
  }
}

const PAYLOAD_ENCODINGS = ['utf8', 'hex', 'base64'] as const;
type PayloadEncoding = (typeof PAYLOAD_ENCODINGS)[number];
/** Room for the JSON around a payload of the largest packet size (base64 grows by 4/3). */
const BODY_OVERHEAD_FACTOR = 2;

/** POST /api/publish {topic, payload, encoding?, qos?, retain?}: publishes as the broker itself. */
async function publish(ctx: ApiContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readJson(req, ctx.broker.limits.maxPacketSize * BODY_OVERHEAD_FACTOR);
  if (typeof body !== 'object' || body === null) throw new ApiError(400, 'BAD_REQUEST', 'expected a JSON object');
  const { topic, payload = '', encoding = 'utf8', qos = 0, retain = false } = body as Record<string, unknown>;
  if (typeof topic !== 'string') throw new ApiError(400, 'BAD_REQUEST', 'topic: expected a string');
  const topicError = validateTopicName(topic); // [MQTT-3.3.2-2] no wildcards in a topic name
  if (topicError) throw new ApiError(400, 'BAD_TOPIC', `topic: ${topicError.message}`);
  if (typeof payload !== 'string') throw new ApiError(400, 'BAD_REQUEST', 'payload: expected a string');
  if (!PAYLOAD_ENCODINGS.includes(encoding as PayloadEncoding)) throw new ApiError(400, 'BAD_REQUEST', `encoding: expected one of ${PAYLOAD_ENCODINGS.join(', ')}`);
  if (qos !== 0 && qos !== 1 && qos !== 2) throw new ApiError(400, 'BAD_REQUEST', 'qos: expected 0, 1 or 2');
  if (typeof retain !== 'boolean') throw new ApiError(400, 'BAD_REQUEST', 'retain: expected true or false');
  if (encoding === 'hex' && !/^([0-9a-fA-F]{2})*$/.test(payload.replace(/\s+/g, ''))) throw new ApiError(400, 'BAD_REQUEST', 'payload: not hex');
  const bytes = Buffer.from(encoding === 'hex' ? payload.replace(/\s+/g, '') : payload, encoding as PayloadEncoding);
  if (bytes.length > ctx.broker.limits.maxPacketSize) throw new ApiError(413, 'BODY_TOO_LARGE', 'payload larger than the maximum packet size');
  ctx.broker.publishMessage(topic, bytes, { qos: qos as QoS, retain });
  sendJson(res, 202, { topic, bytes: bytes.length, qos, retain });
}

function disconnectClient(ctx: ApiContext, clientId: string, res: ServerResponse): void {
  const conn = findConnection(ctx.broker, clientId);
  if (!conn) throw new ApiError(404, 'CLIENT_NOT_CONNECTED', `no connected client "${clientId}"`);
  // 5.0 clients are told why (DISCONNECT 0x98); the will is published as for any close the client did not ask
  // for with DISCONNECT 0x00 [MQTT-3.1.2-8] [MQTT-3.14.4-3]
  conn.disconnect(ReasonCode.AdministrativeAction, 'administrative-action', 'disconnected by an operator');
  sendJson(res, 200, { clientId, disconnected: true });
}

const CLIENT_PATH = /^\/api\/clients\/(.+)$/;

/** Answers an /api/ route other than the event streams; throws ApiError for unknown ones. */
export async function handleApi(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  const method = req.method ?? 'GET';
  const get = method === 'GET' || method === 'HEAD';
  if (path === '/api/overview' && get) return sendJson(res, 200, { ...overviewView(ctx.broker, ctx.feed.rates, ctx.listeners), history: ctx.feed.rates.history });
  if (path === '/api/clients' && get) {
    const conns = connectedClients(ctx.broker);
    return sendJson(res, 200, { serverTime: ctx.broker.clock.now(), clients: conns.map((c) => clientView(c, ctx.feed.activity)) });
  }
  const client = CLIENT_PATH.exec(path);
  if (client) {
    let id: string;
    try {
      id = decodeURIComponent(client[1]!);
    } catch {
      throw new ApiError(400, 'BAD_REQUEST', 'client id: bad percent-encoding');
    }
    if (method === 'DELETE') return disconnectClient(ctx, id, res);
    if (!get) throw new ApiError(405, 'METHOD_NOT_ALLOWED', 'GET or DELETE');
    const conn = findConnection(ctx.broker, id);
    if (!conn) throw new ApiError(404, 'CLIENT_NOT_CONNECTED', `no connected client "${id}"`);
    return sendJson(res, 200, { serverTime: ctx.broker.clock.now(), client: clientView(conn, ctx.feed.activity) });
  }
  if (path === '/api/topics' && get) return sendJson(res, 200, topicsView(ctx.broker, ctx.feed.traffic));
  if (path === '/api/retained' && get) return sendJson(res, 200, retainedView(ctx.broker));
  if (path === '/api/flow' && get) return sendJson(res, 200, flowGraphView(ctx.broker, ctx.feed.traffic));
  if (path === '/api/nodes' && get) return sendJson(res, 200, await nodesView(ctx.broker)); // [cluster]
  if (path === '/api/publish') {
    if (method !== 'POST') throw new ApiError(405, 'METHOD_NOT_ALLOWED', 'POST');
    return publish(ctx, req, res);
  }
  throw new ApiError(404, 'NOT_FOUND', `no API route ${method} ${path}`);
}
