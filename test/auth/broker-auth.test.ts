// The auth building blocks plugged into the real glassmq broker through its hooks, seen by MQTT.js clients:
// CONNACK codes, SUBACK refusals, refused publishes and filtered delivery, for 3.1.1 and 5.0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { AclFile } from '../../src/auth/acl-file.js';
import { createAuthHooks } from '../../src/auth/auth-hooks.js';
import { Authenticator } from '../../src/auth/authenticator.js';
import { createPbkdf2Hash } from '../../src/auth/password-hash.js';
import { createBroker, type RunningBroker } from '../../src/server/create-broker.js';
import type { LinkInfo, TlsFacts } from '../../src/broker/ports.js';
import { tempDir } from './mosquitto-peer.js';

async function startBroker(t: { after(fn: () => Promise<void> | void): void }): Promise<RunningBroker> {
  const dir = tempDir(t);
  const pw = join(dir, 'passwd');
  const aclPath = join(dir, 'acl');
  writeFileSync(pw, `alice:${await createPbkdf2Hash(Buffer.from('pa'))}\nsuper:${await createPbkdf2Hash(Buffer.from('ps'))}\n`);
  writeFileSync(aclPath, 'user alice\ntopic readwrite a/#\ntopic read r/#\nuser super\ntopic readwrite #\n');
  const security = { authenticator: new Authenticator({ allowAnonymous: false, passwordFile: pw }), acl: AclFile.load(aclPath) };
  const hooks = createAuthHooks(() => security);
  const broker = await createBroker({
    port: 0,
    sysInterval: 0,
    hooks: {
      authenticate: async (ctx) => {
        const verdict = await hooks.authenticate(ctx);
        return typeof verdict === 'object' ? true : verdict;
      },
      authorizePublish: hooks.authorizePublish,
      authorizeSubscribe: hooks.authorizeSubscribe,
      authorizeRead: hooks.authorizeRead,
    },
  });
  t.after(() => broker.close());
  return broker;
}

function connect(b: RunningBroker, opts: IClientOptions): Promise<MqttClient> {
  return mqtt.connectAsync(`mqtt://127.0.0.1:${b.port}`, { reconnectPeriod: 0, connectTimeout: 10_000, ...opts });
}

/** SUBACK codes, refusals included (MQTT.js rejects a SUBACK holding any failure, but carries the packet). */
async function subackCodes(c: MqttClient, filters: string[], qos: 0 | 1): Promise<number[]> {
  try {
    return (await c.subscribeAsync(filters, { qos })).map((g) => g.qos);
  } catch (err) {
    const packet = (err as { packet?: { granted?: number[]; reasonCode?: number[] } }).packet;
    const codes = packet?.granted ?? packet?.reasonCode;
    if (!codes) throw err;
    return codes;
  }
}

/** The CONNACK code a refused CONNECT gets (MQTT.js reports it as the error's code). */
async function refusedWith(b: RunningBroker, opts: IClientOptions): Promise<number> {
  try {
    const c = await connect(b, opts);
    await c.endAsync(true);
  } catch (err) {
    return (err as { code: number }).code;
  }
  return assert.fail('connection was accepted');
}

test('3.1.1 CONNACK 4 for a wrong password, 5 for a refused anonymous client (Table 3.1); v5 [MQTT-3.1.4-2] 0x86 / 0x87', async (t) => {
  const b = await startBroker(t);
  assert.equal(await refusedWith(b, { protocolVersion: 4, username: 'alice', password: 'wrong' }), 4);
  assert.equal(await refusedWith(b, { protocolVersion: 4 }), 5);
  assert.equal(await refusedWith(b, { protocolVersion: 5, username: 'alice', password: 'wrong' }), 0x86);
  assert.equal(await refusedWith(b, { protocolVersion: 5 }), 0x87);
  const ok = await connect(b, { protocolVersion: 5, username: 'alice', password: 'pa' });
  await ok.endAsync();
});

test('[MQTT-3.9.3-2] ACL: refused SUBSCRIBE is 0x80 (3.1.1) / 0x87 (5.0) in SUBACK; refused PUBLISH is dropped (3.1.1) or PUBACK 0x87 (5.0)', async (t) => {
  const b = await startBroker(t);
  const watcher = await connect(b, { protocolVersion: 5, username: 'super', password: 'ps', clientId: 'watcher' });
  t.after(() => watcher.endAsync(true));
  const seen: string[] = [];
  watcher.on('message', (topic) => seen.push(topic));
  await watcher.subscribeAsync('#', { qos: 1 });

  const v3 = await connect(b, { protocolVersion: 4, username: 'alice', password: 'pa', clientId: 'alice3' });
  const v5 = await connect(b, { protocolVersion: 5, username: 'alice', password: 'pa', clientId: 'alice5' });
  t.after(() => Promise.all([v3.endAsync(true), v5.endAsync(true)]).then(() => undefined));
  assert.deepEqual(await subackCodes(v3, ['a/#', 'secret/#'], 1), [1, 0x80]);
  assert.deepEqual(await subackCodes(v5, ['r/#', 'secret/#'], 1), [1, 0x87]);

  await v3.publishAsync('secret/x', 'dropped', { qos: 1 }); // [MQTT-3.3.5-2] acknowledged, then dropped
  await assert.rejects(v5.publishAsync('r/x', 'read-only', { qos: 1 }), (err: { code?: number }) => err.code === 0x87);
  await v5.publishAsync('a/ok', 'allowed', { qos: 1 });
  await watcher.subscribeAsync('sync/none', { qos: 0 }); // round trip: earlier deliveries are in
  assert.deepEqual(seen, ['a/ok']);
});

test('ACL on delivery: a subscriber gets only the topics it may read', async (t) => {
  const b = await startBroker(t);
  const alice = await connect(b, { protocolVersion: 4, username: 'alice', password: 'pa', clientId: 'alice' });
  const root = await connect(b, { protocolVersion: 4, username: 'super', password: 'ps', clientId: 'root' });
  t.after(() => Promise.all([alice.endAsync(true), root.endAsync(true)]).then(() => undefined));
  const got: string[] = [];
  alice.on('message', (topic) => got.push(topic));
  const granted = await alice.subscribeAsync('#', { qos: 0 });
  assert.equal(granted[0]!.qos, 0, "'#' can deliver something to alice, so it is granted");
  for (const topic of ['a/1', 'secret/1', 'r/1', 'other']) await root.publishAsync(topic, 'x', { qos: 1 });
  await alice.subscribeAsync('a/sync', { qos: 0 }); // round trip: earlier deliveries are in
  assert.deepEqual(got, ['a/1', 'r/1']);
});

test('certificate listeners: an unverified or missing certificate is refused 0x87; a verified one names the user', async () => {
  const security = { authenticator: new Authenticator({ allowAnonymous: false }), acl: null, certificateUsername: 'identity' as const };
  const hooks = createAuthHooks(() => security);
  const link: LinkInfo = { transport: 'tls', listener: 'tls:127.0.0.1:8883', remoteAddress: '127.0.0.1', remotePort: 5, localAddress: '127.0.0.1', localPort: 8883 };
  const ctx = (facts?: Partial<TlsFacts>) => ({
    clientId: 'c',
    link: facts ? { ...link, tls: { protocol: 'TLSv1.3', cipher: null, servername: null, authorized: false, ...facts } } : link,
  });
  assert.equal(await hooks.authenticate(ctx()), 0x87, 'no TLS facts at all');
  assert.equal(await hooks.authenticate(ctx({ authorized: false, peerCommonName: 'dev-1' })), 0x87, 'certificate from an unknown CA');
  assert.equal(await hooks.authenticate(ctx({ authorized: true })), 0x87, 'verified but no CN');
  assert.deepEqual(await hooks.authenticate(ctx({ authorized: true, peerCommonName: 'dev-1' })), { username: 'dev-1' });
});
