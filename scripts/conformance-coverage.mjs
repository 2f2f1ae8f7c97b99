#!/usr/bin/env node
// Conformance coverage: which server-side statements of the spec checklists (who = server or both)
// a test under test/conformance names, per version. Test names carry tags like `v3.1.1 [MQTT-3.1.0-2]`
// or `v5 [MQTT-3.3.2-8] [MQTT-4.13.1-1]`.
//   node scripts/conformance-coverage.mjs [--json] [--list]
import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SPEC_DIR = process.env.SPEC_DIR ?? join(ROOT, '..', 'shared', 'spec');
const TEST_DIR = join(ROOT, 'test', 'conformance');

const VERSIONS = [
  { key: 'v3.1.1', file: 'mqtt-3.1.1-checklist.md' },
  { key: 'v5', file: 'mqtt-5.0-checklist.md' },
];

/** Rows `| MQTT-x.y.z-n | text | who |` of a checklist. */
export function readChecklist(path) {
  const rows = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^\|\s*(MQTT-[\d.]+-\d+)\s*\|(.*)\|\s*(server|client|both)\s*\|\s*$/.exec(line);
    if (m) rows.push({ id: m[1], text: m[2].trim(), who: m[3] });
  }
  return rows;
}

/** Every `v3.1.1 [..] [..]` / `v5 [..]` tag in the conformance test sources, as a set of IDs per version. */
export function readTags(dir) {
  const tagged = { 'v3.1.1': new Map(), v5: new Map() };
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.test.ts')).sort()) {
    const text = readFileSync(join(dir, name), 'utf8');
    for (const m of text.matchAll(/\b(v3\.1\.1|v5) ((?:\[MQTT-[\d.]+-\d+\]\s*)+)/g)) {
      for (const id of m[2].matchAll(/MQTT-[\d.]+-\d+/g)) {
        const files = tagged[m[1]].get(id[0]) ?? new Set();
        files.add(name);
        tagged[m[1]].set(id[0], files);
      }
    }
  }
  return tagged;
}

export function coverage(specDir = SPEC_DIR, testDir = TEST_DIR) {
  const tags = readTags(testDir);
  return VERSIONS.map(({ key, file }) => {
    const rows = readChecklist(join(specDir, file));
    const server = rows.filter((r) => r.who !== 'client');
    const known = new Set(rows.map((r) => r.id));
    return {
      version: key,
      covered: server.filter((r) => tags[key].has(r.id)).map((r) => r.id),
      uncovered: server.filter((r) => !tags[key].has(r.id)),
      total: server.length,
      unknownTags: [...tags[key].keys()].filter((id) => !known.has(id)),
    };
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const result = coverage();
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify(result, null, 2));
  } else {
    let covered = 0;
    let total = 0;
    for (const r of result) {
      covered += r.covered.length;
      total += r.total;
      console.log(`${r.version}: covered ${r.covered.length} / ${r.total} server statements`);
      if (r.unknownTags.length) console.log(`  tags not in the checklist: ${r.unknownTags.join(', ')}`);
      if (process.argv.includes('--list')) for (const u of r.uncovered) console.log(`  uncovered ${u.id} (${u.who}): ${u.text}`);
    }
    console.log(`total: covered ${covered} / ${total} server statements (${((100 * covered) / total).toFixed(1)}%)`);
  }
}
