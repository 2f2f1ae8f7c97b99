// Debian's paho client (python3-paho-mqtt 1.6) over WebSocket with keepalive 5: messages both ways, MQTT
// PINGREQ/PINGRESP while idle (seen through the link tap), and a frozen paho cut at 1.5 x keepalive.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { makeTestCerts, type TestCerts } from './certs.js';
import { startHarness } from './harness.js';
import { waitFor } from './util.js';
import { FrameReader, OPCODE } from './ws-frames.js';

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'paho_ws_client.py');
const KEEPALIVE_S = 5;

let certs: TestCerts;
before(() => {
  certs = makeTestCerts();
});
after(() => certs.cleanup());

test('paho over WebSocket, keepalive 5: [MQTT-3.1.2-23] PINGREQ/PINGRESP while idle; [MQTT-3.1.2-24] cut and will after 1.5 x keepalive when frozen', { timeout: 60_000 }, async (t) => {
  const h = await startHarness('ws', certs);
  t.after(() => h.close());
  const port = (h.listener.address() as { port: number }).port;
  const js = await mqtt.connectAsync(h.mqttOptions());
  t.after(() => js.endAsync(true));
  const fromPaho: string[] = [];
  js.on('message', (topic, p) => fromPaho.push(`${topic} ${p.toString()}`));
  await js.subscribeAsync(['paho/out', 'paho/will'], { qos: 1 });

  const paho = spawn('/usr/bin/python3', [SCRIPT, String(port)], { stdio: ['pipe', 'pipe', 'pipe'] });
  t.after(() => {
    if (paho.exitCode === null && paho.signalCode === null) paho.kill('SIGKILL');
  });
  let out = '';
  let err = '';
  paho.stdout.on('data', (d) => (out += d));
  paho.stderr.on('data', (d) => (err += d));
  await waitFor(() => out.includes('subscribed 1'), `paho subscribed (stdout: ${out} stderr: ${err})`, 15_000);

  // Count MQTT pings inside WebSocket frames on the broker side of paho's link.
  const link = h.links.at(-1)!; // MQTT.js connected first, paho last
  const pings = { req: 0, resp: 0 };
  let lastIn = 0;
  const readers = { in: new FrameReader(), out: new FrameReader() };
  link.tap!.plain!.on((dir, bytes, time) => {
    if (dir === 'in') lastIn = time;
    for (const f of readers[dir].push(bytes)) {
      if (f.opcode !== OPCODE.binary) continue;
      if (dir === 'in' && f.payload.equals(Buffer.from([0xc0, 0x00]))) pings.req++;
      if (dir === 'out' && f.payload.equals(Buffer.from([0xd0, 0x00]))) pings.resp++;
    }
  });

  paho.stdin.write('pub paho/out hello from paho\n');
  await waitFor(() => fromPaho.includes('paho/out hello from paho'), 'paho -> MQTT.js');
  await js.publishAsync('paho/in', 'hello paho', { qos: 1 });
  await waitFor(() => out.includes('message paho/in hello paho'), 'MQTT.js -> paho');

  await waitFor(() => pings.req >= 1 && pings.resp >= 1, 'an idle PINGREQ answered by PINGRESP', 3 * KEEPALIVE_S * 1000);
  assert.ok(paho.pid);
  const stoppedAt = Date.now();
  paho.kill('SIGSTOP');
  await waitFor(() => fromPaho.includes('paho/will paho went silent'), 'the will of the frozen paho', 4 * KEEPALIVE_S * 1000);
  const cutAfter = Date.now() - lastIn;
  assert.ok(cutAfter >= 1.5 * KEEPALIVE_S * 1000 - 200, `cut ${cutAfter} ms after paho's last packet, not before 1.5 x keepalive`);
  assert.ok(Date.now() - stoppedAt <= 1.5 * KEEPALIVE_S * 1000 + 5000, 'cut within 1.5 x keepalive (+ slack) of freezing');
  paho.kill('SIGKILL');
});
