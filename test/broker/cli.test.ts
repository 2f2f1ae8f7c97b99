// `glassmq broker` as users run it: start, accept a real client, fail clearly, stop on SIGTERM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { spawnSync } from 'node:child_process';
import { freePort, runGlassmq, spawnGlassmq, stopProcess, waitForPort } from '../helpers/net.js';
import { until } from './support.js';

const START_MS = 20_000;

test('glassmq broker --port N starts, says where it listens, and accepts mosquitto_pub', async (t) => {
  const port = await freePort();
  const child = spawnGlassmq(['broker', '--memory', '--port', String(port)]);
  t.after(() => stopProcess(child));
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  await waitForPort(port, '127.0.0.1', START_MS);
  const pub = spawnSync('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-t', 'cli/test', '-m', 'hi', '-q', '1'], { timeout: 10_000 });
  assert.equal(pub.status, 0, pub.stderr.toString());
  // spawnSync blocked this event loop: let the broker's log lines arrive before looking at them
  await until(() => /store: memory/.test(stderr), 'the start-up log lines');
  assert.match(stderr, new RegExp(`listening on mqtt://127\\.0\\.0\\.1:${port}`));
});

test('a port in use fails at start with one line naming --port', async (t) => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  t.after(() => new Promise((r) => blocker.close(r)));
  const { port } = blocker.address() as { port: number };
  const r = await runGlassmq(['broker', '--memory', '--port', String(port)], { timeoutMs: START_MS });
  assert.notEqual(r.code, 0);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /--port/);
  assert.match(lines[0]!, /already in use/);
});

test('a bad value fails at start with one line naming the flag', async () => {
  for (const [args, flag] of [[['--port', 'http'], '--port'], [['--max-inflight', '-3'], '--max-inflight']] as const) {
    const r = await runGlassmq(['broker', '--memory', ...args], { timeoutMs: START_MS });
    assert.notEqual(r.code, 0);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.ok(lines[0]!.includes(flag), lines[0]);
  }
});

test('SIGTERM stops the broker within 5 s with exit code 0', async (t) => {
  const port = await freePort();
  const child = spawnGlassmq(['broker', '--memory', '--port', String(port)]);
  t.after(() => stopProcess(child));
  await waitForPort(port, '127.0.0.1', START_MS);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const started = Date.now();
  child.kill('SIGTERM');
  const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 5000))]);
  assert.equal(code, 0);
  assert.ok(Date.now() - started < 5000);
});

test('glassmq broker --help prints the flags', async () => {
  const r = await runGlassmq(['broker', '--help'], { timeoutMs: START_MS });
  assert.equal(r.code, 0);
  assert.match(r.stdout, /--max-queued-bytes/);
});
