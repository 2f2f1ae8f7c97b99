// The live trace through the composition root: ws and tls clients (MQTT.js) against startServer with the trace
// hub watched; the events carry the TLS facts, the WebSocket frames exactly as sent, and the MQTT field tree.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import type { TraceEvent, WsFrameView } from '../../../src/inspect/live/index.js';
import { makeTestCerts, type TestCerts } from '../../transport/certs.js';
import { connectClient, endClient, startTracedBroker, waitFor, type TracedBroker } from './support.js';

let certs: TestCerts;
let broker: TracedBroker;
const events: TraceEvent[] = [];
const filtered = { client: [] as TraceEvent[], topic: [] as TraceEvent[], types: [] as TraceEvent[], secrets: [] as TraceEvent[] };
const SMALL = Buffer.alloc(200, 0x61); // 16-bit WebSocket length form
const LARGE = Buffer.alloc(70_000, 0x62); // 64-bit WebSocket length form

before(async () => {
  certs = makeTestCerts();
  broker = await startTracedBroker(certs);
  const hub = broker.running.trace!;
  hub.watch({}, (ev) => events.push(ev));
  hub.watch({ client: 'tls-pub' }, (ev) => filtered.client.push(ev));
  hub.watch({ topic: 'big/+' }, (ev) => filtered.topic.push(ev));
  hub.watch({ types: ['subscribe', 'SUBACK'] }, (ev) => filtered.types.push(ev));
  hub.watch({ secrets: true, types: ['connect'] }, (ev) => filtered.secrets.push(ev));

  const ws = await connectClient(broker.options('ws', {
    clientId: 'ws-sub', username: 'wsuser', password: 'ws-secret', protocolVersion: 5,
    properties: { userProperties: { app: 'glassmq-test' } },
  }));
  let received = 0;
  ws.on('message', () => received++);
  await ws.subscribeAsync('big/#', { qos: 0 });
  await ws.publishAsync('big/one', SMALL);
  await ws.publishAsync('big/two', LARGE);
  await waitFor(() => received === 2, 'both messages back');
  // --ws-ping 1 (listener option): the broker pings, the client answers
  await waitFor(() => events.some((e) => e.ws?.[0]?.opcodeName === 'pong'), 'a WebSocket pong');

  const tls = await connectClient(broker.options('tls', { clientId: 'tls-pub', username: 'tlsuser', password: 'tls-secret', protocolVersion: 4 }));
  await tls.publishAsync('small/x', 'hello!', { qos: 1 });
  await endClient(tls);
  await endClient(ws);
  await waitFor(() => events.filter((e) => e.kind === 'close').length === 2, 'both close events');
});

after(async () => {
  await broker?.close();
  certs?.cleanup();
});

const ofClient = (id: string): TraceEvent[] => events.filter((e) => e.connection.clientId === id);
const mqttOf = (id: string, type: string, dir?: 'in' | 'out'): TraceEvent[] =>
  ofClient(id).filter((e) => e.mqtt?.type === type && (!dir || e.direction === dir));

/** Where the masking key sits in a frame header: after the 7-bit length byte and the 16/64-bit extension. */
function maskKeyFromHeader(headerHex: string): string {
  const b = Buffer.from(headerHex, 'hex');
  const len7 = b[1]! & 0x7f;
  const at = len7 === 127 ? 10 : len7 === 126 ? 4 : 2;
  return b.subarray(at, at + 4).toString('hex');
}

function fieldNames(fields: { name: string; children?: unknown[] }[]): string[] {
  return fields.flatMap((f) => [f.name, ...fieldNames((f.children ?? []) as { name: string; children?: unknown[] }[])]);
}

test('ws: the HTTP upgrade is an event of its own, request and 101 answer', () => {
  const http = events.filter((e) => e.kind === 'http' && e.connection.transport === 'ws');
  const req = http.find((e) => e.direction === 'in');
  const res = http.find((e) => e.direction === 'out');
  assert.match(req?.http?.startLine ?? '', /^GET \/mqtt HTTP\/1\.1$/);
  assert.ok(req?.http?.headers.some(([k, v]) => k.toLowerCase() === 'upgrade' && v.toLowerCase() === 'websocket'));
  assert.match(res?.http?.startLine ?? '', /^HTTP\/1\.1 101 /);
});

test('ws [MQTT-6.0.0-1] client frames: binary, FIN, masked, and the masking key shown is the one in the frame bytes', () => {
  const fromClient = ofClient('ws-sub').filter((e) => e.kind === 'mqtt' && e.direction === 'in');
  assert.ok(fromClient.length >= 4, 'CONNECT, SUBSCRIBE, 2 x PUBLISH at least');
  for (const ev of fromClient) {
    assert.ok(ev.ws && ev.ws.length > 0, `${ev.mqtt?.type} carries its frames`);
    for (const f of ev.ws) {
      assert.equal(f.masked, true); // RFC 6455 5.3: every client frame is masked
      assert.equal(f.opcodeName === 'binary' || f.opcodeName === 'continuation', true);
      assert.equal(f.rsv, 0);
      assert.match(f.maskKey ?? '', /^[0-9a-f]{8}$/);
      assert.equal(f.maskKey, maskKeyFromHeader(f.header));
    }
  }
  const fromBroker = ofClient('ws-sub').filter((e) => e.kind === 'mqtt' && e.direction === 'out');
  for (const ev of fromBroker) for (const f of ev.ws ?? []) assert.equal(f.masked, false); // servers never mask
});

test('ws: payload lengths in the 16-bit and 64-bit forms are read and named', () => {
  const frames = (type: string, dir: 'in' | 'out'): WsFrameView[] => mqttOf('ws-sub', type, dir).flatMap((e) => e.ws ?? []);
  const sent = frames('PUBLISH', 'in');
  const smallFrame = sent.find((f) => f.lengthBits === 16);
  const largeFrame = sent.find((f) => f.lengthBits === 64);
  assert.ok(smallFrame, 'a frame with a 16-bit length');
  assert.ok(largeFrame, 'a frame with a 64-bit length');
  assert.ok(largeFrame.payloadLength > 65_535);
  assert.equal(Buffer.from(largeFrame.header, 'hex')[1]! & 0x7f, 127);
  assert.ok(frames('PUBLISH', 'out').some((f) => f.lengthBits === 64), 'the broker frame carrying the large PUBLISH');
  const big = mqttOf('ws-sub', 'PUBLISH', 'in').find((e) => e.mqtt?.topic === 'big/two');
  assert.equal(big?.mqtt?.dissection.packet && (big.mqtt.dissection.packet as { payload: { hex: string } }).payload.hex.length, LARGE.length * 2);
});

test('ws: control frames (ping from the broker, pong and close from the client) are events with their opcode', () => {
  const control = ofClient('ws-sub').filter((e) => e.kind === 'ws').map((e) => ({ dir: e.direction, f: e.ws![0]! }));
  const ping = control.find((c) => c.f.opcodeName === 'ping');
  const pong = control.find((c) => c.f.opcodeName === 'pong');
  assert.equal(ping?.dir, 'out');
  assert.equal(ping.f.opcode, 0x9);
  assert.equal(ping.f.masked, false);
  assert.equal(pong?.dir, 'in');
  assert.equal(pong.f.opcode, 0xa);
  assert.equal(pong.f.maskKey, maskKeyFromHeader(pong.f.header));
  const close = control.find((c) => c.f.opcodeName === 'close');
  assert.ok(close, 'a close frame');
  assert.equal(close.f.opcode, 0x8);
});

test('v5 [MQTT-3.1.2-19] CONNECT over ws: every field and property in the tree, the Password masked', () => {
  const [connect] = mqttOf('ws-sub', 'CONNECT', 'in');
  assert.ok(connect?.mqtt);
  assert.equal(connect.mqtt.protocolVersion, 5);
  const names = fieldNames(connect.mqtt.dissection.fields);
  for (const n of ['Fixed Header', 'Protocol Name', 'Connect Flags', 'Keep Alive', 'Client Identifier', 'User Name', 'Password']) assert.ok(names.includes(n), n);
  assert.ok(names.some((n) => /User Property/.test(n)), 'the User Property');
  const text = JSON.stringify(connect);
  assert.ok(!text.includes('ws-secret') && !text.includes(Buffer.from('ws-secret').toString('hex')), 'password not shown');
  assert.ok(text.includes('********'));
  const shown = filtered.secrets.find((e) => e.connection.clientId === 'ws-sub');
  assert.ok(JSON.stringify(shown).includes(Buffer.from('ws-secret').toString('hex')), 'shown with secrets: true');
});

test('tls: every event names the TLS version, cipher suite and SNI', () => {
  const tlsEvents = events.filter((e) => e.connection.transport === 'tls');
  assert.ok(tlsEvents.length >= 5);
  for (const e of tlsEvents) {
    assert.match(e.tls?.protocol ?? '', /^TLSv1\.[23]$/);
    assert.match(e.tls?.cipher ?? '', /^TLS_|^ECDHE|AES|CHACHA/);
    assert.equal(e.tls?.servername, 'localhost');
  }
  const publish = mqttOf('tls-pub', 'PUBLISH', 'in')[0];
  assert.equal(publish?.mqtt?.topic, 'small/x');
  assert.equal(publish?.ws, undefined, 'no WebSocket layer on a tls listener');
  assert.deepEqual(mqttOf('tls-pub', 'PUBACK', 'out').length, 1);
});

test('filters: client id, topic filter with wildcards, packet types', () => {
  assert.ok(filtered.client.length > 0);
  assert.ok(filtered.client.every((e) => e.connection.clientId === 'tls-pub'));
  assert.deepEqual([...new Set(filtered.topic.map((e) => e.mqtt?.topic ?? 'SUB'))].sort(), ['SUB', 'big/one', 'big/two'].sort());
  assert.ok(filtered.topic.every((e) => e.mqtt?.type === 'PUBLISH' || e.mqtt?.type === 'SUBSCRIBE'));
  assert.deepEqual(filtered.types.map((e) => e.mqtt?.type), ['SUBSCRIBE', 'SUBACK']);
});

test('flow summary per connection with the role inferred, on close and from summaries()', () => {
  const close = events.find((e) => e.kind === 'close' && e.connection.clientId === 'ws-sub');
  assert.equal(close?.summary?.role, 'both');
  assert.match(close?.summary?.line ?? '', /^ws-sub 127\.0\.0\.1:\d+ both: -> CONNECT <- CONNACK 0 -> SUBSCRIBE big\/# q0 <- SUBACK 0 /);
  const pub = broker.running.trace!.summaries().find((s) => s.connection.clientId === 'tls-pub');
  assert.equal(pub?.role, 'publisher');
  assert.match(pub?.flow ?? '', /-> PUBLISH small\/x q1 "hello!" <- PUBACK/);
});
