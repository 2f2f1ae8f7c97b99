#!/usr/bin/env -S node --max-semi-space-size=2
// The published entry point runs the compiled CLI; `npm run build` (or `npm start`) produces it.
// --max-semi-space-size=2 (MB): V8's young generation otherwise grows to 16 MB under a connect burst and stays
// resident, ~1.9 KB per idle connection at 10,000; measured without fan-in loss (docs/bench-memory.md). Only the
// shebang can set it (V8 sizes the heap before any script runs), so `node bin/glassmq.js` needs it on its own line.
import('../dist/src/cli/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/src/cli/main.js')) {
    console.error('glassmq: not built yet; run `npm run build` first');
    process.exit(1);
  }
  throw err;
});
