// Bad input at each layer fails only that connection, with one clear log line; an MQTT session on the same
// listener (the canary) keeps publishing and receiving.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import WebSocket from 'ws';
import mqtt, { type MqttClient } from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { makeTestCerts, type TestCerts } from './certs.js';
import { startHarness, type Harness } from './harness.js';
import { waitFor } from './util.js';

let certs: TestCerts;
before(() => {
  certs = makeTestCerts();
});
after(() => certs.cleanup());

/** A subscribed MQTT.js session on the listener under test. */
async function canary(t: { after(fn: () => unknown): void }, h: Harness): Promise<{ client: MqttClient; alive(): Promise<void> }> {
  const client = await mqtt.connectAsync(h.mqttOptions());
  t.after(() => client.endAsync(true));
  const got: string[] = [];
  client.on('message', (_t, p) => got.push(p.toString()));
  await client.subscribeAsync('canary', { qos: 1 });
  return {
    client,
    async alive() {
      const n = `ping ${got.length}`;
      await client.publishAsync('canary', n, { qos: 1 });
      await waitFor(() => got.includes(n), 'canary round trip');
    },
  };
}

function portOf(h: Harness): number {
  return (h.listener.address() as { port: number }).port;
}

/** Sends `bytes` on a fresh TCP connection and resolves with what came back once the server closed it. */
async function sendRaw(port: number, bytes: Buffer | string): Promise<string> {
  const s = connect({ port, host: '127.0.0.1' });
  s.on('error', () => undefined);
  await once(s, 'connect');
  let back = '';
  s.on('data', (d: Buffer) => (back += d.toString('latin1')));
  s.write(bytes);
  await once(s, 'close');
  return back;
}

const CONNECT = mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: 'raw', keepalive: 30 });

test('tls: a broken TLS handshake (plain MQTT on the TLS port) -> TLS_HANDSHAKE_FAILED log line; canary unaffected', { timeout: 30_000 }, async (t) => {
  const h = await startHarness('tls', certs);
  t.after(() => h.close());
  const c = await canary(t, h);
  await sendRaw(portOf(h), CONNECT);
  await waitFor(() => h.log.lines.length === 1, 'log line');
  assert.deepEqual(h.log.codes(), ['TLS_HANDSHAKE_FAILED']);
  assert.match(h.log.lines[0]!.msg, /^tls connection from 127\.0\.0\.1:\d+ on tls:127\.0\.0\.1:\d+ failed: TLS_HANDSHAKE_FAILED: ERR_SSL_\w+: /);
  await c.alive();
});

test('ws: an HTTP request that is not an upgrade -> 426 and HTTP_NOT_UPGRADE log line; canary unaffected', { timeout: 30_000 }, async (t) => {
  const h = await startHarness('ws', certs);
  t.after(() => h.close());
  const c = await canary(t, h);
  const answer = await sendRaw(portOf(h), 'GET /mqtt HTTP/1.1\r\nHost: localhost\r\n\r\n');
  assert.match(answer, /^HTTP\/1\.1 426 Upgrade Required/);
  assert.deepEqual(h.log.codes(), ['HTTP_NOT_UPGRADE']);
  await c.alive();
});

test('ws: a wrong WebSocket subprotocol -> 400 and WS_BAD_SUBPROTOCOL log line; canary unaffected', { timeout: 30_000 }, async (t) => {
  const h = await startHarness('ws', certs);
  t.after(() => h.close());
  const c = await canary(t, h);
  const ws = new WebSocket(`ws://127.0.0.1:${portOf(h)}/mqtt`, 'stomp');
  ws.on('error', () => undefined);
  const [, res] = (await once(ws, 'unexpected-response')) as [unknown, { statusCode: number }];
  assert.equal(res.statusCode, 400);
  ws.terminate();
  assert.deepEqual(h.log.codes(), ['WS_BAD_SUBPROTOCOL']);
  await c.alive();
});

for (const kind of ['tcp', 'tls'] as const) {
  test(`${kind} --proxy-protocol: PROXY header garbage -> PROXY_HEADER_INVALID log line; a proxied session unaffected`, { timeout: 30_000 }, async (t) => {
    const h = await startHarness(kind, certs, { listener: { proxyProtocol: true } });
    t.after(() => h.close());
    // The canary comes through a "load balancer": PROXY v1 header, then TLS (for tls) and MQTT.
    const raw = connect({ port: portOf(h), host: '127.0.0.1' });
    await once(raw, 'connect');
    raw.write('PROXY TCP4 192.0.2.10 192.0.2.1 51000 1883\r\n');
    const stream = kind === 'tls' ? tlsConnect({ socket: raw, ca: readFileSync(certs.caFile), servername: 'localhost' }) : raw;
    const c = new mqtt.MqttClient(() => stream, { clientId: 'proxied', reconnectPeriod: 0 });
    await new Promise<void>((resolve, reject) => c.once('connect', () => resolve()).once('error', reject));
    t.after(() => c.endAsync(true));
    assert.equal(h.connected[0]!.link.remoteAddress, '192.0.2.10');
    assert.equal(h.connected[0]!.link.remotePort, 51000);

    await sendRaw(portOf(h), CONNECT);
    assert.deepEqual(h.log.codes(), ['PROXY_HEADER_INVALID']);
    assert.match(h.log.lines[0]!.msg, new RegExp(`^${kind} connection from 127\\.0\\.0\\.1:\\d+ on ${kind}:127\\.0\\.0\\.1:\\d+ failed: PROXY_HEADER_INVALID: expected a PROXY v1 or v2 header, got bytes 10 `));
    const got: string[] = [];
    c.on('message', (_t, p) => got.push(p.toString()));
    await c.subscribeAsync('canary', { qos: 1 });
    await c.publishAsync('canary', 'after garbage', { qos: 1 });
    await waitFor(() => got.includes('after garbage'), 'proxied canary round trip');
  });
}
