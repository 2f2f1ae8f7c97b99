#!/usr/bin/env node
// The published entry point runs the compiled CLI; `npm run build` (or `npm start`) produces it.
import('../dist/src/cli/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/src/cli/main.js')) {
    console.error('glassmq: not built yet; run `npm run build` first');
    process.exit(1);
  }
  throw err;
});
