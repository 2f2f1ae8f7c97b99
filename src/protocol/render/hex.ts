// Annotated hex dump: the classic 16-bytes-a-line dump, then every field with its offset and its own bytes.
import { maskedHex, secretRanges, type DissectField, type Dissection } from '../dissection.js';
import { fieldText } from './text.js';
import { errorLine } from './tree.js';

const BYTES_PER_LINE = 16;
const FIELD_HEX_BYTES = 12;
const PRINTABLE_LOW = 0x20;
const PRINTABLE_HIGH = 0x7e;

/** Secret bytes (the password unless showSecrets) appear as "**" and "*". */
export function renderHexDump(d: Dissection): string {
  const secrets = secretRanges(d);
  const lines = classicDump(d.bytes, secrets);
  lines.push('');
  const width = FIELD_HEX_BYTES * 3 + 4;
  const walk = (fields: DissectField[], depth: number): void => {
    for (const f of fields) {
      const isGroup = f.children !== undefined && f.children.length > 0 && f.children.every((c) => c.bits === undefined);
      const end = Math.min(f.offset + f.length, d.bytes.length);
      let hex = maskedHex(d.bytes, f.offset, Math.min(end, f.offset + FIELD_HEX_BYTES), secrets, ' ');
      if (end - f.offset > FIELD_HEX_BYTES) hex += ' ..';
      const label = '  '.repeat(depth) + fieldText(f) + (f.error !== undefined && !isGroup ? `  [Malformed: ${f.error}]` : '');
      if (isGroup) {
        lines.push(`${offsetText(f.offset)}  ${''.padEnd(width)}${label}`);
        walk(f.children!, depth + 1);
      } else {
        lines.push(`${offsetText(f.offset)}  ${hex.padEnd(width)}${label}`);
        if (f.children) for (const c of f.children) lines.push(`${offsetText(c.offset)}  ${''.padEnd(width)}${'  '.repeat(depth + 1)}${fieldText(c)}`);
      }
    }
  };
  walk(d.fields, 0);
  if (d.error) lines.push(errorLine(d));
  return lines.join('\n');
}

function offsetText(n: number): string {
  return n.toString(16).padStart(4, '0');
}

function classicDump(bytes: Buffer, secrets: [number, number][]): string[] {
  const lines: string[] = [];
  for (let i = 0; i < bytes.length; i += BYTES_PER_LINE) {
    const end = Math.min(i + BYTES_PER_LINE, bytes.length);
    let ascii = '';
    for (let k = i; k < end; k++) {
      const b = bytes[k]!;
      ascii += secrets.some(([a, z]) => k >= a && k < z) ? '*' : b >= PRINTABLE_LOW && b <= PRINTABLE_HIGH ? String.fromCharCode(b) : '.';
    }
    lines.push(`${offsetText(i)}  ${maskedHex(bytes, i, end, secrets, ' ').padEnd(BYTES_PER_LINE * 3 - 1)}  ${ascii}`);
  }
  return lines;
}
