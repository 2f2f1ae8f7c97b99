// A broken configuration, password or ACL file stops `glassmq broker -c FILE` before it listens, with exactly
// `FILE:LINE: what is wrong` on stderr and a non-zero exit code; for lines mosquitto refuses too, Debian's
// mosquitto names the same line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { runGlassmq } from '../helpers/net.js';
import { freePort, MOSQUITTO, mosquittoPasswdFile, tempDir, writeLines } from './harness.js';

const RUN_MS = 60_000; // tsx start-up on a busy machine

async function brokerStart(conf: string): Promise<{ code: number | null; stderr: string }> {
  const r = await runGlassmq(['broker', '-c', conf], { timeoutMs: RUN_MS });
  return { code: r.code, stderr: r.stderr };
}

test('unknown directive: FILE:LINE on stderr, exit 1, and mosquitto names the same line', async (t) => {
  const dir = tempDir(t);
  const conf = writeLines(dir, 'm.conf', [`listener ${await freePort()} 127.0.0.1`, 'allow_anonymous true', 'max_keepalive 60', 'colour blue']);
  const r = await brokerStart(conf);
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim(), `${conf}:4: unknown directive 'colour'`);
  const m = spawnSync(MOSQUITTO, ['-c', conf], { encoding: 'utf8', timeout: RUN_MS });
  assert.notEqual(m.status, 0);
  assert.match(m.stderr + m.stdout, new RegExp(`${conf}:4`), 'mosquitto reports the same line');
});

test('a bad value names its line (BAD_VALUE / OUT_OF_RANGE)', async (t) => {
  const dir = tempDir(t);
  const conf = writeLines(dir, 'm.conf', ['# comment', `listener ${await freePort()} 127.0.0.1`, 'max_inflight_messages lots']);
  const r = await brokerStart(conf);
  assert.equal(r.code, 1);
  assert.match(r.stderr.trim(), new RegExp(`^${conf}:3: `));
});

test('a bad hash line in the password file stops the start with the password file and its line', async (t) => {
  const dir = tempDir(t);
  const pw = mosquittoPasswdFile(dir, { alice: 'a', bob: 'b' });
  const broken = writeLines(dir, 'passwd-broken', [...(await import('node:fs')).readFileSync(pw, 'utf8').trimEnd().split('\n'), 'carol:$7$101$notbase64!!$xx']);
  const conf = writeLines(dir, 'm.conf', [`listener ${await freePort()} 127.0.0.1`, `password_file ${broken}`]);
  const r = await brokerStart(conf);
  assert.equal(r.code, 1);
  assert.match(r.stderr.trim(), new RegExp(`^${broken}:3: `));
});

test('a bad ACL line stops the start with the ACL file and its line', async (t) => {
  const dir = tempDir(t);
  const acl = writeLines(dir, 'acl', ['user alice', 'topic readwrite a/#', 'topic read b/#', 'topci read c']);
  const conf = writeLines(dir, 'm.conf', [`listener ${await freePort()} 127.0.0.1`, 'allow_anonymous true', `acl_file ${acl}`]);
  const r = await brokerStart(conf);
  assert.equal(r.code, 1);
  assert.match(r.stderr.trim(), new RegExp(`^${acl}:4: `));
});

test('unreadable files: a missing configuration file is FILE:0, a password file without read permission names the conf line', async (t) => {
  const dir = tempDir(t);
  const missing = join(dir, 'nope.conf');
  const r1 = await brokerStart(missing);
  assert.equal(r1.code, 1);
  assert.match(r1.stderr.trim(), new RegExp(`^${missing}:0: `));

  const locked = writeLines(dir, 'passwd', ['alice:$7$101$AAAAAAAAAAAAAAAA$AAAA']);
  chmodSync(locked, 0o000);
  const conf = writeLines(dir, 'm.conf', [`listener ${await freePort()} 127.0.0.1`, `password_file ${locked}`, `acl_file ${join(dir, 'no-acl')}`]);
  const r2 = await brokerStart(conf);
  assert.equal(r2.code, 1);
  // root reads a 0000 file anyway; then the missing ACL file (line 3) is the first problem
  const line = process.getuid?.() === 0 ? 3 : 2;
  assert.match(r2.stderr.trim(), new RegExp(`^${conf}:${line}: `));
});
