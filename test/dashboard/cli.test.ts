// `glassmq broker --http-port ...` as users run it: the dashboard listener opens, says where, and requires the
// token it prints when bound beyond loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { freePort, runGlassmq, spawnGlassmq, stopProcess, waitForPort } from '../helpers/net.js';
import { parseBrokerFlags } from '../../src/config/broker-flags.js';
import { httpListenerConfig } from '../../src/server/http-listener.js';
import { eventually } from './support.js';

const START_MS = 20_000;

test('glassmq broker --http-port N serves /healthz, /metrics and the API next to the MQTT port', async (t) => {
  const [port, httpPort] = [await freePort(), await freePort()];
  const child = spawnGlassmq(['broker', '--memory', '--port', String(port), '--http-port', String(httpPort)]);
  t.after(() => stopProcess(child));
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  await waitForPort(httpPort, '127.0.0.1', START_MS);
  assert.equal((await fetch(`http://127.0.0.1:${httpPort}/healthz`)).status, 200);
  const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  assert.match(metrics, /^glassmq_connections 0$/m);
  const overview = (await (await fetch(`http://127.0.0.1:${httpPort}/api/overview`)).json()) as { listeners: { name: string }[] };
  assert.deepEqual(overview.listeners.map((l) => l.name), [`tcp:127.0.0.1:${port}`]);
  await eventually(() => (stderr.includes(`dashboard: http://127.0.0.1:${httpPort}/`) ? true : undefined));
});

test('glassmq broker --http-host 0.0.0.0 prints a generated token; the API answers 401 without it', async (t) => {
  const [port, httpPort] = [await freePort(), await freePort()];
  const child = spawnGlassmq(['broker', '--memory', '--port', String(port), '--http-host', '0.0.0.0', '--http-port', String(httpPort)]);
  t.after(() => stopProcess(child));
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  await waitForPort(httpPort, '127.0.0.1', START_MS);
  const token = await eventually(() => /token ([0-9a-f]{32})/.exec(stderr)?.[1]);
  assert.equal((await fetch(`http://127.0.0.1:${httpPort}/api/overview`)).status, 401);
  assert.equal((await fetch(`http://127.0.0.1:${httpPort}/api/overview`, { headers: { Authorization: `Bearer ${token}` } })).status, 200);
});

test('an HTTP port in use fails at start with one line naming --http-port', async (t) => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  t.after(() => new Promise((r) => blocker.close(r)));
  const { port: taken } = blocker.address() as { port: number };
  const r = await runGlassmq(['broker', '--memory', '--port', String(await freePort()), '--http-port', String(taken)], { timeoutMs: START_MS });
  assert.notEqual(r.code, 0);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /--http-port/);
  assert.match(lines[0]!, /already in use/);
});

test('the HTTP listener is part of the default listener set only: --port alone opens none, --http-port off none', () => {
  const defaults = parseBrokerFlags([]);
  assert.ok(!defaults.help);
  assert.deepEqual(httpListenerConfig(defaults.config), { host: '127.0.0.1', port: 18083, token: undefined });
  const portOnly = parseBrokerFlags(['--port', '1884']);
  assert.ok(!portOnly.help);
  assert.equal(httpListenerConfig(portOnly.config), undefined);
  const both = parseBrokerFlags(['--port', '1884', '--http-port', '8080', '--http-host', '0.0.0.0', '--http-token', 't0k']);
  assert.ok(!both.help);
  assert.deepEqual(httpListenerConfig(both.config), { host: '0.0.0.0', port: 8080, token: 't0k' });
  const off = parseBrokerFlags(['--http-port', 'off']);
  assert.ok(!off.help);
  assert.equal(httpListenerConfig(off.config), undefined);
  assert.throws(() => parseBrokerFlags(['--http-port', '70000']), /--http-port/);
});
