// Top self-time functions of a V8 .cpuprofile (from `run.ts --profile`), to name the broker's hot spots.
//   node --import tsx bench/broker/profile-summary.ts bench/broker/profiles/<scenario>/CPU.*.cpuprofile [--top=25] [--with-startup]
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const files = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const top = Number(process.argv.find((a) => a.startsWith('--top='))?.slice(6) ?? 25);
/** Module loading and the tsx loader thread: start-up cost, not the broker's hot path. */
const STARTUP = /node:internal\/(modules|bootstrap|source_map|deps\/cjs-module-lexer|process\/pre_execution)|tsx\/dist|^(makeSyncRequest|waitForWorker|compile|parse|wrapSafe)\b/;
const keepStartup = process.argv.includes('--with-startup');
const selfUs = new Map<string, number>();
let totalUs = 0;
for (const file of files) {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  p.samples.forEach((id, i) => {
    const n = byId.get(id)!;
    const f = n.callFrame;
    const where = f.url ? `${f.url.replace(/^.*\/work\/main\//, '')}:${f.lineNumber + 1}` : '';
    const key = `${f.functionName || '(anonymous)'} ${where}`.trim();
    const dt = p.timeDeltas[i] ?? 0;
    selfUs.set(key, (selfUs.get(key) ?? 0) + dt);
    totalUs += dt;
  });
}
const busy = [...selfUs].filter(([k]) => !k.startsWith('(idle)') && !k.startsWith('(program)') && (keepStartup || !STARTUP.test(k)));
const busyUs = busy.reduce((s, [, v]) => s + v, 0);
console.log(`profiled ${(totalUs / 1e6).toFixed(1)} s, busy ${(busyUs / 1e6).toFixed(1)} s`);
for (const [k, v] of busy.sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`${((100 * v) / busyUs).toFixed(1).padStart(5)}%  ${k}`);
}
