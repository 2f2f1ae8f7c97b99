// TCP and unix socket listeners with an echo consumer: bytes pass unchanged, LinkInfo says who connected,
// a stale unix socket file is replaced, and PROXY protocol puts the real client address into LinkInfo.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { createTcpListener, createUnixListener, type Listener } from '../../src/transport/index.js';
import { echoLinks, LogCapture, portOf, waitFor } from './util.js';

async function roundTrip(socket: Socket, bytes: Buffer, expect = bytes.length): Promise<Buffer> {
  const chunks: Buffer[] = [];
  socket.on('data', (d: Buffer) => chunks.push(d));
  socket.write(bytes);
  await waitFor(() => Buffer.concat(chunks).length >= expect, 'echo');
  return Buffer.concat(chunks);
}

function dial(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1' }, () => resolve(s));
    s.on('error', reject);
  });
}

async function started(t: { after(fn: () => unknown): void }, l: Listener, onLink: Parameters<Listener['listen']>[0]): Promise<Listener> {
  await l.listen(onLink);
  t.after(() => l.close());
  return l;
}

test('tcp: bytes pass both ways unchanged; LinkInfo names transport, listener and both ends', async (t) => {
  const echo = echoLinks();
  const l = await started(t, createTcpListener({ host: '127.0.0.1', port: 0 }), echo.onLink);
  const port = portOf(l.address());
  assert.equal(l.name, `tcp:127.0.0.1:${port}`);
  const s = await dial(port);
  t.after(() => s.destroy());
  const payload = Buffer.from([0x10, 0x0c, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x05, 0x00, 0x00]);
  assert.deepEqual(await roundTrip(s, payload), payload);
  const info = echo.links[0]!.info;
  assert.deepEqual(info, {
    transport: 'tcp', listener: l.name, remoteAddress: '127.0.0.1', remotePort: s.localPort,
    localAddress: '127.0.0.1', localPort: port,
  });
});

test('tcp: close() drops open connections and stops accepting', async () => {
  const echo = echoLinks();
  const l = createTcpListener({ host: '127.0.0.1', port: 0 });
  await l.listen(echo.onLink);
  const port = portOf(l.address());
  const s = await dial(port);
  await waitFor(() => echo.links.length === 1, 'link');
  const closed = once(s, 'close');
  await l.close();
  await closed;
  await assert.rejects(dial(port));
});

test('unix: echo over a socket path; remoteAddress "unix"; a stale socket file is replaced; file removed on close', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'glassmq-unix-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'mqtt.sock');
  // A stale socket file: a server that listened there and died without unlinking.
  // A stale socket file: a process bound it and exited without unlinking (as a crashed broker would).
  execFileSync('/usr/bin/python3', ['-c', 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])', path]);
  assert.ok(existsSync(path));

  const echo = echoLinks();
  const l = createUnixListener({ path });
  await l.listen(echo.onLink);
  assert.equal(l.name, `unix:${path}`);
  const s = connect({ path });
  t.after(() => s.destroy());
  await once(s, 'connect');
  assert.deepEqual(await roundTrip(s, Buffer.from('c000', 'hex')), Buffer.from('c000', 'hex'));
  assert.equal(echo.links[0]!.info.transport, 'unix');
  assert.equal(echo.links[0]!.info.remoteAddress, 'unix');
  assert.equal(echo.links[0]!.info.localAddress, path);
  await l.close();
  assert.equal(existsSync(path), false);
});

test('unix: a live socket or a regular file at the path is not removed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'glassmq-unix-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'not-a-socket');
  writeFileSync(file, 'keep me');
  await assert.rejects(createUnixListener({ path: file }).listen(() => undefined), /not a socket/);
  assert.ok(existsSync(file));
  const live = join(dir, 'live.sock');
  const first = createUnixListener({ path: live });
  await first.listen(() => undefined);
  t.after(() => first.close());
  await assert.rejects(createUnixListener({ path: live }).listen(() => undefined), /in use/);
});

test('tcp --proxy-protocol: v1 header sets the real client address; bytes in the same segment reach the broker', async (t) => {
  const echo = echoLinks();
  const log = new LogCapture();
  const l = await started(t, createTcpListener({ host: '127.0.0.1', port: 0, proxyProtocol: true, log }), echo.onLink);
  const s = await dial(portOf(l.address()));
  t.after(() => s.destroy());
  const header = Buffer.from('PROXY TCP4 203.0.113.9 10.1.1.1 40000 1883\r\n');
  const mqtt = Buffer.from('c000', 'hex');
  assert.deepEqual(await roundTrip(s, Buffer.concat([header, mqtt]), mqtt.length), mqtt);
  const info = echo.links[0]!.info;
  assert.equal(info.remoteAddress, '203.0.113.9');
  assert.equal(info.remotePort, 40000);
  assert.equal(info.localAddress, '10.1.1.1');
  assert.deepEqual(info.proxiedBy, { via: 'proxy-v1', address: '127.0.0.1', port: s.localPort });
  assert.deepEqual(log.lines, []);
});

test('tcp --proxy-protocol: garbage first bytes close that connection with a log line; a canary keeps working', async (t) => {
  const echo = echoLinks();
  const log = new LogCapture();
  const l = await started(t, createTcpListener({ host: '127.0.0.1', port: 0, proxyProtocol: true, log }), echo.onLink);
  const port = portOf(l.address());
  const canary = await dial(port);
  t.after(() => canary.destroy());
  canary.write('PROXY TCP4 198.51.100.2 10.1.1.1 1234 1883\r\n');
  await waitFor(() => echo.links.length === 1, 'canary link');

  const bad = await dial(port);
  bad.on('error', () => undefined);
  const closed = once(bad, 'close');
  bad.write(Buffer.from('100c00044d5154540402000500', 'hex')); // a CONNECT without the PROXY header
  await closed;
  assert.equal(echo.links.length, 1);
  assert.deepEqual(log.codes(), ['PROXY_HEADER_INVALID']);
  assert.match(log.lines[0]!.msg, /tcp connection from 127\.0\.0\.1:\d+ on tcp:127\.0\.0\.1:\d+ failed: PROXY_HEADER_INVALID: expected a PROXY v1 or v2 header, got bytes 10 0c/);
  assert.deepEqual(await roundTrip(canary, Buffer.from('c000', 'hex')), Buffer.from('c000', 'hex'));
});

test('tcp --proxy-protocol: a connection that never sends the header is closed after the timeout', async (t) => {
  const log = new LogCapture();
  const l = await started(t, createTcpListener({ host: '127.0.0.1', port: 0, proxyProtocol: true, proxyHeaderTimeoutMs: 200, log }), () => undefined);
  const s = await dial(portOf(l.address()));
  s.on('error', () => undefined);
  s.write('PROXY TCP4 1.2.3.4');
  await once(s, 'close');
  assert.deepEqual(log.codes(), ['PROXY_HEADER_TIMEOUT']);
});
