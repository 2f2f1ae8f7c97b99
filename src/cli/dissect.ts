// `glassmq dissect FILE`: MQTT in a pcap / pcapng capture, over TCP, WebSocket and TLS, as a per-connection
// summary (default), field trees (-V), annotated hex (-x) or JSON Lines (--json).
import { readFileSync, writeSync } from 'node:fs';
import { dissectPacket, renderHexDump, renderTree } from '../protocol/index.js';
import { FileSource } from '../inspect/byte-source.js';
import { readCapture } from '../inspect/capture-reader.js';
import { CaptureDissector, type DissectNoteEvent, type MqttPacketEvent } from '../inspect/capture-dissector.js';
import { KeyLog } from '../inspect/tls-keylog.js';
import { decodeCaptured, packetJSON } from '../inspect/packet-json.js';
import { FlowSummary } from '../inspect/flow-summary.js';
import { opcodeName, type WsFrameEvent } from '../inspect/websocket.js';
import type { ConnectionInfo } from '../inspect/connection.js';

const EXIT_OK = 0;
const EXIT_USAGE = 1;
const EXIT_DAMAGED = 2;
const MAX_NOTES_PER_CONNECTION = 10;
const OUTPUT_FLUSH_BYTES = 1 << 16;
const MAX_PORT = 65535;

const USAGE = `Usage: glassmq dissect FILE [options]

Finds every MQTT packet in a pcap or pcapng capture: TCP reassembled, WebSocket frames unmasked and joined,
TLS 1.2 / 1.3 decrypted with a key log. MQTT is recognised by its CONNECT on any port.

Options:
  --keylog FILE    NSS key log (SSLKEYLOGFILE) for TLS; secrets blocks inside a pcapng are used as well
  --port N         decode TCP port N as MQTT even without a CONNECT (repeatable)
  -V               field tree of every packet
  -x               annotated hex dump of every packet
  --json           JSON Lines: one object per MQTT packet (see docs/inspect.md)
  --show-secrets   show CONNECT passwords
  -h, --help       this text

Exit status: 0 done, 1 usage or unreadable file, 2 the capture is damaged (what could be read is printed).`;

interface Options {
  file: string;
  keylog?: string;
  ports: number[];
  tree: boolean;
  hex: boolean;
  json: boolean;
  showSecrets: boolean;
}

function parseArgs(argv: string[]): Options | string {
  const o: Options = { file: '', ports: [], tree: false, hex: false, json: false, showSecrets: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string | undefined => (a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i]);
    if (a === '--keylog' || a.startsWith('--keylog=')) {
      const v = value();
      if (!v) return '--keylog needs a file';
      o.keylog = v;
    } else if (a === '--port' || a.startsWith('--port=')) {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 1 || n > MAX_PORT) return `--port needs a port number`;
      o.ports.push(n);
    } else if (a === '-V') o.tree = true;
    else if (a === '-x') o.hex = true;
    else if (a === '-Vx' || a === '-xV') o.tree = o.hex = true;
    else if (a === '--json') o.json = true;
    else if (a === '--show-secrets') o.showSecrets = true;
    else if (a.startsWith('-') && a !== '-') return `unknown option '${a}'`;
    else if (o.file) return `only one capture file, please ('${o.file}' and '${a}')`;
    else o.file = a;
  }
  if (!o.file) return 'no capture file given';
  return o;
}

/** The reader of our output went away (e.g. `| head`): stop dissecting, it is not an error. */
class OutputClosed extends Error {}

const STDOUT_FD = 1;
const RETRY_WAIT_MS = 2;

/** Writes all of `buf` to stdout synchronously, so output never piles up in memory whatever the capture size. */
function writeAll(buf: Buffer): void {
  let off = 0;
  while (off < buf.length) {
    try {
      off += writeSync(STDOUT_FD, buf, off);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, RETRY_WAIT_MS); // non-blocking pipe is full
        continue;
      }
      if (code === 'EPIPE') throw new OutputClosed();
      throw err;
    }
  }
}

/** Batches output: a capture can yield millions of lines. */
class Output {
  private parts: string[] = [];
  private size = 0;
  line(s: string): void {
    this.parts.push(s, '\n');
    this.size += s.length + 1;
    if (this.size >= OUTPUT_FLUSH_BYTES) this.flush();
  }
  flush(): void {
    if (this.parts.length) writeAll(Buffer.from(this.parts.join('')));
    this.parts = [];
    this.size = 0;
  }
}

function isoTime(t: number): string {
  return t > 0 ? new Date(t * 1000).toISOString() : '-';
}

function indent(text: string, pad = '    '): string {
  return text.split('\n').map((l) => pad + l).join('\n');
}

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('-h') || argv.includes('--help')) {
    console.log(USAGE);
    return EXIT_OK;
  }
  const opts = parseArgs(argv);
  if (typeof opts === 'string') {
    console.error(`glassmq dissect: ${opts}\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  const keylog = new KeyLog();
  if (opts.keylog) {
    try {
      keylog.add(readFileSync(opts.keylog, 'utf8'));
    } catch (err) {
      console.error(`glassmq dissect: cannot read key log: ${(err as Error).message}`);
      return EXIT_USAGE;
    }
  }
  let source: FileSource;
  try {
    source = new FileSource(opts.file);
  } catch (err) {
    console.error(`glassmq dissect: ${(err as Error).message}`);
    return EXIT_USAGE;
  }

  const out = new Output();
  const detail = opts.tree || opts.hex;
  const flows = new Map<number, FlowSummary>();
  let damaged = false;
  const flowOf = (c: ConnectionInfo): FlowSummary => {
    let f = flows.get(c.id);
    if (!f) flows.set(c.id, (f = new FlowSummary()));
    return f;
  };

  const onPacket = (ev: MqttPacketEvent): void => {
    if (opts.json) {
      out.line(JSON.stringify(packetJSON(ev, decodeCaptured(ev), { showSecrets: opts.showSecrets })));
      return;
    }
    const decoded = decodeCaptured(ev);
    flowOf(ev.connection).add(ev.fromClient, decoded.packet, decoded.error?.code);
    if (!detail) return;
    const d = dissectPacket(ev.bytes, ev.protocolVersion, { showSecrets: opts.showSecrets });
    out.line(`frame ${ev.frame} ${isoTime(ev.time)} connection ${ev.connection.id} ${ev.src} -> ${ev.dst} ${ev.transport}`);
    if (opts.tree) out.line(indent(renderTree(d)));
    if (opts.hex) out.line(indent(renderHexDump(d)));
  };

  const onNote = (n: DissectNoteEvent): void => {
    if (n.note.layer === 'capture' && n.note.level === 'error') damaged = true;
    if (opts.json) {
      if (n.note.level === 'info') return;
      out.line(JSON.stringify({
        frame: n.frame, time: n.time, connection: n.connection?.id, note: n.note.level, layer: n.note.layer,
        code: n.note.code, error: n.note.message, fromClient: n.note.fromClient,
      }));
      return;
    }
    if (n.note.level === 'info' && !detail) return;
    const where = n.connection ? `connection ${n.connection.id}${n.note.fromClient === undefined ? '' : n.note.fromClient ? ' client->server' : ' server->client'}` : 'capture';
    const text = `frame ${n.frame} ${where}: ${n.note.level} ${n.note.layer} ${n.note.code}: ${n.note.message}`;
    if (detail || !n.connection) out.line(`! ${text}`);
    else {
      const f = flowOf(n.connection);
      if (f.errors.length < MAX_NOTES_PER_CONNECTION) f.errors.push(text);
    }
  };

  const onWsFrame = (frame: number, c: ConnectionInfo, f: WsFrameEvent): void => {
    if (!detail) return;
    const h = f.header;
    const mask = h.maskKey ? ` mask ${h.maskKey.toString('hex')}` : '';
    const ctl = f.controlPayload?.length ? ` payload ${f.controlPayload.toString('hex')}` : '';
    out.line(`frame ${frame} connection ${c.id} ${f.fromClient ? 'client->server' : 'server->client'} WebSocket ${opcodeName(h.opcode)} FIN=${h.fin ? 1 : 0} RSV=${h.rsv} MASK=${h.masked ? 1 : 0}${mask} length ${h.payloadLength} (header ${h.headerLength} bytes)${ctl}`);
  };

  const onClosed = (c: ConnectionInfo): void => {
    if (opts.json) return;
    const f = flows.get(c.id) ?? new FlowSummary();
    flows.delete(c.id);
    out.line(f.render(c));
    out.line('');
  };

  const dissector = new CaptureDissector(
    { packet: onPacket, note: onNote, wsFrame: onWsFrame, connectionClosed: onClosed },
    { forcedPorts: opts.ports, keylog },
  );
  try {
    for (const ev of readCapture(source)) dissector.handle(ev);
    dissector.finish();
    if (!opts.json) {
      const s = dissector.stats;
      out.line(`${s.frames} frames, ${s.tcpSegments} TCP segments, ${s.mqttConnections} MQTT connections, ${s.packets} MQTT packets`);
    }
    out.flush();
  } catch (err) {
    if (err instanceof OutputClosed) return EXIT_OK;
    throw err;
  } finally {
    source.close();
  }
  return damaged ? EXIT_DAMAGED : EXIT_OK;
}
