// Text tree of a dissection, in the manner of Wireshark's packet details pane.
import { PACKET_TYPE_NAME, VERSION_LABEL } from '../constants.js';
import type { DissectField, Dissection } from '../dissection.js';
import { fieldText } from './text.js';

const INDENT = '    ';
const TYPE_SHIFT = 4;

export function renderTree(d: Dissection): string {
  const lines: string[] = [title(d)];
  for (const f of d.fields) walk(f, 1, lines);
  if (d.error) lines.push(errorLine(d));
  return lines.join('\n');
}

export function errorLine(d: Dissection): string {
  return `error at offset ${d.error?.offset ?? 0}: ${d.error?.message ?? ''}`;
}

function title(d: Dissection): string {
  const first = d.bytes[0];
  const type = first === undefined ? undefined : PACKET_TYPE_NAME[first >> TYPE_SHIFT];
  const name = type ? type.toUpperCase() : 'unknown packet';
  return `MQTT ${name} (MQTT ${VERSION_LABEL[d.protocolVersion]}), ${d.bytes.length} bytes${d.error ? ', malformed' : ''}`;
}

function walk(f: DissectField, depth: number, lines: string[]): void {
  const pad = INDENT.repeat(depth);
  lines.push(pad + fieldText(f));
  if (f.error !== undefined && !f.children?.some((c) => c.error !== undefined)) lines.push(`${pad}${INDENT}[Malformed: ${f.error}]`);
  if (f.children) for (const c of f.children) walk(c, depth + 1, lines);
}
