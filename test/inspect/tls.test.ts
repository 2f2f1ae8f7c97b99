// TLS record decryption with NSS key-log secrets, against real node:tls sessions recorded byte for byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TlsLayer } from '../../src/inspect/tls-layer.js';
import { KeyLog } from '../../src/inspect/tls-keylog.js';
import type { LayerNote } from '../../src/inspect/duplex.js';
import { createServer as createTlsServer } from 'node:tls';
import { spawn } from 'node:child_process';
import { makeCert, recordTlsSession, recordingRelay, until, type Recorded } from './helpers/peers.js';
import { mqttConnect, mqttPublish, CONNACK_OK } from './helpers/frames.js';

const dir = mkdtempSync(join(tmpdir(), 'glassmq-tls-'));
const cert = makeCert(dir);
test.after(() => rmSync(dir, { recursive: true, force: true }));

const fromClient = Buffer.concat([mqttConnect('tls-client'), mqttPublish('big/one', Buffer.alloc(40_000, 0x5a))]);
const fromServer = Buffer.concat([CONNACK_OK, mqttPublish('down', Buffer.from('hello over tls'))]);

function session(opts: { version: 'TLSv1.2' | 'TLSv1.3'; cipher: string }): Promise<{ chunks: Recorded[]; keylog: string; negotiated: string }> {
  return recordTlsSession(cert, { ...opts, fromClient, fromServer });
}

function decrypt(chunks: Recorded[], keylogText: string): { c: Buffer; s: Buffer; notes: LayerNote[]; layer: TlsLayer } {
  const keylog = new KeyLog();
  keylog.add(keylogText);
  const c: Buffer[] = [];
  const s: Buffer[] = [];
  const notes: LayerNote[] = [];
  const layer = new TlsLayer({ data: (fc, b) => (fc ? c : s).push(Buffer.from(b)), gap: () => {}, end: () => {} }, keylog, (n) => notes.push(n));
  for (const ch of chunks) layer.data(ch.fromClient, ch.data);
  return { c: Buffer.concat(c), s: Buffer.concat(s), notes, layer };
}

const SUITES: [string, 'TLSv1.2' | 'TLSv1.3', string][] = [
  ['RFC 5288 TLS 1.2 AES-128-GCM (explicit nonce, PRF-SHA256 key block)', 'TLSv1.2', 'ECDHE-RSA-AES128-GCM-SHA256'],
  ['RFC 5289 TLS 1.2 AES-256-GCM (PRF-SHA384)', 'TLSv1.2', 'ECDHE-RSA-AES256-GCM-SHA384'],
  ['RFC 7905 TLS 1.2 ChaCha20-Poly1305 (IV xor sequence)', 'TLSv1.2', 'ECDHE-RSA-CHACHA20-POLY1305'],
  ['RFC 8446 TLS 1.3 TLS_AES_128_GCM_SHA256', 'TLSv1.3', 'TLS_AES_128_GCM_SHA256'],
  ['RFC 8446 TLS 1.3 TLS_AES_256_GCM_SHA384', 'TLSv1.3', 'TLS_AES_256_GCM_SHA384'],
  ['RFC 8446 TLS 1.3 TLS_CHACHA20_POLY1305_SHA256', 'TLSv1.3', 'TLS_CHACHA20_POLY1305_SHA256'],
  ['RFC 8446 TLS 1.3 TLS_AES_128_CCM_SHA256', 'TLSv1.3', 'TLS_AES_128_CCM_SHA256'],
];

for (const [name, version, cipher] of SUITES) {
  test(`${name}: a recorded session decrypts to exactly the bytes each side wrote`, async () => {
    const { chunks, keylog, negotiated } = await session({ version, cipher });
    const { c, s, layer, notes } = decrypt(chunks, keylog);
    assert.deepEqual(notes.filter((n) => n.level === 'error'), []);
    assert.equal(layer.facts.version, version === 'TLSv1.2' ? '1.2' : '1.3');
    assert.equal(layer.facts.cipherSuite, negotiated);
    assert.equal(layer.facts.sni, 'localhost');
    assert.deepEqual(c, fromClient);
    assert.deepEqual(s, fromServer);
  });
}

test('without the key log the session is reported as not decryptable and nothing is passed up', async () => {
  const { chunks } = await session({ version: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256' });
  const { c, s, notes } = decrypt(chunks, '');
  assert.equal(c.length + s.length, 0);
  assert.ok(notes.some((n) => n.code === 'TLS_NO_KEY'));
});

test('a key log for another session fails authentication and says so', async () => {
  const a = await session({ version: 'TLSv1.2', cipher: 'ECDHE-RSA-AES128-GCM-SHA256' });
  const b = await session({ version: 'TLSv1.2', cipher: 'ECDHE-RSA-AES128-GCM-SHA256' });
  // b's secret under a's client random: same shape, wrong key.
  const random = /CLIENT_RANDOM (\w+)/.exec(a.keylog)![1]!;
  const wrong = b.keylog.replace(/CLIENT_RANDOM \w+/, `CLIENT_RANDOM ${random}`);
  const { c, notes } = decrypt(a.chunks, wrong);
  assert.equal(c.length, 0);
  assert.ok(notes.some((n) => n.code === 'TLS_DECRYPT_FAILED'));
});

test('RFC 8446 4.6.3 KeyUpdate: after `openssl s_client` updates its keys (and asks the server to), both directions still decrypt', async () => {
  let keylog = '';
  const server = createTlsServer({ key: cert.key, cert: cert.cert, minVersion: 'TLSv1.3' }, (s) => s.on('data', (d) => s.write(d)));
  server.on('keylog', (line) => (keylog += line.toString()));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const relay = await recordingRelay((server.address() as { port: number }).port);
  const client = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${relay.port}`, '-tls1_3', '-CAfile', cert.certPath], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  client.stdout!.on('data', (d) => (out += d));
  client.stderr!.on('data', (d) => (out += d)); // s_client reports KEYUPDATE on stderr
  try {
    await until(() => out.includes('Verify return code'), 10_000, 's_client handshake');
    client.stdin!.write('hello\n');
    await until(() => out.includes('hello'), 10_000, 'echo of hello');
    client.stdin!.write('K\n'); // s_client command: KeyUpdate, update_requested
    await until(() => out.includes('KEYUPDATE'), 10_000, 's_client KEYUPDATE');
    client.stdin!.write('world\n');
    await until(() => (out.match(/world/g) ?? []).length >= 1, 10_000, 'echo of world');
  } finally {
    client.kill('SIGKILL');
    await relay.close();
    await new Promise<void>((r) => server.close(() => r()));
  }
  const { c, s, notes } = decrypt(relay.chunks, keylog);
  assert.deepEqual(notes.filter((n) => n.level === 'error'), []);
  assert.equal(c.toString(), 'hello\nworld\n');
  assert.equal(s.toString(), 'hello\nworld\n');
});
