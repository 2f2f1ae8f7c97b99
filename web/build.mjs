#!/usr/bin/env node
// Builds the dashboard front end into web/dist with esbuild: one JS bundle (Preact, uPlot and our code), one
// CSS file and index.html. No CDN: everything the page loads comes from the broker. `--watch` rebuilds on change.
import { build, context } from 'esbuild';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'dist');

const options = {
  entryPoints: { app: join(here, 'src', 'main.tsx'), styles: join(here, 'src', 'styles.css') },
  bundle: true,
  outdir: out,
  format: 'esm',
  target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: true,
  sourcemap: true,
  legalComments: 'linked',
  logLevel: 'warning',
};

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
copyFileSync(join(here, 'src', 'index.html'), join(out, 'index.html'));
copyFileSync(join(here, 'src', 'favicon.svg'), join(out, 'favicon.svg'));
if (process.argv.includes('--watch')) {
  const ctx = await context(options);
  await ctx.watch();
  console.log('web: watching web/src');
} else {
  await build(options);
  console.log(`web: built ${out}`);
}
