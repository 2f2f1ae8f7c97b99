// Load balancers probe ports with a bare TCP connect and close. Such probes carry no input at all, so they are
// not "bad input" and must not fill the log; a probe that does send garbage still gets its log line.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { once } from 'node:events';
import { createTcpListener, createTlsListener, type Listener } from '../../src/transport/index.js';
import { makeTestCerts, type TestCerts } from './certs.js';
import { LogCapture, portOf, waitFor } from './util.js';

let certs: TestCerts;
before(() => {
  certs = makeTestCerts();
});
after(() => certs.cleanup());

async function probe(port: number, bytes?: string): Promise<void> {
  const s = connect({ port, host: '127.0.0.1' });
  s.on('error', () => undefined);
  await once(s, 'connect');
  if (bytes) s.write(bytes);
  s.end();
  await once(s, 'close');
}

for (const kind of ['tcp --proxy-protocol', 'tls'] as const) {
  test(`${kind}: a bare connect/close probe is not logged; a probe with garbage is`, async (t) => {
    const log = new LogCapture();
    const l: Listener = kind === 'tls'
      ? createTlsListener({ host: '127.0.0.1', port: 0, certFile: certs.certFile, keyFile: certs.keyFile, log })
      : createTcpListener({ host: '127.0.0.1', port: 0, proxyProtocol: true, log });
    await l.listen(() => undefined);
    t.after(() => l.close());
    const port = portOf(l.address());
    await probe(port);
    await probe(port, 'GET / HTTP/1.0\r\n\r\n');
    await waitFor(() => log.lines.length === 1, 'one log line');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(log.lines.length, 1, log.lines.map((l) => l.msg).join('\n'));
  });
}
