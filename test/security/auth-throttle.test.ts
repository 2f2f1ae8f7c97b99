// The failed-login throttle made configurable: auth_fail_limit / auth_fail_window / auth_lockout in the file,
// --auth-fail-limit / --auth-fail-window / --auth-lockout on the command line (flags win), 0 = off. A locked
// address gets CONNACK 5 (3.1.1) even with the right password; a bad password 4 [MQTT-3.2.2-5] (table 3.1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLI_ENTRY } from '../helpers/net.js';
import { connackCode, freePort, mosquittoPasswdFile, runTool, startGlassmq, tempDir, writeLines, type RunningProcess } from './harness.js';

const PASSWORD = 'alice-secret-pw';
const BAD_CREDENTIALS = 4;
const NOT_AUTHORISED = 5;

async function start(t: { after(fn: () => Promise<void> | void): void }, lines: string[], flags: string[] = []): Promise<{ port: number; broker: RunningProcess }> {
  const dir = tempDir(t);
  const port = await freePort();
  const pw = mosquittoPasswdFile(dir, { alice: PASSWORD });
  const conf = writeLines(dir, 'm.conf', [`listener ${port} 127.0.0.1`, `password_file ${pw}`, 'persistence false', ...lines]);
  return { port, broker: await startGlassmq(t, conf, port, flags) };
}

/** `n` failed logins, each answered 4; then what the right password gets. */
async function afterFailures(port: number, n: number): Promise<number> {
  for (let i = 0; i < n; i++) assert.equal(await connackCode(port, { clientId: `guess${i}`, username: 'alice', password: `wrong-${i}` }), BAD_CREDENTIALS);
  return connackCode(port, { clientId: 'right', username: 'alice', password: PASSWORD });
}

test('auth_fail_limit 2: after 2 failures even the right password is refused (CONNACK 5); the start log names the setting', async (t) => {
  const { port, broker } = await start(t, ['auth_fail_limit 2', 'auth_fail_window 60', 'auth_lockout 600']);
  assert.equal(await afterFailures(port, 2), NOT_AUTHORISED);
  assert.match(broker.output(), /security: failed-login throttle 2 failure\(s\) in 60 s -> 600 s lockout per address/);
});

test('auth_fail_limit 0 turns the throttle off: 8 failures, then the right password is accepted', async (t) => {
  const { port, broker } = await start(t, ['auth_fail_limit 0']);
  assert.equal(await afterFailures(port, 8), 0);
  assert.match(broker.output(), /security: failed-login throttle off/);
});

test('--auth-fail-limit 0 overrides auth_fail_limit 2 from the file', async (t) => {
  const { port } = await start(t, ['auth_fail_limit 2'], ['--auth-fail-limit', '0']);
  assert.equal(await afterFailures(port, 3), 0);
});

test('--auth-lockout 1: the lockout ends after a second and the right password is accepted again', async (t) => {
  const { port } = await start(t, [], ['--auth-fail-limit', '1', '--auth-lockout', '1']);
  assert.equal(await afterFailures(port, 1), NOT_AUTHORISED);
  const deadline = Date.now() + 30_000;
  let code = NOT_AUTHORISED;
  while (code !== 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    code = await connackCode(port, { clientId: 'later', username: 'alice', password: PASSWORD });
  }
  assert.equal(code, 0);
});

test('default throttle (no setting): 5 failures lock the address, and --test-config prints the directives given', async (t) => {
  const { port } = await start(t, []);
  assert.equal(await afterFailures(port, 5), NOT_AUTHORISED);
  const dir = tempDir(t);
  const conf = writeLines(dir, 'c.conf', ['auth_fail_limit 3', 'auth_fail_window 10']);
  const printed = runTool(process.execPath, ['--import', 'tsx', CLI_ENTRY, 'broker', '-c', conf, '--test-config', '--auth-lockout', '7'], 60_000);
  assert.equal(printed.code, 0, printed.output);
  assert.match(printed.output, /^auth_fail_limit 3$/m);
  assert.match(printed.output, /^auth_fail_window 10$/m);
  assert.match(printed.output, /^auth_lockout 7$/m);
});
