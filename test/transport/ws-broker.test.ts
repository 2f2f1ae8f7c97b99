// WebSocket edge cases against the real broker, with a raw `ws` client writing frames by hand: the broker must
// see one byte stream whatever the framing, refuse text frames, bound frame size, and cut pong-less peers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import WebSocket from 'ws';
import mqtt from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { makeTestCerts, type TestCerts } from './certs.js';
import { startHarness, type Harness } from './harness.js';
import { waitFor } from './util.js';

let certs: TestCerts;
before(() => {
  certs = makeTestCerts();
});
after(() => certs.cleanup());

async function harness(t: { after(fn: () => unknown): void }, listener: Record<string, unknown> = {}, broker = {}): Promise<Harness> {
  const h = await startHarness('ws', certs, { listener, broker });
  t.after(() => h.close());
  return h;
}

function urlOf(h: Harness): string {
  const a = h.listener.address() as { port: number };
  return `ws://127.0.0.1:${a.port}/mqtt`;
}

async function openWs(h: Harness, opts: WebSocket.ClientOptions = {}): Promise<{ ws: WebSocket; bytes: () => Buffer }> {
  const ws = new WebSocket(urlOf(h), 'mqtt', opts);
  const got: Buffer[] = [];
  ws.on('message', (d: Buffer) => got.push(d));
  ws.on('error', () => undefined);
  await once(ws, 'open');
  return { ws, bytes: () => Buffer.concat(got) };
}

const connect = (clientId: string, keepalive = 30, extra: Partial<mqttPacket.IConnectPacket> = {}) =>
  mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId, keepalive, ...extra });
const CONNACK_OK = '20020000';
const PINGREQ = Buffer.from([0xc0, 0x00]);
const PINGRESP = 'd000';

test('ws [MQTT-6.0.0-2] a CONNECT split across three continuation frames is answered with CONNACK', async (t) => {
  const h = await harness(t);
  const { ws, bytes } = await openWs(h);
  t.after(() => ws.terminate());
  const c = connect('split');
  ws.send(c.subarray(0, 2), { binary: true, fin: false });
  ws.send(c.subarray(2, 7), { binary: true, fin: false });
  ws.send(c.subarray(7), { binary: true, fin: true });
  await waitFor(() => bytes().length >= 4, 'CONNACK');
  assert.equal(bytes().toString('hex'), CONNACK_OK);
});

test('ws [MQTT-6.0.0-2] a packet split across separate binary messages is reassembled', async (t) => {
  const h = await harness(t);
  const { ws, bytes } = await openWs(h);
  t.after(() => ws.terminate());
  const c = connect('messages');
  for (const b of c) ws.send(Buffer.from([b]), { binary: true }); // one byte per message
  await waitFor(() => bytes().length >= 4, 'CONNACK');
  assert.equal(bytes().toString('hex'), CONNACK_OK);
});

test('ws [MQTT-6.0.0-2] CONNECT + PINGREQ + PINGREQ in one frame: CONNACK and two PINGRESPs', async (t) => {
  const h = await harness(t);
  const { ws, bytes } = await openWs(h);
  t.after(() => ws.terminate());
  ws.send(Buffer.concat([connect('many'), PINGREQ, PINGREQ]), { binary: true });
  await waitFor(() => bytes().length >= 8, 'three packets');
  assert.equal(bytes().toString('hex'), CONNACK_OK + PINGRESP + PINGRESP);
});

test('ws [MQTT-6.0.0-1] a text frame closes the connection; the session will is published', async (t) => {
  const h = await harness(t);
  const watcher = await mqtt.connectAsync(h.mqttOptions());
  t.after(() => watcher.endAsync(true));
  const wills: string[] = [];
  watcher.on('message', (_t, p) => wills.push(p.toString()));
  await watcher.subscribeAsync('text/will');
  const { ws, bytes } = await openWs(h);
  ws.send(connect('texter', 30, { will: { topic: 'text/will', payload: Buffer.from('text frame'), qos: 0, retain: false } }), { binary: true });
  await waitFor(() => bytes().length >= 4, 'CONNACK');
  const closed = once(ws, 'close');
  ws.send('c000'); // the same PINGREQ bytes, but in a text frame
  const [code] = (await closed) as [number];
  assert.equal(code, 1003);
  await waitFor(() => wills.length === 1, 'will');
  assert.deepEqual(h.log.codes(), ['WS_TEXT_FRAME']);
});

test('ws: a frame larger than the broker maximum packet size is refused with close code 1009', async (t) => {
  const MAX = 4096;
  const h = await harness(t, { maxPacketSize: MAX }, { maxPacketSize: MAX });
  const { ws, bytes } = await openWs(h);
  ws.send(connect('big'), { binary: true });
  await waitFor(() => bytes().length >= 4, 'CONNACK');
  const closed = once(ws, 'close');
  ws.send(mqttPacket.generate({ cmd: 'publish', topic: 't', payload: Buffer.alloc(MAX), qos: 0, retain: false, dup: false }), { binary: true });
  const [code] = (await closed) as [number];
  assert.equal(code, 1009);
  assert.deepEqual(h.log.codes(), ['WS_FRAME_TOO_LARGE']);
});

test('ws --ws-ping: a peer that never answers WebSocket pings is cut even with MQTT keepalive 0', async (t) => {
  const h = await harness(t, { pingSeconds: 0.3 });
  const watcher = await mqtt.connectAsync(h.mqttOptions());
  t.after(() => watcher.endAsync(true));
  const wills: string[] = [];
  watcher.on('message', (_t, p) => wills.push(p.toString()));
  await watcher.subscribeAsync('ping/will');
  const { ws, bytes } = await openWs(h, { autoPong: false });
  let pings = 0;
  ws.on('ping', () => pings++);
  ws.send(connect('no-pong', 0, { will: { topic: 'ping/will', payload: Buffer.from('no pong'), qos: 0, retain: false } }), { binary: true });
  await waitFor(() => bytes().length >= 4, 'CONNACK');
  await once(ws, 'close');
  assert.ok(pings >= 1);
  await waitFor(() => wills.length === 1, 'will');
  assert.deepEqual(h.log.codes(), ['WS_PING_TIMEOUT']);
  assert.ok(watcher.connected, 'MQTT.js (whose ws library answers pings) stays connected');
});

test('ws taps: MQTT PINGREQ c0 00 / PINGRESP d0 00 travel inside binary frames; WebSocket pings are control frames', async (t) => {
  const h = await harness(t, { pingSeconds: 0.2 });
  const { ws, bytes } = await openWs(h);
  t.after(() => ws.terminate());
  ws.send(connect('layers'), { binary: true });
  await waitFor(() => h.links.length === 1 && bytes().length >= 4, 'connected');
  const out: Buffer[] = [];
  const inb: Buffer[] = [];
  const isHttp = (b: Buffer) => /^(GET |HTTP\/)/.test(b.toString('latin1', 0, 5));
  h.links[0]!.tap!.plain!.on((dir, b) => {
    if (!isHttp(b)) (dir === 'out' ? out : inb).push(b); // the replayed upgrade comes first
  });
  ws.send(PINGREQ, { binary: true });
  await waitFor(() => bytes().length >= 6, 'PINGRESP');
  await waitFor(() => Buffer.concat(out).includes(Buffer.from('89', 'hex')), 'a WebSocket ping from the broker');
  await waitFor(() => Buffer.concat(inb).includes(Buffer.from('8a80', 'hex')), 'the client pong (masked, empty)');
  const o = Buffer.concat(out);
  assert.ok(o.includes(Buffer.from('8202d000', 'hex')), 'PINGRESP d0 00 inside a binary frame (0x82, length 2)');
  assert.ok(o.includes(Buffer.from('8900', 'hex')), 'WebSocket ping control frame (0x89), empty payload');
  const i = Buffer.concat(inb);
  assert.equal(i[0], 0x82, 'PINGREQ in a masked binary frame');
});
