// `glassmq broker --cluster`: what happens when Redis is not there, and flag mistakes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort, runGlassmq } from '../helpers/net.js';

const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

test('Redis unreachable at start: one clear error line naming --cluster and the URL, non-zero exit', { timeout: 60_000 }, async () => {
  const redisPort = await freePort(); // nothing listens there
  const mqttPort = await freePort();
  const r = await runGlassmq(['broker', '--port', String(mqttPort), '--memory', '--cluster', `redis://127.0.0.1:${redisPort}`, '--node-id', 'lonely'], { timeoutMs: 45_000 });
  assert.equal(r.code, EXIT_FAILURE);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, new RegExp(`^glassmq broker: --cluster: cannot reach Redis at redis://127\\.0\\.0\\.1:${redisPort}: `));
});

test('a password in the Redis URL is not printed', { timeout: 60_000 }, async () => {
  const redisPort = await freePort();
  const r = await runGlassmq(['broker', '--port', '0', '--memory', '--cluster', `redis://user:s3cret@127.0.0.1:${redisPort}`], { timeoutMs: 45_000 });
  assert.equal(r.code, EXIT_FAILURE);
  assert.doesNotMatch(r.stderr, /s3cret/);
  assert.match(r.stderr, /redis:\/\/user:\*\*\*@127\.0\.0\.1/);
});

test('--cluster with something that is not a redis:// URL is a usage error', { timeout: 60_000 }, async () => {
  const r = await runGlassmq(['broker', '--cluster', 'http://127.0.0.1:6379'], { timeoutMs: 45_000 });
  assert.equal(r.code, EXIT_USAGE);
  assert.match(r.stderr, /--cluster: expected redis:\/\/HOST:PORT/);
});

test('--node-id without --cluster is refused', { timeout: 60_000 }, async () => {
  const r = await runGlassmq(['broker', '--port', '0', '--memory', '--node-id', 'n1'], { timeoutMs: 45_000 });
  assert.equal(r.code, EXIT_FAILURE);
  assert.match(r.stderr, /--node-id: needs --cluster redis:\/\/HOST:PORT/);
});
