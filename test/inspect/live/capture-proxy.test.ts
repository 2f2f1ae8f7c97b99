// glassmq broker --capture on a TLS listener behind the PROXY protocol: the capture holds the session from its
// ClientHello (the PROXY header, not being TLS, left out) under the real client's address, and tshark decrypts it
// with the file's own Decryption Secrets Block.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import mqtt from 'mqtt';
import { defaultConfig, type Config } from '../../../src/config/config.js';
import type { TraceEvent } from '../../../src/inspect/live/index.js';
import { startServer } from '../../../src/server/start.js';
import { freePort } from '../../helpers/net.js';
import { makeTestCerts } from '../../transport/certs.js';
import { run, tsharkMqtt } from '../helpers/peers.js';
import { endClient, waitFor } from './support.js';

/** The client a PROXY v1 header announces (TEST-NET-1), as the capture must show it. */
const REAL_CLIENT = { address: '192.0.2.10', port: 51000 };

test('capture: a TLS session behind --proxy-protocol is in the file from its ClientHello, under the real client, and decrypts', async (t) => {
  const certs = makeTestCerts();
  const dir = mkdtempSync(join(tmpdir(), 'glassmq-capture-proxy-'));
  t.after(() => {
    certs.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });
  const file = join(dir, 'proxied.pcapng');
  // The user's own key-log file still gets every line while the capture takes them too.
  const keylogFile = join(dir, 'keys.log');
  const port = await freePort();
  const config: Config = {
    ...defaultConfig(),
    tcp: [],
    defaultListeners: false,
    memory: true,
    http: null,
    sysInterval: 0,
    security: { allowAnonymous: true },
    capture: file,
    listeners: [{
      protocol: 'mqtt', host: '127.0.0.1', port, maxConnections: -1, source: 'test', proxyProtocol: true,
      tls: { certFile: certs.certFile, keyFile: certs.keyFile, requireCertificate: false, keylog: keylogFile },
    }],
  };
  const running = await startServer(config, pino({ level: 'silent' }));
  t.after(() => running.close());
  const events: TraceEvent[] = [];
  running.trace!.watch({}, (ev) => events.push(ev));

  // What a load balancer does: the PROXY header, then the client's TLS bytes.
  const raw = netConnect(port, '127.0.0.1');
  await once(raw, 'connect');
  raw.write(`PROXY TCP4 ${REAL_CLIENT.address} 127.0.0.1 ${REAL_CLIENT.port} ${port}\r\n`);
  const secure = tlsConnect({ socket: raw, servername: 'localhost', ca: readFileSync(certs.caFile), ALPNProtocols: ['mqtt'] });
  const client = new mqtt.MqttClient(() => secure, { clientId: 'behind-proxy', protocolVersion: 5, reconnectPeriod: 0 });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  await client.publishAsync('proxied/tls', 'through the proxy', { qos: 1 });
  await endClient(client);
  await waitFor(() => events.some((e) => e.kind === 'close'), 'the connection closed');
  await running.close();

  const traced = events.filter((e) => e.kind === 'mqtt').map((e) => e.mqtt!.type);
  assert.ok(traced.includes('PUBLISH'));
  // No tls.keylog_file: the keys come from the file; "decode as" only for the test's random port.
  const packets = await tsharkMqtt(file, ['-d', `tcp.port==${port},tls`, '-d', `tls.port==${port},mqtt`]);
  const types = packets.map((p) => Number(p.mqtt['mqtt.hdrflags_tree']?.['mqtt.msgtype']));
  assert.equal(types.length, traced.length, `tshark decrypted ${types.length} of the ${traced.length} MQTT packets (${traced.join(' ')})`);
  const publish = packets.find((p) => p.mqtt['mqtt.topic'] === 'proxied/tls');
  assert.ok(publish, 'the PUBLISH inside TLS, decrypted');

  const syn = await run('tshark', ['-r', file, '-Y', 'tcp.flags.syn==1 && tcp.flags.ack==0', '-T', 'fields', '-e', 'ip.src', '-e', 'tcp.srcport', '-e', 'tcp.dstport']);
  assert.equal(syn.code, 0, syn.stderr);
  assert.equal(syn.stdout.trim(), `${REAL_CLIENT.address}\t${REAL_CLIENT.port}\t${port}`);
  const hello = await run('tshark', ['-r', file, '-d', `tcp.port==${port},tls`, '-Y', 'tls.handshake.type==1', '-T', 'fields', '-e', 'tcp.seq', '-e', 'tls.handshake.random']);
  const [seq, random] = hello.stdout.trim().split('\t');
  assert.equal(seq, '1', 'the ClientHello is the first byte of the client\'s stream (no PROXY header)');
  const userLines = readFileSync(keylogFile, 'latin1').trim().split('\n');
  assert.ok(userLines.length > 0 && userLines.every((l) => l.split(' ')[1] === random), `--tls-keylog lines for this ClientHello: ${userLines.join(' | ')}`);
});
