// The commands users run: `glassmq broker --trace` prints every packet and a flow summary per connection;
// `glassmq trace` streams a running broker's trace through its HTTP listener, as text or JSON Lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { freePort, spawnGlassmq, stopProcess, waitForPort } from '../../helpers/net.js';
import { run } from '../helpers/peers.js';
import { waitFor } from './support.js';

function collect(child: ChildProcess): { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  return { out: () => out, err: () => err };
}

test('glassmq broker --trace: every field of every packet, the password masked, and the flow summary on disconnect', async (t) => {
  const port = await freePort();
  const broker = spawnGlassmq(['broker', '--port', String(port), '--http-port', 'off', '--memory', '--trace']);
  t.after(() => stopProcess(broker));
  const b = collect(broker);
  await waitForPort(port, '127.0.0.1', 30_000);
  const sub = run('mosquitto_sub', ['-p', String(port), '-i', 'sub-001', '-t', 'topic/#', '-C', '1', '-W', '10', '-V', 'mqttv5']);
  await waitFor(() => b.out().includes('SUBACK'), 'the SUBACK in the trace', 30_000);
  const pub = await run('mosquitto_pub', ['-p', String(port), '-i', 'pub-001', '-u', 'alice', '-P', 's3cret', '-t', 'topic/001', '-m', 'hello!', '-V', 'mqttv5', '-D', 'publish', 'user-property', 'k', 'v']);
  assert.equal(pub.code, 0, pub.stderr);
  assert.equal((await sub).code, 0);
  await waitFor(() => /sub-001 127\.0\.0\.1:\d+ subscriber:/.test(b.out()), 'the subscriber flow summary');
  const out = b.out();
  assert.match(out, /Topic Name: "topic\/001"/);
  assert.match(out, /User Property/);
  assert.match(out, /Password: \*{8}/);
  assert.ok(!out.includes('s3cret'), 'the password is not printed');
  assert.match(out, /sub-001 127\.0\.0\.1:\d+ subscriber: -> CONNECT <- CONNACK 0 -> SUBSCRIBE topic\/# q0 <- SUBACK 0 <- PUBLISH topic\/001 "hello!"/);
  assert.match(out, /pub-001 127\.0\.0\.1:\d+ publisher: -> CONNECT <- CONNACK 0 -> PUBLISH topic\/001 "hello!"/);
});

test('glassmq trace: streams from the HTTP listener, filtered by type and topic; --json lines parse', async (t) => {
  const port = await freePort();
  const http = await freePort();
  const broker = spawnGlassmq(['broker', '--port', String(port), '--http-port', String(http), '--memory']);
  t.after(() => stopProcess(broker));
  await waitForPort(port, '127.0.0.1', 30_000);
  await waitForPort(http, '127.0.0.1', 30_000);
  const url = `http://127.0.0.1:${http}`;
  const text = spawnGlassmq(['trace', '--url', url, '--type', 'PUBLISH']);
  const json = spawnGlassmq(['trace', '--url', url, '--json', '--topic', 'sensors/+/temp']);
  t.after(() => stopProcess(text));
  t.after(() => stopProcess(json));
  const tx = collect(text);
  const js = collect(json);
  await waitFor(() => tx.err().includes('streaming from') && js.err().includes('streaming from'), 'both traces connected', 30_000);
  for (const topic of ['sensors/kitchen/temp', 'other/topic']) {
    const r = await run('mosquitto_pub', ['-p', String(port), '-i', `p-${topic.length}`, '-t', topic, '-m', `at ${topic}`]);
    assert.equal(r.code, 0, r.stderr);
  }
  await waitFor(() => tx.out().includes('other/topic') && js.out().includes('sensors/kitchen/temp'), 'both traces printed', 30_000);
  assert.match(tx.out(), /MQTT PUBLISH .*"sensors\/kitchen\/temp"/);
  assert.match(tx.out(), /Topic Name: "other\/topic"/);
  assert.ok(!tx.out().includes('MQTT CONNECT'), '--type PUBLISH leaves CONNECT out');
  const lines = js.out().trim().split('\n').map((l) => JSON.parse(l) as { kind: string; mqtt?: { type: string; topic?: string }; connection: { clientId?: string } });
  assert.ok(lines.length >= 1);
  assert.ok(lines.every((e) => e.kind === 'mqtt' && e.mqtt?.type === 'PUBLISH' && e.mqtt.topic === 'sensors/kitchen/temp'), js.out());
});

test('glassmq trace: a broker that is not there is one line and exit status 1', async () => {
  const port = await freePort();
  const child = spawnGlassmq(['trace', '--url', `http://127.0.0.1:${port}`]);
  const c = collect(child);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 1);
  assert.match(c.err(), /glassmq trace: cannot reach http:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/);
});
