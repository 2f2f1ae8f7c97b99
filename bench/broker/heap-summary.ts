// Self size and count per constructor in a V8 heap snapshot, biggest first: what each idle connection costs.
//   node --import tsx bench/broker/heap-summary.ts FILE.heapsnapshot [--top=30] [--per=10000] [--who=KEY,...]
// --per divides sizes and counts by that number (the connections held when the snapshot was taken); --who lists,
// for the groups named (as printed, e.g. 'Object' or '(array)'), which owner and field hold them.
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]]; edge_fields: string[]; edge_types: [string[], ...unknown[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

const file = process.argv[2];
if (!file) {
  console.error('usage: heap-summary.ts FILE.heapsnapshot [--top=30] [--per=N]');
  process.exit(2);
}
const opt = (name: string, fallback: number): number => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const top = opt('top', 30);
const per = opt('per', 1);
const who = new Set(process.argv.find((a) => a.startsWith('--who='))?.slice('--who='.length).split(',') ?? []);

const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
const fields = snap.snapshot.meta.node_fields;
const types = snap.snapshot.meta.node_types[0];
const stride = fields.length;
const typeAt = fields.indexOf('type');
const nameAt = fields.indexOf('name');
const sizeAt = fields.indexOf('self_size');
const groups = new Map<string, { count: number; bytes: number }>();
let total = 0;
/** Objects and closures by constructor / function name; everything else by its V8 node type. */
function keyOf(i: number): string {
  const type = types[snap.nodes[i + typeAt]!]!;
  const name = snap.strings[snap.nodes[i + nameAt]!]!;
  return type === 'object' || type === 'closure' ? `${type === 'closure' ? 'closure ' : ''}${name}` : `(${type})`;
}
for (let i = 0; i < snap.nodes.length; i += stride) {
  const key = keyOf(i);
  const size = snap.nodes[i + sizeAt]!;
  const g = groups.get(key) ?? { count: 0, bytes: 0 };
  g.count++;
  g.bytes += size;
  groups.set(key, g);
  total += size;
}
console.log(`${file}: ${(total / 1024 / 1024).toFixed(1)} MB self size${per > 1 ? `; per unit of ${per}: ${(total / per).toFixed(0)} B` : ''}`);
for (const [key, g] of [...groups].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, top)) {
  console.log(`${(g.bytes / per).toFixed(per > 1 ? 1 : 0).padStart(12)} B ${(g.count / per).toFixed(per > 1 ? 2 : 0).padStart(10)} x  ${key}`);
}

if (who.size > 0) {
  // walk every edge once: owner node -> held node, grouped as "owner key .field" per held group
  const eFields = snap.snapshot.meta.edge_fields;
  const eTypes = snap.snapshot.meta.edge_types[0];
  const eStride = eFields.length;
  const countAt = fields.indexOf('edge_count');
  const owners = new Map<string, Map<string, { count: number; bytes: number }>>();
  // each node goes to the first owner found (so shared ones count once), never through a prototype or shape link
  const seen = new Set<number>();
  let e = 0;
  for (let i = 0; i < snap.nodes.length; i += stride) {
    const edges = snap.nodes[i + countAt]!;
    const ownerKey = keyOf(i);
    for (let k = 0; k < edges; k++, e += eStride) {
      const eType = eTypes[snap.edges[e]!]!;
      if (eType === 'weak') continue;
      const to = snap.edges[e + 2]!;
      const heldKey = keyOf(to);
      if (!who.has(heldKey) || seen.has(to)) continue;
      const nameOrIndex = snap.edges[e + 1]!;
      const field = eType === 'element' || eType === 'hidden' ? `[${eType}]` : snap.strings[nameOrIndex]!;
      if (field === '__proto__' || field === 'map' || field === 'prototype') continue;
      seen.add(to);
      const byOwner = owners.get(heldKey) ?? new Map<string, { count: number; bytes: number }>();
      owners.set(heldKey, byOwner);
      const ownerField = `${ownerKey} .${field}`;
      const g = byOwner.get(ownerField) ?? { count: 0, bytes: 0 };
      g.count++;
      g.bytes += snap.nodes[to + sizeAt]!;
      byOwner.set(ownerField, g);
    }
  }
  for (const [held, byOwner] of owners) {
    console.log(`\n${held} is held by (each node counted once, under its first owner):`);
    for (const [ownerField, g] of [...byOwner].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, top)) {
      console.log(`${(g.bytes / per).toFixed(per > 1 ? 1 : 0).padStart(12)} B ${(g.count / per).toFixed(per > 1 ? 2 : 0).padStart(10)} x  ${ownerField}`);
    }
  }
}
