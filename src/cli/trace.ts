// `glassmq trace`: streams a running broker's live packet trace from its HTTP listener (/api/trace, SSE) and
// prints it like `glassmq broker --trace`, or as JSON Lines.
import { request, type IncomingMessage } from 'node:http';
import { formatEvent, type TraceEvent } from '../inspect/live/index.js';
import { SseReader } from '../inspect/live/sse-reader.js';

const EXIT_USAGE = 2;
const EXIT_FAILURE = 1;
const HTTP_OK = 200;
export const DEFAULT_TRACE_URL = 'http://127.0.0.1:18083';
export const TRACE_PATH = '/api/trace';

const USAGE = `Usage: glassmq trace [options]

Streams the live packet trace of a running glassmq broker through its HTTP listener.

Options:
  --url URL          the broker's HTTP listener (default ${DEFAULT_TRACE_URL})
  --client ID        only this client id
  --topic FILTER     only PUBLISH / SUBSCRIBE / UNSUBSCRIBE whose topic matches this MQTT filter (+ and # allowed)
  --type T[,T...]    only these packet types (CONNECT, PUBLISH, SUBSCRIBE, ...)
  --hex              add the annotated hex of every packet
  --json             one JSON object per event (JSON Lines), as documented in docs/trace.md
  --show-secrets     show passwords and authentication data (masked otherwise)
  --token T          API token (Authorization: Bearer T), needed when the listener is not on loopback
  --rate N           events per second the broker may send (default 200; more are counted as dropped)
  -h, --help         this text

Exit status: 0 the broker ended the stream or Ctrl-C, 1 cannot connect or refused, 2 usage.`;

export interface TraceOptions {
  url: string;
  client?: string;
  topic?: string;
  types?: string[];
  hex: boolean;
  json: boolean;
  secrets: boolean;
  token?: string;
  rate?: number;
}

const VALUE_FLAGS = new Set(['--url', '--client', '--topic', '--type', '--token', '--rate']);

export function parseTraceArgs(argv: readonly string[]): TraceOptions | 'help' | string {
  const o: TraceOptions = { url: DEFAULT_TRACE_URL, hex: false, json: false, secrets: false };
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i]!;
    if (raw === '-h' || raw === '--help') return 'help';
    const eq = raw.startsWith('--') ? raw.indexOf('=') : -1;
    const flag = eq > 0 ? raw.slice(0, eq) : raw;
    let value: string | undefined;
    if (VALUE_FLAGS.has(flag)) {
      value = eq > 0 ? raw.slice(eq + 1) : argv[++i];
      if (value === undefined) return `${flag}: needs a value`;
    } else if (eq > 0) {
      return `${flag}: takes no value`;
    }
    switch (flag) {
      case '--url':
        o.url = value!;
        break;
      case '--client':
        o.client = value!;
        break;
      case '--topic':
        o.topic = value!;
        break;
      case '--type':
        o.types = value!.split(',').map((t) => t.trim().toUpperCase()).filter(Boolean);
        break;
      case '--token':
        o.token = value!;
        break;
      case '--rate':
        if (!/^\d+$/.test(value!) || Number(value) < 1) return `--rate: expected a positive integer, got "${value}"`;
        o.rate = Number(value);
        break;
      case '--hex':
        o.hex = true;
        break;
      case '--json':
        o.json = true;
        break;
      case '--show-secrets':
        o.secrets = true;
        break;
      default:
        return `${flag}: unknown option (see 'glassmq trace --help')`;
    }
  }
  try {
    new URL(o.url);
  } catch {
    return `--url: not a URL: "${o.url}"`;
  }
  return o;
}

/** The SSE address for these options: /api/trace?client=&topic=&type=&secrets=&rate= */
export function traceUrl(o: TraceOptions): URL {
  const u = new URL(TRACE_PATH, o.url.endsWith('/') ? o.url : `${o.url}/`);
  if (o.client !== undefined) u.searchParams.set('client', o.client);
  if (o.topic !== undefined) u.searchParams.set('topic', o.topic);
  if (o.types?.length) u.searchParams.set('type', o.types.join(','));
  if (o.secrets) u.searchParams.set('secrets', '1');
  if (o.rate !== undefined) u.searchParams.set('rate', String(o.rate));
  return u;
}

async function errorText(res: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of res as AsyncIterable<Buffer>) body += chunk.toString('utf8');
  try {
    const e = (JSON.parse(body) as { error?: { code?: string; message?: string } }).error;
    if (e) return `${e.code ?? 'ERROR'}: ${e.message ?? ''}`;
  } catch {
    // not JSON: show the text
  }
  return body.trim() || `HTTP ${res.statusCode}`;
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseTraceArgs(argv);
  if (parsed === 'help') {
    console.log(USAGE);
    return 0;
  }
  if (typeof parsed === 'string') {
    console.error(`glassmq trace: ${parsed}`);
    return EXIT_USAGE;
  }
  const o = parsed;
  const url = traceUrl(o);
  const out = process.stdout;
  return new Promise<number>((resolve) => {
    const headers: Record<string, string> = { Accept: 'text/event-stream' };
    if (o.token) headers.Authorization = `Bearer ${o.token}`;
    const req = request(url, { headers }, (res) => {
      if (res.statusCode !== HTTP_OK) {
        void errorText(res).then((text) => {
          console.error(`glassmq trace: ${url.origin}${TRACE_PATH} answered ${res.statusCode}: ${text}`);
          resolve(EXIT_FAILURE);
        });
        return;
      }
      const reader = new SseReader((m) => {
        if (m.event === 'packet') {
          const ev = JSON.parse(m.data) as TraceEvent;
          out.write(o.json ? `${JSON.stringify(ev)}\n` : `${formatEvent(ev, { hex: o.hex })}\n`);
        } else if (m.event === 'dropped') {
          const { count } = JSON.parse(m.data) as { count: number };
          console.error(`glassmq trace: ${count} event(s) dropped (the broker limits the rate; see --rate)`);
        } else if (m.event === 'ready') {
          console.error(`glassmq trace: streaming from ${url.origin} (Ctrl-C to stop)`);
        }
      });
      res.setEncoding('utf8');
      res.on('data', (text: string) => reader.push(text));
      res.on('end', () => resolve(0));
      res.on('error', () => resolve(0));
    });
    req.on('error', (err) => {
      console.error(`glassmq trace: cannot reach ${url.origin}: ${err.message}`);
      resolve(EXIT_FAILURE);
    });
    req.end();
    const stop = (): void => {
      req.destroy();
      resolve(0);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
