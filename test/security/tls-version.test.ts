// tls_version tlsv1.1: glassmq keeps TLS 1.2 as its minimum and says so at start. Node 20's OpenSSL 3 completes a
// TLS 1.1 handshake only at security level 0, which would weaken every connection; mosquitto on the same OpenSSL
// has the same floor. A TLS 1.1 client is refused, a TLS 1.2 client accepted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as tlsConnect, type SecureVersion } from 'node:tls';
import { makeTestCerts } from '../transport/certs.js';
import { freePort, startGlassmq, tempDir, writeLines } from './harness.js';

/** The protocol a TLS handshake limited to `version` ends with, or the error it fails with. */
function handshake(port: number, version: SecureVersion): Promise<string> {
  return new Promise((resolve) => {
    // SECLEVEL=0 on the client so only the server's floor decides
    const s = tlsConnect({ port, host: '127.0.0.1', rejectUnauthorized: false, minVersion: version, maxVersion: version, ciphers: 'DEFAULT@SECLEVEL=0' }, () => {
      resolve(s.getProtocol() ?? 'none');
      s.destroy();
    });
    s.once('error', (err) => resolve(`error: ${err.message}`));
  });
}

test('tls_version tlsv1.1: a start note says the minimum stays TLS 1.2; TLS 1.1 refused, TLS 1.2 accepted', async (t) => {
  const certs = makeTestCerts();
  t.after(() => certs.cleanup());
  const port = await freePort();
  const conf = writeLines(tempDir(t), 'm.conf', [
    'allow_anonymous true', 'persistence false', `listener ${port} 127.0.0.1`, `certfile ${certs.certFile}`, `keyfile ${certs.keyFile}`, 'tls_version tlsv1.1',
  ]);
  const broker = await startGlassmq(t, conf, port);
  assert.match(broker.output(), /config: \S+m\.conf:\d+: tls_version tlsv1\.1: glassmq accepts TLS 1\.2 and 1\.3 only/);
  assert.match(await handshake(port, 'TLSv1.1'), /^error: /);
  assert.equal(await handshake(port, 'TLSv1.2'), 'TLSv1.2');
});
