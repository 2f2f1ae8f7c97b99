// What a broker is not configured to use is not loaded: the cluster engine (ioredis) only with --cluster, the
// SQLite store (better-sqlite3) only without --memory, the dashboard (prom-client) only with an HTTP listener.
// Less to load is less to start and less for every full garbage collection to mark (docs/latency.md, L5).
// Seen from outside: NODE_DEBUG=module makes Node log every CommonJS file it loads, these three packages included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort, runGlassmq, spawnGlassmq, stopProcess } from '../helpers/net.js';
import { START_MS, startBroker, tempDir } from './support.js';

const MODULE_LOG = { NODE_DEBUG: 'module' };
const loaded = (output: string, pkg: string): boolean => output.includes(`node_modules/${pkg}/`);

test('a --memory broker with an MQTT port only loads neither ioredis, better-sqlite3 nor prom-client', async (t) => {
  const broker = await startBroker(t, ['--port', String(await freePort())], MODULE_LOG);
  await broker.urls();
  const out = broker.output();
  assert.ok(loaded(out, 'pino'), 'the module log is there (pino is always loaded)');
  for (const pkg of ['ioredis', 'better-sqlite3', 'prom-client']) assert.equal(loaded(out, pkg), false, `${pkg} was loaded`);
});

test('the dashboard is loaded with --http-port, and serves', async (t) => {
  const broker = await startBroker(t, ['--port', String(await freePort()), '--http-port', String(await freePort())], MODULE_LOG);
  const urls = await broker.urls();
  assert.ok(loaded(broker.output(), 'prom-client'), 'prom-client not loaded');
  const http = urls.find((u) => u.startsWith('http://'));
  assert.ok(http, `no http URL in ${urls.join(', ')}`);
  const res = await fetch(new URL('/healthz', http));
  assert.equal(res.status, 200);
});

test('the SQLite store is loaded without --memory, and opens its file', async (t) => {
  const dir = tempDir(t);
  const child = spawnGlassmq(['broker', '--port', String(await freePort()), '--data-dir', dir], { env: MODULE_LOG });
  t.after(() => stopProcess(child));
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + START_MS;
  while (!/glassmq \S+ running/.test(out) && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.match(out, /store: sqlite \S+/);
  assert.ok(loaded(out, 'better-sqlite3'), 'better-sqlite3 not loaded');
  assert.equal(loaded(out, 'ioredis'), false, 'ioredis was loaded');
});

test('--cluster loads the cluster engine; Redis unreachable still stops the start with the line naming --cluster', async () => {
  const port = await freePort(); // nothing listens there
  const r = await runGlassmq(['broker', '--memory', '--port', String(await freePort()), '--cluster', `redis://127.0.0.1:${port}`], { env: MODULE_LOG, timeoutMs: START_MS });
  assert.notEqual(r.code, 0);
  assert.ok(loaded(r.stderr + r.stdout, 'ioredis'), 'ioredis not loaded');
  const lines = r.stderr.split('\n').filter((l) => !/^MODULE \d+:/.test(l) && l.trim() !== '');
  assert.equal(lines.length, 1, `one error line, got:\n${lines.join('\n')}`);
  assert.match(lines[0]!, /--cluster/);
});
