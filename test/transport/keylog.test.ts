// Key log plumbing: SSLKEYLOGFILE as the fallback of --tls-keylog, one shared KeyLog for tls and wss that warns
// once, and WSS handshakes logged like TLS ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { once } from 'node:events';
import { createTlsListener, createWssListener, KeyLog, keyLogFileFrom } from '../../src/transport/index.js';
import { makeTestCerts } from './certs.js';
import { LogCapture, portOf, waitFor } from './util.js';

test('--tls-keylog wins over SSLKEYLOGFILE; SSLKEYLOGFILE alone turns the key log on; empty means off', () => {
  assert.equal(keyLogFileFrom('/a', { SSLKEYLOGFILE: '/b' }), '/a');
  assert.equal(keyLogFileFrom(undefined, { SSLKEYLOGFILE: '/b' }), '/b');
  assert.equal(keyLogFileFrom(undefined, { SSLKEYLOGFILE: '' }), undefined);
  assert.equal(keyLogFileFrom(undefined, {}), undefined);
});

test('a KeyLog shared by tls and wss warns once; a wss handshake appends its secrets', async (t) => {
  const certs = makeTestCerts();
  t.after(() => certs.cleanup());
  const log = new LogCapture();
  const file = join(certs.dir, 'shared.log');
  const keylog = new KeyLog(file, log);
  t.after(() => keylog.close());
  const files = { certFile: certs.certFile, keyFile: certs.keyFile, keylog };
  const tls = createTlsListener({ host: '127.0.0.1', port: 0, log, ...files });
  const wss = createWssListener({ host: '127.0.0.1', port: 0, log, ...files });
  await tls.listen(() => undefined);
  await wss.listen(() => undefined);
  t.after(() => Promise.all([tls.close(), wss.close()]));
  assert.equal(log.lines.filter((l) => /TLS key log is ON/.test(l.msg)).length, 1);

  const ws = new WebSocket(`wss://127.0.0.1:${portOf(wss.address())}/`, 'mqtt', { ca: readFileSync(certs.caFile) });
  await once(ws, 'open');
  ws.terminate();
  await waitFor(() => {
    const text = readFileSync(file, 'utf8');
    return /^SERVER_TRAFFIC_SECRET_0 [0-9a-f]{64} [0-9a-f]+$/m.test(text);
  }, 'wss secrets in the key log');
});
