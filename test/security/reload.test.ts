// SIGHUP re-reads the password and ACL files (as mosquitto): a user added to the password file can connect
// afterwards, an ACL change applies to connected clients at once, and a broken file keeps the previous one in
// force with an error in the log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { connackCode, connect, freePort, mosquittoPasswdFile, runTool, startGlassmq, subackCodes, tempDir, writeLines } from './harness.js';

test('SIGHUP: a user added with mosquitto_passwd connects; a broken password file keeps the old users (CONNACK 4 -> 0)', async (t) => {
  const dir = tempDir(t);
  const port = await freePort();
  const pw = mosquittoPasswdFile(dir, { alice: 'apw' });
  const conf = writeLines(dir, 'm.conf', [`listener ${port} 127.0.0.1`, `password_file ${pw}`, 'persistence false']);
  const broker = await startGlassmq(t, conf, port);
  assert.equal(await connackCode(port, { username: 'bob', password: 'bpw' }), 4);

  assert.equal(runTool('mosquitto_passwd', ['-b', pw, 'bob', 'bpw']).code, 0);
  broker.child.kill('SIGHUP');
  await broker.waitFor(/reload: done\n/);
  assert.equal(await connackCode(port, { username: 'bob', password: 'bpw' }), 0);

  const good = readFileSync(pw, 'utf8');
  appendFileSync(pw, 'carol:plaintext\n');
  broker.child.kill('SIGHUP');
  await broker.waitFor(/reload: done with 1 error/);
  assert.match(broker.output(), new RegExp(`reload: ${pw}:3: .*previous file stays in force`));
  assert.equal(await connackCode(port, { username: 'bob', password: 'bpw' }), 0, 'the previous users stay');
  assert.equal(await connackCode(port, { username: 'alice', password: 'apw' }), 0);
  writeFileSync(pw, good);
});

test('SIGHUP: a changed ACL file applies to the next SUBSCRIBE of a connected client (SUBACK 0x80 -> granted)', async (t) => {
  const dir = tempDir(t);
  const port = await freePort();
  const acl = writeLines(dir, 'acl', ['topic read a/#']);
  const conf = writeLines(dir, 'm.conf', [`listener ${port} 127.0.0.1`, 'allow_anonymous true', `acl_file ${acl}`, 'persistence false']);
  const broker = await startGlassmq(t, conf, port);
  const c = await connect(port);
  t.after(() => c.endAsync(true));
  assert.deepEqual(await subackCodes(c, ['b/#']), [0x80]);
  writeLines(dir, 'acl', ['topic read a/#', 'topic read b/#']);
  broker.child.kill('SIGHUP');
  await broker.waitFor(/reload: done\n/);
  assert.deepEqual(await subackCodes(c, ['b/#']), [1]);
});
