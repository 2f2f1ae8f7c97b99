// `glassmq broker -c conf` with a password file made by Debian's mosquitto_passwd and an ACL file, seen by
// Debian's mosquitto_pub / mosquitto_sub and by MQTT.js (3.1.1 and 5.0): CONNACK codes, SUBACK codes, refused
// publishes, delivery filtering (also of messages queued while the client was offline), the failure throttle,
// and passwords kept out of the log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt, { type MqttClient } from 'mqtt';
import { connackCode, connect, freePort, mosquittoPasswdFile, runTool, startGlassmq, subackCodes, sync, tempDir, writeLines, type RunningProcess } from './harness.js';

const ACL = ['user alice', 'topic readwrite a/#', 'topic read r/#', 'user admin', 'topic readwrite #'];
const PASSWORDS = { alice: 'alice-secret-pw', admin: 'admin-secret-pw' };

async function start(t: { after(fn: () => Promise<void> | void): void }, extra: string[] = []): Promise<{ port: number; broker: RunningProcess }> {
  const dir = tempDir(t);
  const port = await freePort();
  const pw = mosquittoPasswdFile(dir, PASSWORDS);
  const acl = writeLines(dir, 'acl', ACL);
  const conf = writeLines(dir, 'glassmq.conf', [`listener ${port} 127.0.0.1`, `password_file ${pw}`, `acl_file ${acl}`, 'persistence false', ...extra]);
  return { port, broker: await startGlassmq(t, conf, port) };
}

const pub = (port: number, args: string[]) => runTool('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-t', 'a/x', '-m', 'x', ...args]);

test('mosquitto_pub: anonymous refused with 5, wrong password with 4, right password accepted (3.1.1 table 3.1 [MQTT-3.2.2-5])', async (t) => {
  const { port } = await start(t);
  const anonymous = pub(port, []);
  assert.notEqual(anonymous.code, 0);
  assert.match(anonymous.output, /not authori[sz]ed/i);
  const wrong = pub(port, ['-u', 'alice', '-P', 'nope']);
  assert.notEqual(wrong.code, 0);
  assert.match(wrong.output, /bad user name or password/i);
  const right = pub(port, ['-u', 'alice', '-P', PASSWORDS.alice, '-d']);
  assert.equal(right.code, 0, right.output);
  assert.match(right.output, /received CONNACK \(0\)/);
});

test('v5 [MQTT-3.1.4-2] MQTT.js: CONNACK 0x86 for a wrong password, 0x87 for an anonymous client; 3.1.1 4 and 5', async (t) => {
  const { port } = await start(t);
  assert.equal(await connackCode(port, { protocolVersion: 5, username: 'alice', password: 'nope' }), 0x86);
  assert.equal(await connackCode(port, { protocolVersion: 5 }), 0x87);
  assert.equal(await connackCode(port, { protocolVersion: 4, username: 'alice', password: 'nope' }), 4);
  assert.equal(await connackCode(port, { protocolVersion: 4 }), 5);
  assert.equal(await connackCode(port, { protocolVersion: 5, username: 'alice', password: PASSWORDS.alice }), 0);
});

test('mosquitto_sub: SUBACK refuses a filter the ACL never lets through, 3.1.1 0x80 [MQTT-3.9.3-2] and 5.0 0x87', async (t) => {
  const { port } = await start(t);
  for (const [version, refused] of [['mqttv311', 128], ['mqttv5', 135]] as const) {
    const r = runTool('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(port), '-V', version, '-u', 'alice', '-P', PASSWORDS.alice, '-t', 'a/#', '-t', 'secret/#', '-q', '1', '-d', '-W', '1', '-E']);
    assert.match(r.output, new RegExp(`Subscribed \\(mid: \\d+\\): 1, ${refused}`), `${version}: ${r.output}`);
  }
});

test('v5 MQTT.js: a refused PUBLISH gets PUBACK 0x87 and PUBREC 0x87; 3.1.1 acknowledged and dropped [MQTT-3.3.5-2]; delivery filtered by the ACL', async (t) => {
  const { port } = await start(t);
  const open: MqttClient[] = [];
  t.after(() => Promise.all(open.map((c) => c.endAsync(true))));
  const admin = await connect(port, { username: 'admin', password: PASSWORDS.admin, protocolVersion: 5 });
  open.push(admin);
  const seen: string[] = [];
  admin.on('message', (topic) => seen.push(topic));
  await admin.subscribeAsync('#', { qos: 1 });

  const alice5 = await connect(port, { username: 'alice', password: PASSWORDS.alice, protocolVersion: 5 });
  open.push(alice5);
  await assert.rejects(alice5.publishAsync('r/x', 'no', { qos: 1 }), (err: { code?: number }) => err.code === 0x87);
  await assert.rejects(alice5.publishAsync('other', 'no', { qos: 2 }), (err: { code?: number }) => err.code === 0x87);
  await alice5.publishAsync('a/ok5', 'yes', { qos: 1 });
  const alice4 = await connect(port, { username: 'alice', password: PASSWORDS.alice, protocolVersion: 4 });
  open.push(alice4);
  await alice4.publishAsync('r/x', 'dropped', { qos: 1 }); // acknowledged as usual
  await alice4.publishAsync('a/ok4', 'yes', { qos: 1 });
  await sync(admin);
  assert.deepEqual(seen.sort(), ['a/ok4', 'a/ok5'], 'only the allowed publishes were routed');

  // alice subscribes '#': granted (she may read a/# and r/#), but only readable topics reach her
  const got: string[] = [];
  alice4.on('message', (topic) => got.push(topic));
  assert.deepEqual(await subackCodes(alice4, ['#']), [1]);
  for (const topic of ['a/1', 'r/1', 'x/1', 'secret']) await admin.publishAsync(topic, 'm', { qos: 1 });
  await sync(alice4);
  assert.deepEqual(got.sort(), ['a/1', 'r/1']);
});

test('[MQTT-3.1.2-5] messages stored for an offline session are checked against the ACL before they are sent', async (t) => {
  const { port } = await start(t);
  const login = { username: 'alice', password: PASSWORDS.alice, clientId: 'alice-offline', clean: false, protocolVersion: 4 as const };
  const first = await connect(port, login);
  assert.deepEqual(await subackCodes(first, ['#']), [1]);
  await first.endAsync();
  const admin = await connect(port, { username: 'admin', password: PASSWORDS.admin });
  t.after(() => admin.endAsync(true));
  for (const topic of ['a/queued', 'x/queued', 'r/queued']) await admin.publishAsync(topic, 'm', { qos: 1 });

  const got: string[] = [];
  // the handler must be there before CONNACK: the stored messages follow it at once
  const again = mqtt.connect(`mqtt://127.0.0.1:${port}`, { ...login, reconnectPeriod: 0 });
  t.after(() => again.endAsync(true));
  again.on('message', (topic) => got.push(topic));
  await new Promise((resolve, reject) => {
    again.once('connect', resolve);
    again.once('error', reject);
  });
  await sync(again);
  assert.deepEqual(got.sort(), ['a/queued', 'r/queued']);
});

test('failed logins are throttled per address: after 5 failures even the right password is refused (5 / 0x87), and no password reaches the log, not even with log_type all', async (t) => {
  const { port, broker } = await start(t, ['log_type all']);
  for (let i = 0; i < 5; i++) assert.equal(await connackCode(port, { username: 'alice', password: `wrong-${i}-guess` }), 4);
  assert.equal(await connackCode(port, { username: 'alice', password: PASSWORDS.alice }), 5);
  assert.equal(await connackCode(port, { username: 'alice', password: PASSWORDS.alice, protocolVersion: 5 }), 0x87);
  await broker.waitFor(/connection refused: not authorised/);
  const log = broker.output();
  assert.match(log, /connection refused: bad user name or password.*username=alice/);
  assert.match(log, /CONNECT MQTT .*user="alice" password=\*+/, 'log_type all logs every packet, the password masked');
  assert.doesNotMatch(log, /wrong-\d-guess|alice-secret-pw|admin-secret-pw/);
});
