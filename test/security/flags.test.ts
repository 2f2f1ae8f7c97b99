// Security from flags alone: --password-file, --acl-file, --allow-anonymous on `glassmq broker` without -c, and
// the mosquitto 2 default that a password file means anonymous clients are refused unless allowed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnGlassmq, stopProcess, waitForPort } from '../helpers/net.js';
import { connackCode, connect, freePort, mosquittoPasswdFile, START_MS, subackCodes, tempDir, writeLines } from './harness.js';

async function broker(t: { after(fn: () => Promise<void> | void): void }, args: string[]): Promise<number> {
  const port = await freePort();
  const child = spawnGlassmq(['broker', '--memory', '--port', String(port), '--http-port', 'off', '--sys-interval', '0', ...args]);
  t.after(() => stopProcess(child));
  await waitForPort(port, '127.0.0.1', START_MS); // tsx start-up on a busy 2-core machine can take a while
  return port;
}

test('--password-file alone: anonymous refused (5), users by password (0 / 4) [MQTT-3.2.2-5]', async (t) => {
  const dir = tempDir(t);
  const pw = mosquittoPasswdFile(dir, { alice: 'apw' });
  const port = await broker(t, ['--password-file', pw]);
  assert.equal(await connackCode(port, {}), 5);
  assert.equal(await connackCode(port, { username: 'alice', password: 'apw' }), 0);
  assert.equal(await connackCode(port, { username: 'alice', password: 'x' }), 4);
});

test('--allow-anonymous true with --password-file and --acl-file: anonymous clients get the ACL lines before any user (SUBACK 1 / 0x80)', async (t) => {
  const dir = tempDir(t);
  const pw = mosquittoPasswdFile(dir, { alice: 'apw' });
  const acl = writeLines(dir, 'acl', ['topic read public/#', 'user alice', 'topic read a/#']);
  const port = await broker(t, ['--password-file', pw, '--acl-file', acl, '--allow-anonymous', 'true']);
  const anon = await connect(port);
  t.after(() => anon.endAsync(true));
  assert.deepEqual(await subackCodes(anon, ['public/x', 'a/x']), [1, 0x80]);
  const alice = await connect(port, { username: 'alice', password: 'apw' });
  t.after(() => alice.endAsync(true));
  assert.deepEqual(await subackCodes(alice, ['public/x', 'a/x']), [0x80, 1]);
});

test('--allow-anonymous false on the local default: anonymous refused (5) without any password file', async (t) => {
  const port = await broker(t, ['--allow-anonymous', 'false']);
  assert.equal(await connackCode(port, {}), 5);
  assert.equal(await connackCode(port, { protocolVersion: 5 }), 0x87);
});
