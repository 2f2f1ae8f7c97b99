// `glassmq broker` with every transport flag at once, as a user starts it: one process, five listeners, and
// messages crossing from each transport to every other (MQTT.js as the client everywhere).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { certsFor, clientOptions, connectClient, freePorts, nextMessages, startBroker, tempDir, type Kind } from './support.js';

test('[MQTT-4.2.0-1] --port --ws-port --tls-port --wss-port --unix: a message published on each transport reaches subscribers on all five', async (t) => {
  const certs = certsFor(t);
  const dir = tempDir(t);
  const [tcp, ws, tls, wss] = await freePorts(4);
  const sock = join(dir, 'mqtt.sock');
  const broker = await startBroker(t, [
    '--port', String(tcp), '--ws-port', String(ws), '--tls-port', String(tls), '--wss-port', String(wss), '--unix', sock,
    '--cert', certs.certFile, '--key', certs.keyFile, '--ca', certs.caFile,
  ]);
  assert.deepEqual(await broker.urls(), [
    `mqtt://127.0.0.1:${tcp}`, `ws://127.0.0.1:${ws}`, `mqtts://127.0.0.1:${tls}`, `wss://127.0.0.1:${wss}`, `unix:${sock}`,
  ], 'the start line names exactly the listeners asked for (no default 1883/8083/18083 next to them)');
  const where: Record<Kind, number | string> = { tcp, ws, tls, wss, unix: sock };
  const kinds = Object.keys(where) as Kind[];
  const clients = await Promise.all(kinds.map((k) => connectClient(t, clientOptions(k, where[k], certs, { clientId: `cli-${k}` }))));
  await Promise.all(clients.map((c) => c.subscribeAsync('cross/#', { qos: 1 })));
  const received = clients.map((c) => nextMessages(c, kinds.length));
  for (const [i, c] of clients.entries()) await c.publishAsync(`cross/${kinds[i]}`, `from ${kinds[i]}`, { qos: 1 });
  for (const [i, got] of (await Promise.all(received)).entries()) {
    assert.deepEqual(got.map((m) => m.topic).sort(), kinds.map((k) => `cross/${k}`).sort(), `subscriber on ${kinds[i]}`);
  }
});

test('[MQTT-4.2.0-1] --use-identity-as-username: the verified certificate CN is the user name (the ACL sees alice), no certificate is refused', async (t) => {
  const certs = certsFor(t);
  const dir = tempDir(t);
  const acl = join(dir, 'acl');
  writeFileSync(acl, ['user alice', 'topic readwrite alice/#', ''].join('\n'));
  const [tls, wss] = await freePorts(2);
  await startBroker(t, [
    '--tls-port', String(tls), '--wss-port', String(wss), '--cert', certs.certFile, '--key', certs.keyFile, '--ca', certs.caFile,
    '--use-identity-as-username', '--acl-file', acl, '--allow-anonymous', 'true',
  ]);
  for (const [kind, port] of [['tls', tls], ['wss', wss]] as const) {
    const alice = await connectClient(t, clientOptions(kind, port, certs, {
      clientId: `alice-${kind}`, username: 'mallory', cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey),
    }));
    // CONNECT said "mallory"; only user alice may use alice/#: a granted SUBACK and the message back prove the CN won
    const granted = await alice.subscribeAsync('alice/#', { qos: 1 });
    assert.equal(granted[0]!.qos, 1, `${kind}: subscription granted to the certificate's user`);
    const back = nextMessages(alice, 1);
    await alice.publishAsync('alice/x', 'hi', { qos: 1 });
    assert.equal((await back)[0]!.payload, 'hi');
    // without a certificate there is no user name to take: refused (3.1.1 return code 5, not authorized)
    await assert.rejects(connectClient(t, clientOptions(kind, port, certs, { clientId: `anon-${kind}` })), (err: Error & { code?: number }) => {
      assert.equal(err.code, 5, `${kind}: ${err.message}`);
      return true;
    });
  }
});
