// CONNECT authentication decisions and the per-address failure throttle (fake clock: no sleeping).
// The broker maps bad-credentials to 3.1.1 CONNACK 4 / 5.0 0x86 and not-authorized to 5 / 0x87 (v5 [MQTT-3.1.4-2]).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Authenticator } from '../../src/auth/authenticator.js';
import { AuthFileError } from '../../src/auth/errors.js';
import { createPbkdf2Hash } from '../../src/auth/password-hash.js';
import { tempDir } from './mosquitto-peer.js';

const pw = (s: string): Buffer => Buffer.from(s, 'utf8');

async function passwordFile(t: { after(fn: () => void): void }, users: Record<string, string>): Promise<string> {
  const file = join(tempDir(t), 'passwd');
  const lines = await Promise.all(Object.entries(users).map(async ([u, p]) => `${u}:${await createPbkdf2Hash(pw(p))}`));
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

test('v5 [MQTT-3.1.4-2] password file: good password ok, wrong/unknown/missing password bad-credentials, anonymous per allow_anonymous', async (t) => {
  const file = await passwordFile(t, { alice: 'right' });
  const auth = new Authenticator({ allowAnonymous: false, passwordFile: file });
  const base = { clientId: 'c', remoteAddress: '10.0.0.1' };
  assert.deepEqual(await auth.authenticate({ ...base, username: 'alice', password: pw('right') }), { ok: true, username: 'alice', detail: 'password' });
  assert.deepEqual(await auth.authenticate({ ...base, username: 'alice', password: pw('wrong') }), { ok: false, reason: 'bad-credentials', detail: 'bad-password' });
  assert.deepEqual(await auth.authenticate({ ...base, username: 'bob', password: pw('right') }), { ok: false, reason: 'bad-credentials', detail: 'unknown-user' });
  assert.deepEqual(await auth.authenticate({ ...base, username: 'alice' }), { ok: false, reason: 'bad-credentials', detail: 'missing-password' });
  assert.deepEqual(await auth.authenticate(base), { ok: false, reason: 'not-authorized', detail: 'anonymous-refused' });

  const open = new Authenticator({ allowAnonymous: true, passwordFile: file });
  assert.deepEqual(await open.authenticate(base), { ok: true, detail: 'anonymous' });
  assert.equal((await open.authenticate({ ...base, username: 'alice', password: pw('wrong') })).ok, false, 'a wrong password is refused even when anonymous clients are allowed');
});

test('without a password file a user name proves nothing: allowed only when anonymous clients are', async () => {
  const base = { clientId: 'c', remoteAddress: '10.0.0.1', username: 'claimed', password: pw('x') };
  assert.equal((await new Authenticator({ allowAnonymous: true }).authenticate(base)).ok, true);
  assert.deepEqual(await new Authenticator({ allowAnonymous: false }).authenticate(base), { ok: false, reason: 'not-authorized', detail: 'anonymous-refused' });
});

test('a verified certificate identity replaces the user name and needs no password', async (t) => {
  const auth = new Authenticator({ allowAnonymous: false, passwordFile: await passwordFile(t, { alice: 'right' }) });
  const r = await auth.authenticate({ clientId: 'c', remoteAddress: '10.0.0.1', username: 'ignored', certificateUsername: 'device-7' });
  assert.deepEqual(r, { ok: true, username: 'device-7', detail: 'certificate' });
});

test('throttle: 5 failures within 60 s lock the address out for 30 s without checking passwords; others unaffected', async (t) => {
  let now = 1_000_000;
  const clock = { now: () => now };
  const auth = new Authenticator({ allowAnonymous: false, passwordFile: await passwordFile(t, { alice: 'right' }), clock });
  const from = (remoteAddress: string, password: string) => auth.authenticate({ clientId: 'c', remoteAddress, username: 'alice', password: pw(password) });
  for (let i = 0; i < 4; i++) assert.equal((await from('10.0.0.9', 'guess')).ok, false);
  now += 10_000;
  assert.equal((await from('10.0.0.9', 'guess')).ok, false); // fifth failure
  const locked = await from('10.0.0.9', 'right');
  assert.deepEqual(locked, { ok: false, reason: 'not-authorized', detail: 'throttled', retryAfterMs: 30_000 }, 'even the right password waits');
  assert.equal((await from('10.0.0.10', 'right')).ok, true, 'another address is not affected');
  now += 30_000;
  assert.equal((await from('10.0.0.9', 'right')).ok, true, 'lockout over');
});

test('throttle: failures older than the window do not count; a success clears the record', async (t) => {
  let now = 0;
  const auth = new Authenticator({ allowAnonymous: false, passwordFile: await passwordFile(t, { alice: 'right' }), clock: { now: () => now } });
  const from = (password: string) => auth.authenticate({ clientId: 'c', remoteAddress: '::1', username: 'alice', password: pw(password) });
  for (let i = 0; i < 4; i++) await from('guess');
  now += 60_000;
  assert.equal((await from('guess')).detail, 'bad-password', 'window slid past the first four');
  for (let i = 0; i < 3; i++) await from('guess');
  assert.equal((await from('right')).ok, true);
  for (let i = 0; i < 4; i++) await from('guess');
  assert.equal((await from('guess')).detail, 'bad-password', 'the success reset the count');
  assert.equal((await from('guess')).detail, 'throttled');
});

test('reload (SIGHUP) picks up a changed password file; a broken file throws and keeps the old users', async (t) => {
  const file = await passwordFile(t, { alice: 'one' });
  const auth = new Authenticator({ allowAnonymous: false, passwordFile: file });
  const login = (password: string) => auth.authenticate({ clientId: 'c', remoteAddress: '10.1.1.1', username: 'alice', password: pw(password) });
  writeFileSync(file, `alice:${await createPbkdf2Hash(pw('two'))}\n`);
  auth.reload();
  assert.equal((await login('two')).ok, true);
  writeFileSync(file, 'alice:not-a-hash\n');
  assert.throws(() => auth.reload(), (err: unknown) => err instanceof AuthFileError && err.code === 'PASSWORD_HASH_INVALID' && err.line === 1);
  assert.equal((await login('two')).ok, true, 'previous users still in force');
  auth.reload({ allowAnonymous: true, passwordFile: undefined });
  assert.equal(auth.allowAnonymous, true);
});
