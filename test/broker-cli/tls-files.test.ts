// TLS files of `glassmq broker` at run time: the key log (--tls-keylog / SSLKEYLOGFILE) and certificates reloaded
// on SIGHUP without dropping the connections that are open.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { once } from 'node:events';
import { issueServerCert, type TestCerts } from '../transport/certs.js';
import { certsFor, clientOptions, connectClient, freePorts, nextMessages, startBroker, tempDir } from './support.js';

/** Client randoms of the NSS key-log lines in a file (one per TLS session). */
function sessions(file: string): Set<string> {
  if (!existsSync(file)) return new Set();
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
  for (const l of lines) assert.match(l, /^[A-Z_0-9]+ [0-9a-f]{64} [0-9a-f]+$/, 'NSS key-log format');
  return new Set(lines.map((l) => l.split(' ')[1]!));
}

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('[MQTT-4.2.0-1] SSLKEYLOGFILE: key-log lines for every tls and wss connection, and the warning printed once at start', async (t) => {
  const certs = certsFor(t);
  const dir = tempDir(t);
  const keys = join(dir, 'env-keys.log');
  const [tls, wss] = await freePorts(2);
  const broker = await startBroker(t, ['--tls-port', String(tls), '--wss-port', String(wss), '--cert', certs.certFile, '--key', certs.keyFile], { SSLKEYLOGFILE: keys });
  const warnings = broker.output().match(/TLS key log is ON/g) ?? [];
  assert.equal(warnings.length, 1, `one warning for two TLS listeners:\n${broker.output()}`);
  assert.match(broker.output(), new RegExp(`appended to ${keys.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
  await connectClient(t, clientOptions('tls', tls, certs));
  await connectClient(t, clientOptions('wss', wss, certs));
  await until('two sessions in the key log', () => sessions(keys).size >= 2);
});

test('[MQTT-4.2.0-1] --tls-keylog FILE wins over SSLKEYLOGFILE', async (t) => {
  const certs = certsFor(t);
  const dir = tempDir(t);
  const flagFile = join(dir, 'flag-keys.log');
  const envFile = join(dir, 'env-keys.log');
  const [tls] = await freePorts(1);
  const broker = await startBroker(t, ['--tls-port', String(tls), '--cert', certs.certFile, '--key', certs.keyFile, '--tls-keylog', flagFile], { SSLKEYLOGFILE: envFile });
  assert.equal(broker.output().match(/TLS key log is ON/g)?.length, 1);
  await connectClient(t, clientOptions('tls', tls, certs));
  await until('a session in the --tls-keylog file', () => sessions(flagFile).size >= 1);
  assert.equal(existsSync(envFile), false, 'SSLKEYLOGFILE is not used when the flag is given');
});

/** The subject CN of the certificate a new TLS connection to port is shown. */
async function servedCn(port: number, certs: TestCerts, alpn: string): Promise<string> {
  const socket = tlsConnect({ host: '127.0.0.1', port, ca: readFileSync(certs.caFile), servername: 'localhost', ALPNProtocols: [alpn] });
  await once(socket, 'secureConnect');
  const cn = socket.getPeerCertificate().subject.CN;
  socket.destroy();
  return Array.isArray(cn) ? cn[0]! : cn!;
}

test('[MQTT-4.2.0-1] SIGHUP re-reads --cert/--key: new tls and wss connections get the new certificate, open ones keep working', async (t) => {
  const certs = certsFor(t);
  const dir = tempDir(t);
  const cert = join(dir, 'live.pem');
  const key = join(dir, 'live.key');
  copyFileSync(certs.certFile, cert);
  copyFileSync(certs.keyFile, key);
  const [tls, wss] = await freePorts(2);
  const broker = await startBroker(t, ['--tls-port', String(tls), '--wss-port', String(wss), '--cert', cert, '--key', key]);
  assert.equal(await servedCn(tls, certs, 'mqtt'), 'localhost');
  const before = await Promise.all([
    connectClient(t, clientOptions('tls', tls, certs, { clientId: 'open-tls' })),
    connectClient(t, clientOptions('wss', wss, certs, { clientId: 'open-wss' })),
  ]);
  await Promise.all(before.map((c) => c.subscribeAsync('hup/#', { qos: 1 })));

  const renewed = issueServerCert(certs, 'renewed');
  copyFileSync(renewed.certFile, cert);
  copyFileSync(renewed.keyFile, key);
  broker.child.kill('SIGHUP');
  await broker.waitFor(/reload: done/);

  assert.equal(await servedCn(tls, certs, 'mqtt'), 'renewed', 'tls: a new handshake uses the new certificate');
  assert.equal(await servedCn(wss, certs, 'http/1.1'), 'renewed', 'wss: a new handshake uses the new certificate');
  // the connections opened before the reload are still up, both ways
  const received = before.map((c) => nextMessages(c, 2));
  await before[0]!.publishAsync('hup/tls', 'after reload', { qos: 1 });
  await before[1]!.publishAsync('hup/wss', 'after reload', { qos: 1 });
  for (const got of await Promise.all(received)) assert.deepEqual(got.map((m) => m.topic).sort(), ['hup/tls', 'hup/wss']);
  const late = await connectClient(t, clientOptions('tls', tls, certs, { clientId: 'late' }));
  assert.ok(late.connected, 'a client trusting the CA connects with the new certificate');
});
