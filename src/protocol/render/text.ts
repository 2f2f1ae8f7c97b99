// One field as a line of text, shared by the tree and the hex dump.
import type { DissectField } from '../dissection.js';

export function fieldText(f: DissectField): string {
  const shown = f.display ?? (f.value === undefined ? undefined : valueText(f.value));
  const head = f.bits !== undefined ? `${f.bits} = ${f.name}` : f.name;
  return shown === undefined ? head : `${head}: ${shown}`;
}

function valueText(v: unknown): string {
  if (Buffer.isBuffer(v)) return `0x${v.toString('hex')}`;
  if (typeof v === 'string') return `"${v}"`;
  return String(v);
}
