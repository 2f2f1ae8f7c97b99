// The ciphertext tap of tls and wss listeners (tapWire) replays the connection from its first TLS byte to a
// subscriber that arrives after the link was handed out, so a capture can decrypt it; the onKeylog option hands
// each key-log line over with the connection it belongs to, behind the PROXY protocol too.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { once } from 'node:events';
import WebSocket from 'ws';
import {
  createTlsListener, createWssListener, type KeylogConnection, type Listener, type TapDirection, type TransportLink,
} from '../../src/transport/index.js';
import { makeTestCerts, type TestCerts } from './certs.js';
import { echoLinks, LogCapture, portOf, waitFor } from './util.js';

/** TLS record layer (RFC 8446 5.1): content type, legacy version, length; handshake type after it. */
const TLS_RECORD_HEADER = 5;
const TLS_RECORD_LENGTH_OFFSET = 3;
const CONTENT_HANDSHAKE = 0x16;
const CONTENT_APPLICATION_DATA = 0x17;
const HANDSHAKE_CLIENT_HELLO = 0x01;
const HANDSHAKE_SERVER_HELLO = 0x02;
/** ClientHello: handshake type (1), length (3), legacy_version (2), then the 32-byte random. */
const CLIENT_RANDOM_OFFSET = TLS_RECORD_HEADER + 1 + 3 + 2;
const CLIENT_RANDOM_LENGTH = 32;

let certs: TestCerts;
before(() => {
  certs = makeTestCerts();
});
after(() => certs.cleanup());

interface Chunk {
  dir: TapDirection;
  bytes: Buffer;
}

interface KeylogSeen {
  line: string;
  connection: KeylogConnection;
}

async function tlsListener(extra: Record<string, unknown>, keylogs: KeylogSeen[]): Promise<{ listener: Listener; links: TransportLink[]; port: number }> {
  const { links, onLink } = echoLinks();
  const listener = createTlsListener({
    host: '127.0.0.1', port: 0, log: new LogCapture(), certFile: certs.certFile, keyFile: certs.keyFile, tapWire: true,
    onKeylog: (line, connection) => keylogs.push({ line: line.toString('latin1').trim(), connection }),
    ...extra,
  });
  await listener.listen(onLink);
  return { listener, links, port: portOf(listener.address()) };
}

/** A TLS client whose own key-log lines (client random included) are kept; `first` goes out before TLS starts. */
async function tlsClient(port: number, first?: string): Promise<{ socket: TLSSocket; raw: Socket; keylog: string[] }> {
  const raw = netConnect(port, '127.0.0.1');
  await once(raw, 'connect');
  if (first) raw.write(first);
  const socket = tlsConnect({ socket: raw, servername: 'localhost', ca: readFileSync(certs.caFile), ALPNProtocols: ['mqtt'] });
  const keylog: string[] = [];
  socket.on('keylog', (line) => keylog.push(line.toString('latin1').trim()));
  await once(socket, 'secureConnect');
  return { socket, raw, keylog };
}

/** Sends bytes through the echo link and waits for them to come back (the handshake is long over then). */
async function echo(socket: TLSSocket, text: string): Promise<void> {
  let back = '';
  const onData = (d: Buffer): void => void (back += d.toString());
  socket.on('data', onData);
  socket.write(text);
  await waitFor(() => back.includes(text), 'the echo');
  socket.off('data', onData);
}

/** The client random of the connection: NSS key-log lines are `LABEL <client random hex> <secret hex>`. */
function clientRandomOf(lines: readonly string[]): string {
  const randoms = new Set(lines.map((l) => l.split(' ')[1]));
  assert.equal(randoms.size, 1, `one session in ${JSON.stringify(lines)}`);
  return [...randoms][0]!;
}

/** The content types of the whole TLS records that went one way, in order. */
function recordTypes(chunks: readonly Chunk[], dir: TapDirection): number[] {
  const bytes = Buffer.concat(chunks.filter((c) => c.dir === dir).map((c) => c.bytes));
  const types: number[] = [];
  for (let at = 0; at + TLS_RECORD_HEADER <= bytes.length; at += TLS_RECORD_HEADER + bytes.readUInt16BE(at + TLS_RECORD_LENGTH_OFFSET)) {
    types.push(bytes[at]!);
  }
  return types;
}

function assertStartsWithHandshake(replay: readonly Chunk[], clientRandom: string): void {
  const first = replay[0]!;
  assert.equal(first.dir, 'in');
  assert.equal(first.bytes[0], CONTENT_HANDSHAKE, `first byte ${first.bytes.subarray(0, 8).toString('hex')}`);
  assert.equal(first.bytes[TLS_RECORD_HEADER], HANDSHAKE_CLIENT_HELLO);
  assert.equal(first.bytes.subarray(CLIENT_RANDOM_OFFSET, CLIENT_RANDOM_OFFSET + CLIENT_RANDOM_LENGTH).toString('hex'), clientRandom, 'this connection\'s ClientHello');
  const answer = replay.find((c) => c.dir === 'out')!;
  assert.equal(answer.bytes[0], CONTENT_HANDSHAKE);
  assert.equal(answer.bytes[TLS_RECORD_HEADER], HANDSHAKE_SERVER_HELLO);
}

test('tls tapWire: a wire subscriber arriving after the handshake first receives it, from the ClientHello on, then live records', async (t) => {
  const keylogs: KeylogSeen[] = [];
  const { listener, links, port } = await tlsListener({}, keylogs);
  t.after(() => listener.close());
  const client = await tlsClient(port);
  t.after(() => client.socket.destroy());
  await echo(client.socket, 'before anyone watched');

  const seen: Chunk[] = [];
  const stop = links[0]!.tap!.wire!.on((dir, bytes) => seen.push({ dir, bytes: Buffer.from(bytes) }));
  t.after(stop);
  const replayed = seen.length;
  assert.ok(replayed >= 2, 'the recorded handshake is replayed at once');
  assertStartsWithHandshake(seen, clientRandomOf(client.keylog));

  await echo(client.socket, 'while watched');
  const live = seen.slice(replayed);
  assert.deepEqual(recordTypes(live, 'in'), [CONTENT_APPLICATION_DATA], 'the client\'s next record, live');
  assert.deepEqual(recordTypes(live, 'out'), [CONTENT_APPLICATION_DATA], 'the echo, live');

  // A second late subscriber gets the same replay.
  const again: Chunk[] = [];
  links[0]!.tap!.wire!.on((dir, bytes) => again.push({ dir, bytes }))();
  assert.deepEqual(again.map((c) => c.bytes.toString('hex')), seen.slice(0, replayed).map((c) => c.bytes.toString('hex')));
});

test('tls tapWire: a subscriber from the moment the link exists (as --capture\'s) gets every byte of the connection, replay then live', async (t) => {
  const keylogs: KeylogSeen[] = [];
  const seen: Chunk[] = [];
  const { links, onLink } = echoLinks();
  const listener = createTlsListener({
    host: '127.0.0.1', port: 0, log: new LogCapture(), certFile: certs.certFile, keyFile: certs.keyFile, tapWire: true,
    onKeylog: (line, connection) => keylogs.push({ line: line.toString('latin1').trim(), connection }),
  });
  await listener.listen((link) => {
    link.tap!.wire!.on((dir, bytes) => seen.push({ dir, bytes: Buffer.from(bytes) }));
    onLink(link);
  });
  t.after(() => listener.close());
  const client = await tlsClient(portOf(listener.address()));
  t.after(() => client.socket.destroy());
  await echo(client.socket, 'watched from the start');
  assert.equal(links.length, 1);
  assertStartsWithHandshake(seen, clientRandomOf(client.keylog));
  // No byte lost between the recording and the live tap: a capture needs them all to decrypt.
  const total = (dir: TapDirection): number => seen.filter((c) => c.dir === dir).reduce((n, c) => n + c.bytes.length, 0);
  assert.equal(total('in'), client.raw.bytesWritten);
  await waitFor(() => total('out') === client.raw.bytesRead, `every byte the client read (${total('out')} of ${client.raw.bytesRead})`);
});

test('tls onKeylog: every key-log line of the handshake, with the connection it belongs to (same lines as the client logs)', async (t) => {
  const keylogs: KeylogSeen[] = [];
  const { listener, port } = await tlsListener({}, keylogs);
  t.after(() => listener.close());
  const client = await tlsClient(port);
  t.after(() => client.socket.destroy());
  await echo(client.socket, 'ping');
  assert.deepEqual(keylogs.map((k) => k.line).sort(), [...client.keylog].sort());
  for (const { connection } of keylogs) {
    assert.equal(connection.transport, 'tls');
    assert.equal(connection.listener, listener.name);
    assert.equal(connection.remotePort, client.socket.localPort);
    assert.equal(connection.localPort, port);
  }
});

test('tls --proxy-protocol with tapWire: the replay starts at the ClientHello (the PROXY header is not TLS), key-log lines name the real client', async (t) => {
  const keylogs: KeylogSeen[] = [];
  const { listener, links, port } = await tlsListener({ proxyProtocol: true }, keylogs);
  t.after(() => listener.close());
  const client = await tlsClient(port, `PROXY TCP4 192.0.2.10 127.0.0.1 51000 ${port}\r\n`);
  t.after(() => client.socket.destroy());
  await echo(client.socket, 'proxied');
  const seen: Chunk[] = [];
  links[0]!.tap!.wire!.on((dir, bytes) => seen.push({ dir, bytes }))();
  assertStartsWithHandshake(seen, clientRandomOf(client.keylog));
  assert.ok(keylogs.length > 0);
  for (const { connection } of keylogs) {
    assert.deepEqual([connection.remoteAddress, connection.remotePort], ['192.0.2.10', 51000]);
    assert.equal(connection.proxiedBy?.via, 'proxy-v1');
  }
  assert.deepEqual([links[0]!.info.remoteAddress, links[0]!.info.remotePort], ['192.0.2.10', 51000]);
});

test('wss tapWire: a late wire subscriber receives the TLS handshake and the encrypted HTTP upgrade before live frames', async (t) => {
  const { links, onLink } = echoLinks();
  const keylogs: KeylogSeen[] = [];
  const listener = createWssListener({
    host: '127.0.0.1', port: 0, log: new LogCapture(), certFile: certs.certFile, keyFile: certs.keyFile, tapWire: true,
    onKeylog: (line, connection) => keylogs.push({ line: line.toString('latin1').trim(), connection }),
  });
  await listener.listen(onLink);
  t.after(() => listener.close());
  const port = portOf(listener.address());
  const ws = new WebSocket(`wss://127.0.0.1:${port}/mqtt`, 'mqtt', { ca: readFileSync(certs.caFile) });
  t.after(() => ws.terminate());
  await once(ws, 'open');
  await waitFor(() => links.length === 1, 'the link');
  const seen: Chunk[] = [];
  links[0]!.tap!.wire!.on((dir, bytes) => seen.push({ dir, bytes }))();
  // The server's key-log lines carry the client random of the ClientHello the replay starts with.
  assertStartsWithHandshake(seen, clientRandomOf(keylogs.map((k) => k.line)));
  assert.ok(keylogs.every(({ connection }) => connection.transport === 'wss' && connection.localPort === port));
  // TLS 1.3 encrypts the client's Finished as application data too: a second such record is the upgrade request.
  const fromClient = recordTypes(seen, 'in');
  assert.equal(fromClient[0], CONTENT_HANDSHAKE);
  assert.ok(fromClient.filter((type) => type === CONTENT_APPLICATION_DATA).length >= 2, `the encrypted upgrade request in ${fromClient.join(',')}`);
  assert.ok(recordTypes(seen, 'out').includes(CONTENT_APPLICATION_DATA), 'the encrypted 101');
});
