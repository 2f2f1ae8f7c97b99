// Client certificates on TLS listeners read from mosquitto.conf: require_certificate refuses a client without a
// certificate or with one from another CA; use_identity_as_username makes the CN the user name and
// use_subject_as_username the whole subject (RFC 2253), which the ACL then sees — checked through SUBACK codes
// (3.1.1 0x80 [MQTT-3.9.3-2]) and with mosquitto_pub.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import mqtt, { type MqttClient } from 'mqtt';
import { makeTestCerts, type TestCerts } from '../transport/certs.js';
import { freePort, runTool, startGlassmq, subackCodes, tempDir, writeLines } from './harness.js';

interface Setup {
  certs: TestCerts;
  identityPort: number;
  subjectPort: number;
}

async function start(t: { after(fn: () => Promise<void> | void): void }): Promise<Setup> {
  const certs = makeTestCerts();
  t.after(() => certs.cleanup());
  const dir = tempDir(t);
  const identityPort = await freePort();
  const subjectPort = await freePort();
  const acl = writeLines(dir, 'acl', ['user alice', 'topic readwrite a/#', 'user CN=alice,O=glassmq test', 'topic readwrite s/#']);
  const tls = [`certfile ${certs.certFile}`, `keyfile ${certs.keyFile}`, `cafile ${certs.caFile}`, 'require_certificate true'];
  const conf = writeLines(dir, 'm.conf', [
    'allow_anonymous false', `acl_file ${acl}`, 'persistence false',
    `listener ${identityPort} 127.0.0.1`, ...tls, 'use_identity_as_username true',
    `listener ${subjectPort} 127.0.0.1`, ...tls, 'use_subject_as_username true',
  ]);
  await startGlassmq(t, conf, identityPort);
  return { certs, identityPort, subjectPort };
}

/** Connects over TLS; rejects on an error or on a close before CONNACK (a refused handshake just closes). */
function tlsConnect(port: number, certs: TestCerts, client: { cert: string; key: string } | null): Promise<MqttClient> {
  const c = mqtt.connect(`mqtts://127.0.0.1:${port}`, {
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    ca: readFileSync(certs.caFile),
    ...(client ? { cert: readFileSync(client.cert), key: readFileSync(client.key) } : {}),
    protocolVersion: 4,
  });
  return new Promise((resolve, reject) => {
    c.once('connect', () => resolve(c));
    const fail = (err?: Error): void => {
      c.end(true);
      reject(err ?? new Error('closed before CONNACK'));
    };
    c.once('error', fail);
    c.once('close', () => fail());
  });
}

test('use_identity_as_username: the certificate CN is the user name the ACL sees (SUBACK 1 for a/#, 0x80 for s/#)', async (t) => {
  const { certs, identityPort } = await start(t);
  const c = await tlsConnect(identityPort, certs, { cert: certs.clientCert, key: certs.clientKey });
  t.after(() => c.endAsync(true));
  assert.deepEqual(await subackCodes(c, ['a/#', 's/#']), [1, 0x80]);
});

test('use_subject_as_username: the RFC 2253 subject is the user name the ACL sees (SUBACK 0x80 for a/#, 1 for s/#)', async (t) => {
  const { certs, subjectPort } = await start(t);
  const c = await tlsConnect(subjectPort, certs, { cert: certs.clientCert, key: certs.clientKey });
  t.after(() => c.endAsync(true));
  assert.deepEqual(await subackCodes(c, ['a/#', 's/#']), [0x80, 1]);
});

test('require_certificate: no client certificate, or one from another CA, never gets a CONNACK', async (t) => {
  const { certs, identityPort } = await start(t);
  await assert.rejects(tlsConnect(identityPort, certs, null));
  await assert.rejects(tlsConnect(identityPort, certs, { cert: certs.otherClientCert, key: certs.otherClientKey }));
});

test('mosquitto_pub with a client certificate publishes as its CN; without one it is refused', async (t) => {
  const { certs, identityPort } = await start(t);
  const base = ['-h', '127.0.0.1', '-p', String(identityPort), '--cafile', certs.caFile, '-t', 'a/x', '-m', 'x', '-q', '1'];
  const ok = runTool('mosquitto_pub', [...base, '--cert', certs.clientCert, '--key', certs.clientKey, '-d']);
  assert.equal(ok.code, 0, ok.output);
  assert.match(ok.output, /received CONNACK \(0\)/);
  const refused = runTool('mosquitto_pub', base);
  assert.notEqual(refused.code, 0);
});
