// "Who is who" per connection: the client's address and id, its role (publisher / subscriber / both) inferred
// from what it sent and received, and its flow as one line of arrows (-> client to server, <- server to client).
import { VERSION_LABEL, type Packet } from '../protocol/index.js';
import type { ConnectionInfo } from './connection.js';

const HEAD_ITEMS = 16;
const TAIL_ITEMS = 4;
const PREVIEW_CHARS = 16;

export type Role = 'publisher' | 'subscriber' | 'both' | 'idle';

interface Item {
  text: string;
  count: number;
}

/** Short form of a packet for the flow line: `SUBSCRIBE topic/001 q0`, `PUBLISH topic/001 "hello!"`. */
export function flowText(p: Packet): string {
  switch (p.type) {
    case 'connect':
      return 'CONNECT';
    case 'connack':
      return `CONNACK ${p.reasonCode}`;
    case 'publish':
      return `PUBLISH ${p.topic}${p.qos ? ` q${p.qos}` : ''}${p.retain ? ' retain' : ''} ${payloadPreview(p.payload)}`;
    case 'subscribe':
      return `SUBSCRIBE ${p.subscriptions.map((s) => `${s.topicFilter} q${s.qos}`).join(', ')}`;
    case 'suback':
      return `SUBACK ${p.reasonCodes.join(',')}`;
    case 'unsubscribe':
      return `UNSUBSCRIBE ${p.topicFilters.join(', ')}`;
    case 'disconnect':
    case 'auth':
      return p.reasonCode ? `${p.type.toUpperCase()} ${p.reasonCode}` : p.type.toUpperCase();
    default:
      return p.type.toUpperCase();
  }
}

function payloadPreview(b: Buffer): string {
  if (b.length === 0) return '(empty)';
  const text = b.toString('utf8');
  // eslint-disable-next-line no-control-regex
  if (!text.includes('\ufffd') && !/[\x00-\x08\x0e-\x1f\x7f]/.test(text)) {
    return text.length > PREVIEW_CHARS ? `"${text.slice(0, PREVIEW_CHARS)}..." (${b.length} B)` : `"${text}"`;
  }
  return `<${b.length} bytes>`;
}

export class FlowSummary {
  clientId: string | undefined;
  username: string | undefined;
  protocolVersion: number | undefined;
  private sentPublish = false;
  private subscribed = false;
  private receivedPublish = false;
  private readonly head: Item[] = [];
  private tail: Item[] = [];
  private dropped = 0;
  packets = 0;
  errors: string[] = [];

  add(fromClient: boolean, p: Packet | undefined, errorText?: string): void {
    this.packets++;
    if (p?.type === 'connect' && fromClient) {
      this.clientId = p.clientId;
      this.username = p.username;
      this.protocolVersion = p.protocolVersion;
    }
    if (p?.type === 'publish') {
      if (fromClient) this.sentPublish = true;
      else this.receivedPublish = true;
    }
    if (p?.type === 'subscribe' && fromClient) this.subscribed = true;
    const text = `${fromClient ? '->' : '<-'} ${p ? flowText(p) : `MALFORMED (${errorText ?? 'error'})`}`;
    this.push(text);
  }

  private push(text: string): void {
    const last = this.tail.length ? this.tail[this.tail.length - 1] : this.dropped === 0 ? this.head[this.head.length - 1] : undefined;
    if (last && last.text === text) {
      last.count++;
      return;
    }
    if (this.head.length < HEAD_ITEMS) {
      this.head.push({ text, count: 1 });
      return;
    }
    this.tail.push({ text, count: 1 });
    if (this.tail.length > TAIL_ITEMS) {
      this.tail.shift();
      this.dropped++;
    }
  }

  get role(): Role {
    const pub = this.sentPublish;
    const sub = this.subscribed || this.receivedPublish;
    return pub && sub ? 'both' : pub ? 'publisher' : sub ? 'subscriber' : 'idle';
  }

  flowLine(): string {
    const show = (i: Item): string => (i.count > 1 ? `${i.text} (x${i.count})` : i.text);
    const parts = this.head.map(show);
    if (this.dropped > 0) parts.push(`... ${this.dropped} more ...`);
    parts.push(...this.tail.map(show));
    return parts.join(' ');
  }

  /** The block printed for one connection. */
  render(info: ConnectionInfo): string {
    const id = this.clientId !== undefined ? `"${this.clientId}"` : '(no CONNECT seen)';
    const version = this.protocolVersion ? `MQTT ${VERSION_LABEL[this.protocolVersion]}` : 'MQTT';
    const tls = info.tls?.version ? `, TLS ${info.tls.version} ${info.tls.cipherSuite ?? ''}${info.tls.decrypted ? '' : ' (not decrypted)'}` : '';
    const ws = info.wsPath ? `, WebSocket ${info.wsPath}` : '';
    const role = this.packets === 0 ? 'no MQTT decoded' : this.role;
    const lines = [
      `connection ${info.id}: client ${info.client} ${id} ${role}${this.username !== undefined ? ` user "${this.username}"` : ''}`,
      `  server ${info.server}, ${info.transport ?? 'tcp'}${tls}${ws}, ${version}, frames ${info.firstFrame}-${info.lastFrame}, ${this.packets} packets${info.gapBytes ? `, ${info.gapBytes} bytes lost in gaps` : ''}`,
    ];
    if (this.packets > 0) lines.push(`  ${this.flowLine()}`);
    for (const e of this.errors) lines.push(`  ! ${e}`);
    return lines.join('\n');
  }
}
