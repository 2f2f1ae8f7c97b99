// glassmq broker --capture: the file the composition root writes opens in tshark as is, with every MQTT packet the
// clients exchanged — TLS decrypted through the Decryption Secrets Block it carries, no key-log option given.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TraceEvent } from '../../../src/inspect/live/index.js';
import { rotatedName } from '../../../src/inspect/capture-file.js';
import { makeTestCerts, type TestCerts } from '../../transport/certs.js';
import { run, tsharkMqtt } from '../helpers/peers.js';
import { dissectBuffer } from '../helpers/run.js';
import { connectClient, endClient, startTracedBroker, waitFor, type TracedBroker } from './support.js';

let certs: TestCerts;
let dir: string;
let file: string;
let broker: TracedBroker;
const events: TraceEvent[] = [];

before(async () => {
  certs = makeTestCerts();
  dir = mkdtempSync(join(tmpdir(), 'glassmq-capture-'));
  file = join(dir, 'broker.pcapng');
  broker = await startTracedBroker(certs, { capture: file });
  broker.running.trace!.watch({}, (ev) => events.push(ev));
  const tcp = await connectClient(broker.options('tcp', { clientId: 'tcp-sub', protocolVersion: 4 }));
  await tcp.subscribeAsync('cap/#', { qos: 1 });
  const tls = await connectClient(broker.options('tls', { clientId: 'tls-pub', protocolVersion: 5, properties: { sessionExpiryInterval: 0 } }));
  const ws = await connectClient(broker.options('ws', { clientId: 'ws-pub', protocolVersion: 4 }));
  const wss = await connectClient(broker.options('wss', { clientId: 'wss-pub', protocolVersion: 5 }));
  let got = 0;
  tcp.on('message', () => got++);
  await tls.publishAsync('cap/tls', 'over tls', { qos: 1, properties: { contentType: 'text/plain' } });
  await ws.publishAsync('cap/ws', 'over ws', { qos: 0 });
  await wss.publishAsync('cap/wss', 'over wss', { qos: 1 });
  await waitFor(() => got === 3, 'the three messages at the subscriber');
  for (const c of [tls, ws, wss, tcp]) await endClient(c);
  await waitFor(() => events.filter((e) => e.kind === 'close').length === 4, 'four closed connections');
  await broker.close();
});

after(() => {
  certs?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** MQTT packet types (upper case) the trace saw on one listener port, in order. */
function tracedTypes(port: number): string[] {
  return events.filter((e) => e.kind === 'mqtt' && e.connection.localPort === port).map((e) => e.mqtt!.type);
}

const TSHARK_TYPE: Record<string, string> = {
  1: 'CONNECT', 2: 'CONNACK', 3: 'PUBLISH', 4: 'PUBACK', 5: 'PUBREC', 6: 'PUBREL', 7: 'PUBCOMP', 8: 'SUBSCRIBE',
  9: 'SUBACK', 10: 'UNSUBSCRIBE', 11: 'UNSUBACK', 12: 'PINGREQ', 13: 'PINGRESP', 14: 'DISCONNECT', 15: 'AUTH',
};

test('capture: tshark reads every MQTT packet of the tcp and tls connections, TLS decrypted by the file\'s own secrets block', async () => {
  const { ports } = broker;
  // Only "decode as" for the test's random ports; no tls.keylog_file: the keys come from the Decryption Secrets Block.
  const packets = await tsharkMqtt(file, ['-d', `tcp.port==${ports.tcp},mqtt`, '-d', `tcp.port==${ports.tls},tls`, '-d', `tls.port==${ports.tls},mqtt`]);
  const port = (p: { mqtt: Record<string, any> }): string => p.mqtt['mqtt.hdrflags_tree']?.['mqtt.msgtype'] as string;
  const seen = packets.map((p) => ({ type: TSHARK_TYPE[port(p)], topic: p.mqtt['mqtt.topic'] as string | undefined }));
  const expectedTcp = tracedTypes(ports.tcp);
  const expectedTls = tracedTypes(ports.tls);
  assert.ok(expectedTls.includes('PUBLISH') && expectedTcp.includes('SUBSCRIBE'));
  assert.equal(seen.length, expectedTcp.length + expectedTls.length, `tshark saw ${seen.map((s) => s.type).join(' ')}`);
  assert.deepEqual(seen.map((s) => s.type).sort(), [...expectedTcp, ...expectedTls].sort());
  assert.ok(seen.some((s) => s.type === 'PUBLISH' && s.topic === 'cap/tls'), 'the PUBLISH inside TLS, decrypted');
});

test('capture: the ws connection is its HTTP upgrade plus masked frames, and its MQTT reads back packet for packet', async () => {
  const { ports } = broker;
  const r = await run('tshark', ['-r', file, '-d', `tcp.port==${ports.ws},http`, '-Y', 'websocket', '-T', 'fields', '-e', 'websocket.opcode', '-e', 'websocket.mask']);
  assert.equal(r.code, 0, r.stderr);
  // One line per TCP segment; several frames in one segment come as comma lists.
  const frames = r.stdout.trim().split('\n').flatMap((l) => {
    const [ops = '', masks = ''] = l.split('\t');
    const m = masks.split(',');
    return ops.split(',').map((op, i) => [op, m[i]]);
  });
  assert.ok(frames.length >= 4);
  assert.ok(frames.some(([op, mask]) => op === '2' && mask === '1'), 'masked binary frames from the client');
  assert.ok(frames.some(([op, mask]) => op === '2' && mask === '0'), 'unmasked binary frames from the broker');
  // tshark 4.0 stops at the WebSocket payload; the offline dissector reads the MQTT inside it.
  const d = dissectBuffer(readFileSync(file));
  const wsPackets = d.json.filter((j) => j.transport === 'ws').map((j) => j.type as string);
  assert.deepEqual(wsPackets, tracedTypes(ports.ws));
  assert.equal(d.notes.filter((n) => n.note.level === 'error').length, 0, JSON.stringify(d.notes));
});

test('capture: real addresses and ports, consistent sequence numbers (no tshark TCP analysis warnings)', async () => {
  const r = await run('tshark', ['-r', file, '-Y', 'tcp.analysis.flags && !tcp.analysis.window_update', '-T', 'fields', '-e', 'frame.number']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), '', 'no retransmission / lost segment / out-of-order flags');
  const ends = await run('tshark', ['-r', file, '-T', 'fields', '-e', 'ip.src', '-e', 'tcp.dstport', '-Y', 'tcp.flags.syn==1 && tcp.flags.ack==0']);
  const syns = ends.stdout.trim().split('\n').map((l) => l.split('\t'));
  assert.deepEqual(syns.map(([, p]) => Number(p)).sort(), [broker.ports.tcp, broker.ports.ws, broker.ports.tls, broker.ports.wss].sort());
  assert.ok(syns.every(([ip]) => ip === '127.0.0.1'));
});

test('capture: --capture-max-mb rotates to FILE-1.pcapng, each file readable on its own', async () => {
  const rotDir = mkdtempSync(join(tmpdir(), 'glassmq-rot-'));
  const rotFile = join(rotDir, 'rot.pcapng');
  const b = await startTracedBroker(certs, { capture: rotFile, captureMaxMb: 1 });
  try {
    const c = await connectClient(b.options('tcp', { clientId: 'big' }));
    const payload = Buffer.alloc(600_000, 0x41);
    for (let i = 0; i < 3; i++) await c.publishAsync(`rot/${i}`, payload, { qos: 1 });
    await endClient(c);
    await b.close();
    assert.ok(existsSync(rotatedName(rotFile, 1)), 'a second file');
    for (const f of [rotFile, rotatedName(rotFile, 1)]) {
      const r = await run('tshark', ['-r', f, '-d', `tcp.port==${b.ports.tcp},mqtt`, '-Y', 'mqtt', '-T', 'fields', '-e', 'mqtt.msgtype']);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(r.stdout.trim().length > 0, `${f} has MQTT packets`);
    }
  } finally {
    await b.close();
    rmSync(rotDir, { recursive: true, force: true });
  }
});

test('capture: the wss connection is real ciphertext whose secrets block lets a reader get the upgrade, frames and MQTT back', async () => {
  const { ports } = broker;
  const r = await run('tshark', ['-r', file, '-d', `tcp.port==${ports.wss},tls`, '-d', `tls.port==${ports.wss},http`, '-Y', `tcp.port==${ports.wss} && (http.request || websocket)`, '-T', 'fields', '-e', 'http.request.uri', '-e', 'websocket.opcode']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\/mqtt/, 'the decrypted HTTP upgrade request');
  assert.match(r.stdout, /(^|\s|,)2(,|\s|$)/m, 'decrypted binary WebSocket frames');
  const d = dissectBuffer(readFileSync(file));
  const wssPackets = d.json.filter((j) => j.transport === 'wss').map((j) => j.type as string);
  assert.deepEqual(wssPackets, tracedTypes(ports.wss));
  assert.ok(d.json.some((j) => j.transport === 'wss' && j.topic === 'cap/wss'));
});
