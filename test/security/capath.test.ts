// capath (mosquitto.conf) and --capath (flag): every CA certificate in a directory verifies client
// certificates — files ending .pem / .crt and OpenSSL's c_rehash links HASH.0 — with or without a cafile.
// A client whose CA is found only in the capath is accepted; one whose CA is nowhere is refused in the handshake.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { makeTestCerts, type TestCerts } from '../transport/certs.js';
import { spawnGlassmq, stopProcess, waitForPort } from '../helpers/net.js';
import { freePort, startGlassmq, START_MS, tempDir, writeLines } from './harness.js';

type After = { after(fn: () => Promise<void> | void): void };

function certs(t: After): TestCerts {
  const c = makeTestCerts();
  t.after(() => c.cleanup());
  return c;
}

/** OpenSSL's subject hash of a certificate: the name c_rehash gives its link (HASH.0). */
function subjectHash(pem: string): string {
  return execFileSync('openssl', ['x509', '-hash', '-noout', '-in', pem], { encoding: 'utf8' }).trim();
}

/** A capath directory holding `ca` under the name `name` (e.g. HASH.0 or ca.crt), plus a file that is no CA. */
function capath(dir: string, ca: string, name: string): string {
  const path = join(dir, 'capath');
  mkdirSync(path, { recursive: true });
  copyFileSync(ca, join(path, name));
  writeFileSync(join(path, 'README'), 'not a certificate: ignored\n');
  return path;
}

/** Connects over TLS with a client certificate; resolves true on CONNACK, false when the handshake is refused. */
function accepted(port: number, c: TestCerts, client: { cert: string; key: string } | null): Promise<boolean> {
  const m: MqttClient = mqtt.connect(`mqtts://127.0.0.1:${port}`, {
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    ca: readFileSync(c.caFile),
    ...(client ? { cert: readFileSync(client.cert), key: readFileSync(client.key) } : {}),
  });
  return new Promise((resolve) => {
    m.once('connect', () => {
      m.end(true);
      resolve(true);
    });
    const refused = (): void => {
      m.end(true);
      resolve(false);
    };
    m.once('error', refused);
    m.once('close', refused);
  });
}

const alice = (c: TestCerts) => ({ cert: c.clientCert, key: c.clientKey });
const mallory = (c: TestCerts) => ({ cert: c.otherClientCert, key: c.otherClientKey });

test('capath with a c_rehash link HASH.0 next to cafile: a client of the capath-only CA is accepted, both CAs work', async (t) => {
  const c = certs(t);
  const dir = tempDir(t);
  const port = await freePort();
  const path = capath(dir, c.otherCaFile, `${subjectHash(c.otherCaFile)}.0`);
  const conf = writeLines(dir, 'm.conf', [
    'allow_anonymous true', 'persistence false', `listener ${port} 127.0.0.1`,
    `certfile ${c.certFile}`, `keyfile ${c.keyFile}`, `cafile ${c.caFile}`, `capath ${path}`, 'require_certificate true',
  ]);
  await startGlassmq(t, conf, port);
  assert.equal(await accepted(port, c, mallory(c)), true, 'CA only in the capath');
  assert.equal(await accepted(port, c, alice(c)), true, 'CA of the cafile');
  assert.equal(await accepted(port, c, null), false, 'no certificate: refused (require_certificate)');
});

test('capath alone (a .crt file, no cafile): its CA is accepted, a client of another CA is refused in the handshake', async (t) => {
  const c = certs(t);
  const dir = tempDir(t);
  const port = await freePort();
  const path = capath(dir, c.otherCaFile, 'other-ca.crt');
  const conf = writeLines(dir, 'm.conf', [
    'allow_anonymous true', 'persistence false', `listener ${port} 127.0.0.1`,
    `certfile ${c.certFile}`, `keyfile ${c.keyFile}`, `capath ${path}`, 'require_certificate true',
  ]);
  await startGlassmq(t, conf, port);
  assert.equal(await accepted(port, c, mallory(c)), true);
  assert.equal(await accepted(port, c, alice(c)), false, 'CA in neither: refused');
});

test('--capath DIR with --tls-port and --require-certificate: the capath CA verifies the client', async (t) => {
  const c = certs(t);
  const dir = tempDir(t);
  const port = await freePort();
  const path = capath(dir, c.otherCaFile, 'ca.pem');
  const child = spawnGlassmq(['broker', '--memory', '--allow-anonymous', 'true', '--tls-port', String(port), '--cert', c.certFile, '--key', c.keyFile, '--capath', path, '--require-certificate']);
  t.after(() => stopProcess(child));
  await waitForPort(port, '127.0.0.1', START_MS);
  assert.equal(await accepted(port, c, mallory(c)), true);
  assert.equal(await accepted(port, c, alice(c)), false);
});
