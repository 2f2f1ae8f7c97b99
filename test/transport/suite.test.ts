// The transport-agnostic suite: the same MQTT behaviours over tcp, tls, ws, wss and unix, MQTT.js as the
// client, a real broker behind each listener (STYLE.md: one abstract suite).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { makeTestCerts, type TestCerts } from './certs.js';
import { startHarness, TRANSPORTS, type Harness } from './harness.js';
import { waitFor } from './util.js';

let certs: TestCerts;
before(() => {
  certs = makeTestCerts();
});
after(() => certs.cleanup());

type Received = { topic: string; payload: Buffer; qos: number; retain: boolean };

function collect(client: MqttClient): Received[] {
  const got: Received[] = [];
  client.on('message', (topic, payload, packet) => got.push({ topic, payload, qos: packet.qos, retain: packet.retain }));
  return got;
}

for (const kind of TRANSPORTS) {
  describe(`over ${kind}`, () => {
    let h: Harness;
    const clients: MqttClient[] = [];
    before(async () => {
      h = await startHarness(kind, certs);
    });
    after(async () => {
      await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
      await h.close();
    });
    const client = async (extra: mqtt.IClientOptions = {}): Promise<MqttClient> => {
      const c = await mqtt.connectAsync(h.mqttOptions(extra));
      clients.push(c);
      return c;
    };

    test(`${kind}: [MQTT-3.2.0-1] v3.1.1 and v5 clients get CONNACK; the broker sees the right transport`, async () => {
      const v4 = await client({ protocolVersion: 4, clientId: `${kind}-v4` });
      const v5 = await client({ protocolVersion: 5, clientId: `${kind}-v5` });
      assert.ok(v4.connected && v5.connected);
      const infos = h.connected.filter((c) => c.clientId.startsWith(`${kind}-v`));
      assert.deepEqual(infos.map((c) => c.link.transport), [kind, kind]);
      assert.deepEqual(infos.map((c) => c.protocolVersion), [4, 5]);
      if (kind === 'tls' || kind === 'wss') assert.equal(infos[0]!.link.tls?.protocol, 'TLSv1.3');
    });

    test(`${kind}: [MQTT-4.3.1-1] [MQTT-4.3.2-1] [MQTT-4.3.3-1] QoS 0, 1 and 2 delivered with their QoS`, async () => {
      const sub = await client();
      const got = collect(sub);
      await sub.subscribeAsync(`${kind}/qos`, { qos: 2 });
      const pub = await client();
      for (const qos of [0, 1, 2] as const) await pub.publishAsync(`${kind}/qos`, `m${qos}`, { qos });
      await waitFor(() => got.length === 3, 'three messages');
      assert.deepEqual(got.map((m) => [m.payload.toString(), m.qos]).sort(), [['m0', 0], ['m1', 1], ['m2', 2]]);
    });

    test(`${kind}: [MQTT-3.3.1-6] a retained message reaches a later subscriber with RETAIN set`, async () => {
      const pub = await client();
      await pub.publishAsync(`${kind}/retained`, 'kept', { qos: 1, retain: true });
      const sub = await client();
      const got = collect(sub);
      await sub.subscribeAsync(`${kind}/retained`, { qos: 1 });
      await waitFor(() => got.length === 1, 'retained message');
      assert.equal(got[0]!.payload.toString(), 'kept');
      assert.equal(got[0]!.retain, true);
    });

    test(`${kind}: [MQTT-3.1.2-8] the will is published when the connection drops without DISCONNECT`, async () => {
      const watcher = await client();
      const got = collect(watcher);
      await watcher.subscribeAsync(`${kind}/will`, { qos: 1 });
      const dying = await client({ will: { topic: `${kind}/will`, payload: Buffer.from('gone'), qos: 1, retain: false } });
      dying.stream.destroy();
      await waitFor(() => got.length === 1, 'will message');
      assert.equal(got[0]!.payload.toString(), 'gone');
    });

    test(`${kind}: [MQTT-3.1.2-24] a client silent for 1.5 x keepalive is cut and its will published`, async () => {
      const watcher = await client();
      const got = collect(watcher);
      await watcher.subscribeAsync(`${kind}/ka-will`, { qos: 0 });
      const raw = await h.openRaw();
      raw.on('error', () => undefined);
      const KEEPALIVE = 1;
      raw.write(mqttPacket.generate({
        cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: `${kind}-silent`, keepalive: KEEPALIVE,
        will: { topic: `${kind}/ka-will`, payload: Buffer.from('timed out'), qos: 0, retain: false },
      }));
      const [connack] = (await once(raw, 'data')) as [Buffer];
      assert.equal(connack.subarray(0, 4).toString('hex'), '20020000', 'CONNACK accepted');
      const silentSince = Date.now();
      await Promise.race([once(raw, 'close'), once(raw, 'end')]);
      const silentFor = Date.now() - silentSince;
      assert.ok(silentFor >= 1.5 * KEEPALIVE * 1000 - 100, `cut after ${silentFor} ms, not before 1.5 x keepalive`);
      await waitFor(() => got.length === 1, 'will after keepalive cut');
      assert.equal(got[0]!.payload.toString(), 'timed out');
      raw.destroy();
    });

    test(`${kind}: a ~1 MB PUBLISH crosses intact (split across TCP segments, TLS records and WebSocket frames)`, async () => {
      const sub = await client();
      const got = collect(sub);
      await sub.subscribeAsync(`${kind}/big`, { qos: 1 });
      const pub = await client();
      const payload = randomBytes(1_000_000);
      await pub.publishAsync(`${kind}/big`, payload, { qos: 1 });
      await waitFor(() => got.length === 1, 'big message', 30_000);
      assert.ok(got[0]!.payload.equals(payload));
    });
  });
}
