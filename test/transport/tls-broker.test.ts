// Client certificates end to end with the broker: MQTT.js with a certificate from our CA connects and the
// broker's hooks see the identity (what --use-identity-as-username builds on); without one, or with one from
// another CA, the connection never reaches MQTT and a log line says why.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import mqtt from 'mqtt';
import type { AuthenticateContext } from '../../src/index.js';
import { makeTestCerts, type TestCerts } from './certs.js';
import { startHarness, type Harness } from './harness.js';

let certs: TestCerts;
before(() => {
  certs = makeTestCerts();
});
after(() => certs.cleanup());

for (const kind of ['tls', 'wss'] as const) {
  test(`${kind} --require-certificate: our CA's client certificate connects; hooks see CN and subject`, { timeout: 30_000 }, async (t) => {
    const seen: AuthenticateContext[] = [];
    const h: Harness = await startHarness(kind, certs, {
      listener: { caFile: certs.caFile, requireCertificate: true },
      broker: { hooks: { authenticate: (ctx) => { seen.push(ctx); return true; } } },
    });
    t.after(() => h.close());
    const c = await mqtt.connectAsync(h.mqttOptions({ cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) }));
    t.after(() => c.endAsync(true));
    assert.ok(c.connected);
    const tls = seen[0]!.link.tls!;
    assert.equal(tls.authorized, true);
    assert.equal(tls.peerCommonName, 'alice', 'the username --use-identity-as-username would give');
    assert.equal(tls.peerSubject, 'CN=alice,O=glassmq test');
  });

  test(`${kind} --require-certificate: no certificate, or one from another CA, is refused with a log line; a canary keeps working`, { timeout: 30_000 }, async (t) => {
    const h: Harness = await startHarness(kind, certs, { listener: { caFile: certs.caFile, requireCertificate: true } });
    t.after(() => h.close());
    const canary = await mqtt.connectAsync(h.mqttOptions({ cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) }));
    t.after(() => canary.endAsync(true));
    // allowRetries false: the promise rejects when the connection closes before CONNACK.
    await assert.rejects(mqtt.connectAsync('', h.mqttOptions({ connectTimeout: 5000 }), false));
    const other = { connectTimeout: 5000, cert: readFileSync(certs.otherClientCert), key: readFileSync(certs.otherClientKey) };
    await assert.rejects(mqtt.connectAsync('', h.mqttOptions(other), false));
    assert.deepEqual(h.log.codes(), ['TLS_HANDSHAKE_FAILED', 'TLS_HANDSHAKE_FAILED']);
    assert.match(h.log.lines[0]!.msg, /client certificate required but none presented/);
    assert.match(h.log.lines[1]!.msg, /client certificate not accepted: UNABLE_TO_VERIFY_LEAF_SIGNATURE/);
    assert.equal(h.connected.length, 1, 'only the canary reached MQTT');
    await canary.publishAsync('still/alive', 'yes', { qos: 1 });
  });
}
