// TLS listener with an echo consumer: identity facts, client-certificate policy, minimum version, broken
// handshakes, certificate reload without dropping connections, the key log, PROXY protocol under TLS, taps.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { connect, type Socket } from 'node:net';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { createTlsListener, type Listener, type TlsListenerOptions, type TransportLink } from '../../src/transport/index.js';
import { issueServerCert, makeTestCerts, type TestCerts } from './certs.js';
import { echoLinks, LogCapture, portOf, waitFor } from './util.js';

let certs: TestCerts;
before(() => {
  certs = makeTestCerts();
});
after(() => certs.cleanup());

async function startTls(t: { after(fn: () => unknown): void }, extra: Partial<TlsListenerOptions> = {}) {
  const echo = echoLinks();
  const log = new LogCapture();
  const l: Listener = createTlsListener({ host: '127.0.0.1', port: 0, certFile: certs.certFile, keyFile: certs.keyFile, log, ...extra });
  await l.listen(echo.onLink);
  t.after(() => l.close());
  return { l, echo, log, port: portOf(l.address()) };
}

function dialTls(port: number, opts: ConnectionOptions = {}): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ port, host: '127.0.0.1', ca: readFileSync(certs.caFile), servername: 'localhost', ...opts }, () => resolve(s));
    s.on('error', reject);
  });
}

async function echoes(s: Socket, bytes = Buffer.from('c000', 'hex')): Promise<boolean> {
  const got: Buffer[] = [];
  const onData = (d: Buffer) => got.push(d);
  s.on('data', onData);
  s.write(bytes);
  await waitFor(() => Buffer.concat(got).length >= bytes.length, 'echo');
  s.removeListener('data', onData);
  return Buffer.concat(got).equals(bytes);
}

/** Resolves when the server has closed `s` (TLS 1.3 reports a refused client certificate after the handshake). */
async function closedByServer(s: TLSSocket): Promise<void> {
  s.on('error', () => undefined);
  if (s.destroyed) return;
  await once(s, 'close');
}

test('tls: echo; LinkInfo.tls has protocol, cipher, servername; ALPN "mqtt" is negotiated', async (t) => {
  const { echo, port, l } = await startTls(t);
  const s = await dialTls(port, { ALPNProtocols: ['mqtt'] });
  t.after(() => s.destroy());
  assert.equal(s.alpnProtocol, 'mqtt');
  assert.ok(await echoes(s));
  const info = echo.links[0]!.info;
  assert.equal(info.transport, 'tls');
  assert.equal(info.listener, l.name);
  assert.equal(info.remotePort, s.localPort);
  assert.deepEqual(info.tls, { protocol: 'TLSv1.3', cipher: s.getCipher().name, servername: 'localhost', authorized: false });
});

test('tls client certificates: one from our CA is accepted and its identity is in LinkInfo', async (t) => {
  const { echo, port } = await startTls(t, { caFile: certs.caFile, requireCertificate: true });
  const s = await dialTls(port, { cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) });
  t.after(() => s.destroy());
  assert.ok(await echoes(s));
  const tls = echo.links[0]!.info.tls!;
  assert.equal(tls.authorized, true);
  assert.equal(tls.peerCommonName, 'alice');
  assert.equal(tls.peerSubject, 'CN=alice,O=glassmq test');
});

test('tls client certificates: missing, or from another CA, is refused with a log line; a canary keeps working', async (t) => {
  const { echo, port, log } = await startTls(t, { caFile: certs.caFile, requireCertificate: true });
  const canary = await dialTls(port, { cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) });
  t.after(() => canary.destroy());

  const none = await dialTls(port).catch((e: Error) => e);
  if (!(none instanceof Error)) await closedByServer(none);
  const other = await dialTls(port, { cert: readFileSync(certs.otherClientCert), key: readFileSync(certs.otherClientKey) }).catch((e: Error) => e);
  if (!(other instanceof Error)) await closedByServer(other);

  await waitFor(() => log.lines.length === 2, 'two log lines');
  assert.deepEqual(log.codes(), ['TLS_HANDSHAKE_FAILED', 'TLS_HANDSHAKE_FAILED']);
  assert.match(log.lines[0]!.msg, /client certificate required but none presented/);
  assert.match(log.lines[1]!.msg, /client certificate not accepted: UNABLE_TO_VERIFY_LEAF_SIGNATURE/);
  assert.equal(echo.links.length, 1, 'only the canary became a link');
  assert.ok(await echoes(canary));
});

test('tls --tls-min-version TLSv1.3: a TLS 1.2-only client fails the handshake with a log line', async (t) => {
  const { port, log, echo } = await startTls(t, { minVersion: 'TLSv1.3' });
  await assert.rejects(dialTls(port, { maxVersion: 'TLSv1.2' }));
  await waitFor(() => log.lines.length === 1, 'log line');
  assert.deepEqual(log.codes(), ['TLS_HANDSHAKE_FAILED']);
  assert.match(log.lines[0]!.msg, /^tls connection from 127\.0\.0\.1:\d+ on tls:127\.0\.0\.1:\d+ failed: TLS_HANDSHAKE_FAILED: ERR_SSL_UNSUPPORTED_PROTOCOL: unsupported protocol$/);
  assert.equal(echo.links.length, 0);
});

test('tls: plain MQTT bytes on the TLS port (broken handshake) fail that connection only, with a log line', async (t) => {
  const { port, log } = await startTls(t);
  const canary = await dialTls(port);
  t.after(() => canary.destroy());
  const plain = connect({ port, host: '127.0.0.1' });
  plain.on('error', () => undefined);
  await once(plain, 'connect');
  plain.write(Buffer.from('100c00044d5154540402000500', 'hex'));
  await once(plain, 'close');
  await waitFor(() => log.lines.length === 1, 'log line');
  assert.deepEqual(log.codes(), ['TLS_HANDSHAKE_FAILED']);
  assert.match(log.lines[0]!.msg, /TLS_HANDSHAKE_FAILED: ERR_SSL_/);
  assert.ok(await echoes(canary));
});

test('tls reloadCertificates(): new handshakes get the new certificate, an open connection is untouched', async (t) => {
  const dir = certs.dir;
  const live = { certFile: join(dir, 'live.pem'), keyFile: join(dir, 'live.key') };
  copyFileSync(certs.certFile, live.certFile);
  copyFileSync(certs.keyFile, live.keyFile);
  const { port, l } = await startTls(t, live);
  const before = await dialTls(port);
  t.after(() => before.destroy());
  assert.equal(before.getPeerCertificate().subject.CN, 'localhost');

  const next = issueServerCert(certs, 'reloaded');
  copyFileSync(next.certFile, live.certFile);
  copyFileSync(next.keyFile, live.keyFile);
  l.reloadCertificates!();

  const afterReload = await dialTls(port);
  t.after(() => afterReload.destroy());
  assert.equal(afterReload.getPeerCertificate().subject.CN, 'reloaded');
  assert.ok(await echoes(before), 'the connection made before the reload still works');
});

test('tls key log: NSS key-log lines for each handshake, keyed by the client random; one warning at start', async (t) => {
  const file = join(certs.dir, 'keys.log');
  const { port, log } = await startTls(t, { keylog: file });
  assert.equal(log.lines.length, 1);
  assert.match(log.lines[0]!.msg, /TLS key log is ON: .*keys\.log/);
  const s = await dialTls(port);
  t.after(() => s.destroy());
  assert.ok(await echoes(s));
  // The client's own key log lines must all be in the server's file (same secrets, same client random).
  const clientLines: string[] = [];
  const s2 = tlsConnect({ port, host: '127.0.0.1', ca: readFileSync(certs.caFile), servername: 'localhost' });
  s2.on('keylog', (line: Buffer) => clientLines.push(line.toString().trim()));
  await once(s2, 'secureConnect');
  t.after(() => s2.destroy());
  assert.ok(await echoes(s2));
  await waitFor(() => clientLines.every((c) => readFileSync(file, 'utf8').includes(c)), 'server key log has the client secrets');
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  assert.ok(lines.length >= 10, `${lines.length} lines for two TLS 1.3 handshakes`);
  for (const line of lines) assert.match(line, /^[A-Z_0-9]+ [0-9a-f]{64} [0-9a-f]+$/);
});

test('tls --proxy-protocol: a v2 header before the ClientHello sets the real address', async (t) => {
  const { echo, port } = await startTls(t, { proxyProtocol: true });
  const raw = connect({ port, host: '127.0.0.1' });
  await once(raw, 'connect');
  const sig = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a];
  raw.write(Buffer.from([...sig, 0x21, 0x11, 0x00, 0x0c, 198, 51, 100, 23, 10, 0, 0, 2, 0x9c, 0x40, 0x22, 0xb3]));
  const s = await dialTls(port, { socket: raw });
  t.after(() => s.destroy());
  assert.ok(await echoes(s));
  const info = echo.links[0]!.info;
  assert.equal(info.remoteAddress, '198.51.100.23');
  assert.equal(info.remotePort, 40000);
  assert.equal(info.localPort, 8883);
  assert.equal(info.proxiedBy?.via, 'proxy-v2');
  assert.ok(info.tls?.protocol);
});

test('tls taps: plain shows the MQTT bytes; with tapWire, wire shows TLS application-data records', async (t) => {
  const { echo, port } = await startTls(t, { tapWire: true });
  const s = await dialTls(port);
  t.after(() => s.destroy());
  await waitFor(() => echo.links.length === 1, 'link');
  const link: TransportLink = echo.links[0]!;
  const plain: [string, string][] = [];
  const wire: [string, Buffer][] = [];
  const offPlain = link.tap!.plain!.on((dir, bytes) => plain.push([dir, bytes.toString('hex')]));
  const offWire = link.tap!.wire!.on((dir, bytes) => wire.push([dir, bytes]));
  wire.splice(0); // [trace] the handshake replayed to a late subscriber (test/transport/wire-handshake.test.ts)
  assert.ok(await echoes(s, Buffer.from('c000', 'hex')));
  await waitFor(() => plain.length >= 2 && wire.some(([d]) => d === 'out'), 'tapped bytes');
  assert.deepEqual(plain, [['in', 'c000'], ['out', 'c000']]);
  const TLS_APPLICATION_DATA = 0x17;
  assert.ok(wire.every(([, b]) => b[0] === TLS_APPLICATION_DATA), 'ciphertext records');
  assert.ok(!wire.some(([, b]) => b.includes(Buffer.from('c000', 'hex')) && b.length === 2));
  offPlain();
  offWire();
  const count = plain.length;
  assert.ok(await echoes(s));
  assert.equal(plain.length, count, 'nothing delivered after unsubscribe');
});
