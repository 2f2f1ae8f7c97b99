import { readFileSync } from 'node:fs';

// src/version.ts (run by tsx) and dist/src/version.js (built) sit at different depths below package.json.
function readVersion(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'glassmq' && pkg.version) return pkg.version;
    } catch {
      // try the next depth
    }
  }
  return '0.0.0';
}

export const VERSION: string = readVersion();
