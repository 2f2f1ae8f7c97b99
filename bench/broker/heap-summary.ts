// Self size and count per constructor in a V8 heap snapshot, biggest first: what each idle connection costs.
//   node --import tsx bench/broker/heap-summary.ts FILE.heapsnapshot [--top=30] [--per=10000]
// --per divides sizes and counts by that number (the connections held when the snapshot was taken).
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
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

const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
const fields = snap.snapshot.meta.node_fields;
const types = snap.snapshot.meta.node_types[0];
const stride = fields.length;
const typeAt = fields.indexOf('type');
const nameAt = fields.indexOf('name');
const sizeAt = fields.indexOf('self_size');
const groups = new Map<string, { count: number; bytes: number }>();
let total = 0;
for (let i = 0; i < snap.nodes.length; i += stride) {
  const type = types[snap.nodes[i + typeAt]!]!;
  const name = snap.strings[snap.nodes[i + nameAt]!]!;
  // objects and closures by constructor / function name; everything else by its V8 node type
  const key = type === 'object' || type === 'closure' ? `${type === 'closure' ? 'closure ' : ''}${name}` : `(${type})`;
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
