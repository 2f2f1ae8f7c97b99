// Password files shared with Debian's mosquitto: files written by mosquitto_passwd verify in glassmq, files
// written by `glassmq passwd` authenticate in mosquitto, and bad files name FILE:LINE with a stable code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PasswordFile } from '../../src/auth/password-file.js';
import { AuthFileError } from '../../src/auth/errors.js';
import { CLI_ENTRY, runGlassmq, stopProcess } from '../helpers/net.js';
import { mosquittoPasswd, mosquittoPub, startMosquitto, tempDir } from './mosquitto-peer.js';

const pw = (s: string): Buffer => Buffer.from(s, 'utf8');

test('mosquitto_passwd $7$ (its default, sha512-pbkdf2) and $6$ (-H sha512) lines verify in glassmq', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'passwd');
  assert.equal(mosquittoPasswd(['-c', '-b', file, 'alice', 'wonder land']).code, 0);
  assert.equal(mosquittoPasswd(['-H', 'sha512', '-b', file, 'bob', 'b0b']).code, 0);
  assert.equal(mosquittoPasswd(['-H', 'sha512-pbkdf2', '-b', file, 'carol', 'ünïcödé']).code, 0);
  const text = readFileSync(file, 'utf8');
  assert.match(text, /^alice:\$7\$101\$/m, 'mosquitto_passwd 2.0 writes $7$ with 101 iterations by default');
  assert.match(text, /^bob:\$6\$/m);

  const users = PasswordFile.load(file);
  assert.equal(users.size, 3);
  assert.equal(await users.verify('alice', pw('wonder land')), true);
  assert.equal(await users.verify('alice', pw('wonder lan')), false);
  assert.equal(await users.verify('bob', pw('b0b')), true);
  assert.equal(await users.verify('bob', pw('B0b')), false);
  assert.equal(await users.verify('carol', pw('ünïcödé')), true);
  assert.equal(await users.verify('mallory', pw('b0b')), false, 'unknown user');
});

test('$argon2id$ PHC lines (mosquitto 2.1 default) from the reference argon2 tool verify', async (t) => {
  const dir = tempDir(t);
  // Debian's `argon2` is the reference implementation libargon2 that mosquitto 2.1 links.
  const made = spawnSync('argon2', ['saltsalt1234', '-id', '-t', '2', '-m', '10', '-p', '1', '-e'], { input: 'argon pass', encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  const hash = made.stdout.trim();
  assert.match(hash, /^\$argon2id\$v=19\$m=1024,t=2,p=1\$/);
  const file = join(dir, 'passwd');
  writeFileSync(file, `dave:${hash}\n`);
  const users = PasswordFile.load(file);
  assert.equal(await users.verify('dave', pw('argon pass')), true);
  assert.equal(await users.verify('dave', pw('argon pas')), false);
});

test('glassmq passwd -c -b writes $7$ lines that Debian mosquitto accepts; a wrong password is refused', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'passwd');
  assert.equal((await runGlassmq(['passwd', '-c', '-b', file, 'alice', 's3cret pass'])).code, 0);
  assert.equal((await runGlassmq(['passwd', '-b', file, 'bob', 'hunter2'])).code, 0);
  assert.match(readFileSync(file, 'utf8'), /^alice:\$7\$101\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==\nbob:\$7\$101\$/);
  assert.equal(statSync(file).mode & 0o777, 0o600, 'a new password file is private to its owner');

  const port = await startMosquitto(t, dir, [`password_file ${file}`, 'allow_anonymous false']);
  const base = ['-p', String(port), '-t', 'x', '-m', 'hello', '-q', '1'];
  assert.equal(mosquittoPub([...base, '-u', 'alice', '-P', 's3cret pass']).code, 0, 'good password');
  assert.equal(mosquittoPub([...base, '-V', 'mqttv311', '-u', 'bob', '-P', 'hunter2']).code, 0, 'second user');
  const bad = mosquittoPub([...base, '-u', 'alice', '-P', 'wrong']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.output, /not authori[sz]ed/i);
  const anonymous = mosquittoPub(base);
  assert.notEqual(anonymous.code, 0, 'allow_anonymous false');
});

test('glassmq passwd: update keeps other lines, -D removes, unknown -D user and mismatched prompt fail like mosquitto_passwd', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'passwd');
  writeFileSync(file, '# managed by hand\nalice:$6$AAAAAAAAAAAAAAAA$' + 'A'.repeat(86) + '==\n');
  chmodSync(file, 0o640);
  assert.equal((await runGlassmq(['passwd', '-b', file, 'bob', 'one'])).code, 0);
  assert.equal((await runGlassmq(['passwd', '-b', file, 'bob', 'two'])).code, 0, 'replacing a password');
  let text = readFileSync(file, 'utf8');
  assert.equal(text.split('\n')[0], '# managed by hand');
  assert.equal(text.match(/^bob:/gm)?.length, 1);
  assert.equal(statSync(file).mode & 0o777, 0o640, 'existing permissions kept');
  assert.equal(await PasswordFile.load(file).verify('bob', pw('two')), true);

  assert.equal((await runGlassmq(['passwd', '-D', file, 'bob'])).code, 0);
  text = readFileSync(file, 'utf8');
  assert.doesNotMatch(text, /^bob:/m);
  assert.match(text, /^alice:/m);
  const missing = await runGlassmq(['passwd', '-D', file, 'nobody']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /not found/);

  const prompted = await runGlassmq(['passwd', file, 'carol'], { input: 'typed pw\ntyped pw\n' });
  assert.equal(prompted.code, 0, prompted.stderr);
  assert.equal(await PasswordFile.load(file).verify('carol', pw('typed pw')), true);
  const mismatch = await runGlassmq(['passwd', file, 'dan'], { input: 'one\ntwo\n' });
  assert.equal(mismatch.code, 2, 'mosquitto_passwd exits 2 when the passwords differ');
  assert.equal((await runGlassmq(['passwd', '-b', file, 'a:b', 'x'])).code, 1, "':' in a user name");
  assert.equal((await runGlassmq(['passwd', '-b', join(dir, 'absent'), 'x', 'y'])).code, 1, 'no file without -c');
});

function loadError(text: string, t: { after(fn: () => void): void }): AuthFileError {
  const file = join(tempDir(t), 'passwd');
  writeFileSync(file, text);
  try {
    PasswordFile.load(file);
  } catch (err) {
    assert.ok(err instanceof AuthFileError);
    assert.ok(err.message.startsWith(`${file}:${err.line}: `), err.message);
    return err;
  }
  assert.fail('expected the file to be refused');
}

test('bad password files: FILE:LINE and a stable code for each kind of problem', (t) => {
  const good = 'alice:$7$101$AH5angGWv4ujL8Fg$o/MOw/RVPKQWbzxx5335mn/1dRiUdL9ZYif1aEId5r745BX/LP0kXMqilQ2vNMhZl8pzzriGKdfCHgruHf1sZA==';
  const cases: Array<[string, string, number]> = [
    [`# c\n${good}\nbob\n`, 'PASSWORD_LINE_INVALID', 3],
    [`${good}\nbob:plaintext\n`, 'PASSWORD_HASH_INVALID', 2],
    [`\n\nbob:$5$abc$def\n`, 'PASSWORD_HASH_UNSUPPORTED', 3],
    [`bob:$7$0$AAAA$AAAA\n`, 'PASSWORD_HASH_INVALID', 1],
    [`bob:$6$AAAA$c2hvcnQ=\n`, 'PASSWORD_HASH_INVALID', 1],
    [`bob:$7$101$!!$${'A'.repeat(86)}==\n`, 'PASSWORD_HASH_INVALID', 1],
    [`bob:$argon2id$v=16$m=1024,t=2,p=1$c2FsdHNhbHQ$aGFzaA\n`, 'PASSWORD_HASH_INVALID', 1],
    [`${good}\n${good}\n`, 'PASSWORD_USER_DUPLICATE', 2],
    [`:${good.slice(6)}\n`, 'PASSWORD_LINE_INVALID', 1],
    [`bob:\n`, 'PASSWORD_LINE_INVALID', 1],
  ];
  for (const [text, code, line] of cases) {
    const err = loadError(text, t);
    assert.equal(err.code, code, text);
    assert.equal(err.line, line, text);
  }
});

test('missing or unreadable password file: FILE_UNREADABLE naming the file', (t) => {
  const dir = tempDir(t);
  assert.throws(() => PasswordFile.load(join(dir, 'nope')), (err: unknown) => err instanceof AuthFileError && err.code === 'FILE_UNREADABLE' && err.message.startsWith(join(dir, 'nope')));
  assert.throws(() => PasswordFile.load(dir), (err: unknown) => err instanceof AuthFileError && err.code === 'FILE_UNREADABLE');
});

test('glassmq passwd without -b asks twice on a terminal and does not echo the password', async (t) => {
  const file = join(tempDir(t), 'passwd');
  // `script` gives the command a real pseudo-terminal; input is typed only once each prompt has appeared
  const child = spawn('script', ['-q', '-c', `${process.execPath} --import tsx ${CLI_ENTRY} passwd -c ${file} tty-user`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  t.after(() => stopProcess(child));
  let screen = '';
  let typed = 0;
  child.stdout.on('data', (d: Buffer) => {
    screen += d.toString();
    const prompts = (screen.match(/[Pp]assword: /g) ?? []).length;
    if (prompts > typed) {
      typed = prompts;
      child.stdin.write('no echo please\r');
    }
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  assert.equal(code, 0, screen);
  assert.equal(typed, 2, 'Password: and Reenter password:');
  assert.doesNotMatch(screen, /no echo please/);
  assert.equal(await PasswordFile.load(file).verify('tty-user', pw('no echo please')), true);
});

test('glassmq passwd -U hashes plain-text lines (as mosquitto_passwd -U) and leaves hashed ones alone', async (t) => {
  const file = join(tempDir(t), 'passwd');
  const hashed = 'bob:$6$AAAAAAAAAAAAAAAA$' + 'A'.repeat(86) + '==';
  writeFileSync(file, `# users\nalice:plain pass\n${hashed}\n`);
  assert.throws(() => PasswordFile.load(file), (err: unknown) => err instanceof AuthFileError && err.code === 'PASSWORD_HASH_INVALID' && err.line === 2);
  assert.equal((await runGlassmq(['passwd', '-U', file])).code, 0);
  const text = readFileSync(file, 'utf8');
  assert.ok(text.includes(`\n${hashed}\n`), 'an existing hash is kept');
  assert.equal(await PasswordFile.load(file).verify('alice', pw('plain pass')), true);
});
