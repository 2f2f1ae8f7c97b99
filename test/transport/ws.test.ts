// WebSocket and secure WebSocket listeners with an echo consumer: framing edge cases, refusals at the HTTP
// layer, WebSocket-level ping, proxies, taps. MQTT over WebSocket is MQTT spec section 6.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { createWsListener, createWssListener, type Listener, type WsListenerOptions } from '../../src/transport/index.js';
import { makeTestCerts, type TestCerts } from './certs.js';
import { echoLinks, LogCapture, portOf, waitFor } from './util.js';

let certs: TestCerts;
before(() => {
  certs = makeTestCerts();
});
after(() => certs.cleanup());

async function startWs(t: { after(fn: () => unknown): void }, extra: Partial<WsListenerOptions> = {}, secure = false) {
  const echo = echoLinks();
  const log = new LogCapture();
  const base = { host: '127.0.0.1', port: 0, log, ...extra };
  const l: Listener = secure ? createWssListener({ ...base, certFile: certs.certFile, keyFile: certs.keyFile }) : createWsListener(base);
  await l.listen(echo.onLink);
  t.after(() => l.close());
  const port = portOf(l.address());
  return { l, echo, log, port, url: `${secure ? 'wss' : 'ws'}://127.0.0.1:${port}/mqtt` };
}

function open(url: string, protocols: string | string[] = 'mqtt', opts: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { ca: readFileSync(certs.caFile), ...opts });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

function nextMessage(ws: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve) => ws.once('message', (data: Buffer, isBinary: boolean) => resolve({ data, isBinary })));
}

async function echoes(ws: WebSocket, bytes = Buffer.from('c000', 'hex')): Promise<boolean> {
  const got = nextMessage(ws);
  ws.send(bytes, { binary: true });
  const m = await got;
  return m.isBinary && m.data.equals(bytes);
}

/** Status line of the server's answer to a raw HTTP request. */
async function rawHttp(port: number, request: string): Promise<string> {
  const s = connect({ port, host: '127.0.0.1' });
  s.on('error', () => undefined);
  await once(s, 'connect');
  let text = '';
  s.on('data', (d: Buffer) => (text += d.toString('latin1')));
  s.write(request);
  await once(s, 'close');
  return text;
}

test('ws [MQTT-6.0.0-4] subprotocol "mqtt" (and mqttv3.1, mqttv3.1.1) negotiated; binary bytes echo; LinkInfo', async (t) => {
  const { url, echo, l } = await startWs(t);
  for (const p of ['mqtt', 'mqttv3.1', 'mqttv3.1.1']) {
    const ws = await open(url, p);
    t.after(() => ws.terminate());
    assert.equal(ws.protocol, p);
    assert.ok(await echoes(ws));
  }
  const client = await open(url, ['foo', 'mqtt']);
  t.after(() => client.terminate());
  assert.equal(client.protocol, 'mqtt', 'an offered list with mqtt in it gets mqtt');
  const info = echo.links[0]!.info;
  assert.equal(info.transport, 'ws');
  assert.equal(info.listener, l.name);
  assert.equal(info.remoteAddress, '127.0.0.1');
  assert.equal(info.tls, undefined);
});

test('ws: a packet split across continuation frames arrives as one byte stream; several packets in one frame too', async (t) => {
  const { url, echo } = await startWs(t);
  const ws = await open(url);
  t.after(() => ws.terminate());
  await waitFor(() => echo.links.length === 1, 'link');
  const received: Buffer[] = [];
  echo.links[0]!.stream.on('data', (d: Buffer) => received.push(d));
  const connect = Buffer.from('100c00044d5154540402000500', 'hex');
  ws.send(connect.subarray(0, 3), { binary: true, fin: false });
  ws.send(connect.subarray(3, 9), { binary: true, fin: false });
  ws.send(connect.subarray(9), { binary: true, fin: true });
  const pings = Buffer.from('c000c000c000', 'hex');
  ws.send(pings, { binary: true });
  await waitFor(() => Buffer.concat(received).length === connect.length + pings.length, 'all bytes');
  assert.deepEqual(Buffer.concat(received), Buffer.concat([connect, pings]));
});

test('ws [MQTT-6.0.0-1] a text frame closes the connection (1003) with a log line', async (t) => {
  const { url, log } = await startWs(t);
  const canary = await open(url);
  t.after(() => canary.terminate());
  const ws = await open(url);
  const closed = once(ws, 'close');
  ws.send('c000');
  const [code] = (await closed) as [number];
  assert.equal(code, 1003);
  assert.deepEqual(log.codes(), ['WS_TEXT_FRAME']);
  assert.ok(await echoes(canary));
});

test('ws: a frame bigger than the maximum packet size closes the connection with 1009', async (t) => {
  const { url, log } = await startWs(t, { maxPacketSize: 1024 });
  const ok = await open(url);
  t.after(() => ok.terminate());
  assert.ok(await echoes(ok, Buffer.alloc(1024, 1)), 'exactly the limit passes');
  const ws = await open(url);
  ws.on('error', () => undefined);
  const closed = once(ws, 'close');
  ws.send(Buffer.alloc(1025, 1), { binary: true });
  const [code] = (await closed) as [number];
  assert.equal(code, 1009);
  await waitFor(() => log.lines.length === 1, 'log line');
  assert.deepEqual(log.codes(), ['WS_FRAME_TOO_LARGE']);
  assert.ok(await echoes(ok));
});

test('ws --ws-ping: a client that never answers pings is closed; one that answers stays', async (t) => {
  const { url, log } = await startWs(t, { pingSeconds: 0.2 });
  const answering = await open(url);
  t.after(() => answering.terminate());
  let pingsSeen = 0;
  answering.on('ping', () => pingsSeen++);
  const silent = await open(url, 'mqtt', { autoPong: false });
  const closed = once(silent, 'close');
  await closed;
  assert.deepEqual(log.codes(), ['WS_PING_TIMEOUT']);
  await waitFor(() => pingsSeen >= 2, 'the answering client keeps getting pings');
  assert.equal(answering.readyState, WebSocket.OPEN);
  assert.ok(await echoes(answering));
});

test('ws: without --ws-ping the broker sends no WebSocket pings', async (t) => {
  const { url } = await startWs(t);
  const ws = await open(url);
  t.after(() => ws.terminate());
  let pings = 0;
  ws.on('ping', () => pings++);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(pings, 0);
});

test('ws: a plain HTTP request gets 426 and a log line; a canary keeps working', async (t) => {
  const { url, port, log } = await startWs(t);
  const canary = await open(url);
  t.after(() => canary.terminate());
  const answer = await rawHttp(port, 'GET /mqtt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.match(answer, /^HTTP\/1\.1 426 Upgrade Required\r\n/);
  assert.match(answer, /MQTT over WebSocket/);
  assert.deepEqual(log.codes(), ['HTTP_NOT_UPGRADE']);
  assert.match(log.lines[0]!.msg, /^ws connection from 127\.0\.0\.1:\d+ on ws:127\.0\.0\.1:\d+ failed: HTTP_NOT_UPGRADE: GET \/mqtt is not a WebSocket upgrade \(answered 426\)$/);
  assert.ok(await echoes(canary));
});

test('ws: garbage instead of HTTP gets 400 and a log line', async (t) => {
  const { port, log } = await startWs(t);
  const answer = await rawHttp(port, '\x10\x0c\x00\x04MQTT\x04\x02\x00\x05\x00\x00');
  assert.match(answer, /^HTTP\/1\.1 400 /);
  assert.deepEqual(log.codes(), ['HTTP_BAD_REQUEST']);
});

test('ws [MQTT-6.0.0-3] a wrong subprotocol is refused with 400 and a log line; a canary keeps working', async (t) => {
  const { url, log } = await startWs(t);
  const canary = await open(url);
  t.after(() => canary.terminate());
  await assert.rejects(open(url, ['graphql-ws']), /HTTP 400/);
  assert.deepEqual(log.codes(), ['WS_BAD_SUBPROTOCOL']);
  assert.match(log.lines[0]!.msg, /subprotocols offered \[graphql-ws\]/);
  assert.ok(await echoes(canary));
});

test('ws --ws-path restricts the upgrade path (404 elsewhere); without it any path works', async (t) => {
  const restricted = await startWs(t, { wsPath: '/mqtt' });
  const ws = await open(restricted.url);
  t.after(() => ws.terminate());
  await assert.rejects(open(`ws://127.0.0.1:${restricted.port}/other`), /HTTP 404/);
  assert.deepEqual(restricted.log.codes(), ['WS_BAD_PATH']);
  const anyPath = await startWs(t);
  const ws2 = await open(`ws://127.0.0.1:${anyPath.port}/whatever/path?x=1`);
  t.after(() => ws2.terminate());
  assert.ok(await echoes(ws2));
});

test('ws --ws-origin allow-list: a listed Origin upgrades, another is refused with 403', async (t) => {
  const { url, log } = await startWs(t, { origins: ['https://app.example'] });
  const ok = await open(url, 'mqtt', { origin: 'https://app.example' });
  t.after(() => ok.terminate());
  await assert.rejects(open(url, 'mqtt', { origin: 'https://evil.example' }), /HTTP 403/);
  await assert.rejects(open(url, 'mqtt'), /HTTP 403/);
  assert.deepEqual(log.codes(), ['WS_ORIGIN_REFUSED', 'WS_ORIGIN_REFUSED']);
});

test('ws --trust-proxy: client address from X-Forwarded-For (the entry our proxy appended); ignored without it', async (t) => {
  const headers = { 'X-Forwarded-For': '198.51.100.99, 203.0.113.5' };
  const trusted = await startWs(t, { trustProxy: true });
  const a = await open(trusted.url, 'mqtt', { headers });
  t.after(() => a.terminate());
  await waitFor(() => trusted.echo.links.length === 1, 'link');
  assert.equal(trusted.echo.links[0]!.info.remoteAddress, '203.0.113.5');
  assert.deepEqual(trusted.echo.links[0]!.info.proxiedBy?.via, 'x-forwarded-for');
  const untrusted = await startWs(t);
  const b = await open(untrusted.url, 'mqtt', { headers });
  t.after(() => b.terminate());
  await waitFor(() => untrusted.echo.links.length === 1, 'link');
  assert.equal(untrusted.echo.links[0]!.info.remoteAddress, '127.0.0.1');
});

test('ws taps: a subscriber first gets the recorded HTTP upgrade, then masked client frames and server frames', async (t) => {
  const { url, echo } = await startWs(t);
  const ws = await open(url);
  t.after(() => ws.terminate());
  await waitFor(() => echo.links.length === 1, 'link');
  const seen: { dir: string; bytes: Buffer }[] = [];
  const off = echo.links[0]!.tap!.plain!.on((dir, bytes) => seen.push({ dir, bytes }));
  assert.equal(echo.links[0]!.tap!.wire, echo.links[0]!.tap!.plain, 'no TLS: wire and plain are the same bytes');
  assert.match(seen[0]!.bytes.toString('latin1'), /^GET \/mqtt HTTP\/1\.1\r\n[\s\S]*Sec-WebSocket-Protocol: mqtt\r\n/i);
  assert.equal(seen[0]!.dir, 'in');
  assert.match(seen[1]!.bytes.toString('latin1'), /^HTTP\/1\.1 101 Switching Protocols\r\n/);
  assert.equal(seen[1]!.dir, 'out');
  assert.ok(await echoes(ws));
  const frames = (dir: string) => Buffer.concat(seen.slice(2).filter((c) => c.dir === dir).map((c) => c.bytes));
  await waitFor(() => frames('out').length >= 4, 'frames');
  const inFrame = frames('in');
  assert.equal(inFrame[0], 0x82, 'FIN + binary opcode');
  assert.equal(inFrame[1]! & 0x80, 0x80, 'client frames are masked');
  assert.equal(inFrame.length, 2 + 4 + 2, 'header, masking key, 2 masked payload bytes');
  assert.deepEqual(frames('out'), Buffer.from('8202c000', 'hex'), 'server frame: unmasked binary, PINGREQ echoed');
  off();
});

test('wss: echo over TLS; LinkInfo has TLS facts; plain HTTP without upgrade gets 426', async (t) => {
  const { url, echo, port, log } = await startWs(t, {}, true);
  const ws = await open(url);
  t.after(() => ws.terminate());
  assert.ok(await echoes(ws));
  const info = echo.links[0]!.info;
  assert.equal(info.transport, 'wss');
  assert.equal(info.tls?.protocol, 'TLSv1.3');
  const { connect: tlsConnect } = await import('node:tls');
  const s = tlsConnect({ port, host: '127.0.0.1', ca: readFileSync(certs.caFile), servername: 'localhost' });
  await once(s, 'secureConnect');
  let text = '';
  s.on('data', (d: Buffer) => (text += d.toString()));
  s.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  await once(s, 'close');
  assert.match(text, /^HTTP\/1\.1 426 /);
  assert.deepEqual(log.codes(), ['HTTP_NOT_UPGRADE']);
});

test('wss taps: plain shows the upgrade and frames in clear; tapWire adds TLS records', async (t) => {
  const echo = echoLinks();
  const l = createWssListener({ host: '127.0.0.1', port: 0, certFile: certs.certFile, keyFile: certs.keyFile, tapWire: true });
  await l.listen(echo.onLink);
  t.after(() => l.close());
  const ws = await open(`wss://127.0.0.1:${portOf(l.address())}/`);
  t.after(() => ws.terminate());
  await waitFor(() => echo.links.length === 1, 'link');
  const plain: Buffer[] = [];
  const wire: Buffer[] = [];
  echo.links[0]!.tap!.plain!.on((_d, b) => plain.push(b));
  echo.links[0]!.tap!.wire!.on((_d, b) => wire.push(b));
  wire.splice(0); // [trace] the handshake and upgrade replayed to a late subscriber (wire-handshake.test.ts)
  assert.match(plain[0]!.toString('latin1'), /^GET \/ HTTP\/1\.1/);
  assert.ok(await echoes(ws));
  await waitFor(() => wire.length >= 2, 'wire bytes');
  assert.ok(wire.every((b) => b[0] === 0x17), 'TLS application data records');
});

test('ws: a client that never completes its upgrade request is dropped after upgradeTimeoutMs with HTTP_TIMEOUT', async (t) => {
  const { url, port, log } = await startWs(t, { upgradeTimeoutMs: 300 });
  const s = connect({ port, host: '127.0.0.1' });
  s.on('error', () => undefined);
  await once(s, 'connect');
  s.write('GET /mqtt HTTP/1.1\r\nHost: x\r\n'); // headers never finish
  await once(s, 'close');
  assert.deepEqual(log.codes(), ['HTTP_TIMEOUT']);
  const ws = await open(url);
  t.after(() => ws.terminate());
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(ws.readyState, WebSocket.OPEN, 'an upgraded connection is not subject to the upgrade timeout');
  assert.ok(await echoes(ws));
});
