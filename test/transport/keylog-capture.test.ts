// The TLS key log end to end: dumpcap captures a mosquitto_pub session to glassmq's TLS listener, and tshark
// decrypts it with glassmq's key log alone and shows the PUBLISH; without the key log it sees no MQTT.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { once } from 'node:events';
import mqtt from 'mqtt';
import { makeTestCerts, type TestCerts } from './certs.js';
import { startHarness } from './harness.js';
import { waitFor } from './util.js';

const run = promisify(execFile);

let certs: TestCerts;
before(() => {
  certs = makeTestCerts();
});
after(() => certs.cleanup());

async function tsharkTopics(pcap: string, port: number, keylog?: string): Promise<string[]> {
  const args = ['-r', pcap, '-d', `tcp.port==${port},tls`, '-d', `tls.port==${port},mqtt`];
  if (keylog) args.push('-o', `tls.keylog_file:${keylog}`);
  args.push('-Y', 'mqtt.msgtype == 3', '-T', 'fields', '-e', 'mqtt.topic', '-e', 'mqtt.msg');
  const { stdout } = await run('tshark', args, { timeout: 30_000 });
  return stdout.split('\n').filter(Boolean);
}

test('tls key log: a dumpcap capture of mosquitto_pub over TLS decrypts in tshark with glassmq\'s key log', { timeout: 60_000 }, async (t) => {
  const keylog = join(certs.dir, 'glassmq-keys.log');
  const h = await startHarness('tls', certs, { listener: { keylog } });
  t.after(() => h.close());
  assert.match(h.log.lines[0]!.msg, /TLS key log is ON/);
  const port = (h.listener.address() as { port: number }).port;

  const watcher = await mqtt.connectAsync(h.mqttOptions());
  t.after(() => watcher.endAsync(true));
  const got: string[] = [];
  watcher.on('message', (_t, p) => got.push(p.toString()));
  await watcher.subscribeAsync('capture/secret', { qos: 1 });

  const pcap = join(certs.dir, 'tls.pcapng');
  const dumpcap = spawn('dumpcap', ['-i', 'lo', '-f', `tcp port ${port}`, '-w', pcap], { stdio: ['ignore', 'ignore', 'pipe'] });
  t.after(() => {
    if (dumpcap.exitCode === null && dumpcap.signalCode === null) dumpcap.kill('SIGKILL');
  });
  let dumpErr = '';
  dumpcap.stderr.on('data', (d) => (dumpErr += d));
  await waitFor(() => dumpErr.includes('Capturing on'), `dumpcap to start (${dumpErr})`, 15_000);
  // dumpcap may say "Capturing on" a moment before its filter sees traffic: knock until it counts packets,
  // so the ClientHello (which carries the client random the key log is indexed by) is not missed.
  const counted = () => Number(/Packets: (\d+)\s*$/.exec(dumpErr)?.[1] ?? 0);
  for (let i = 0; i < 100 && counted() === 0; i++) {
    const knock = connect({ port, host: '127.0.0.1' });
    knock.on('error', () => undefined);
    await once(knock, 'connect');
    knock.destroy();
    await new Promise((r) => setTimeout(r, 100));
  }
  const before = counted();
  assert.ok(before > 0, 'dumpcap sees traffic');

  await run('mosquitto_pub', ['--cafile', certs.caFile, '-h', '127.0.0.1', '-p', String(port), '-i', 'captured-pub',
    '-q', '1', '-t', 'capture/secret', '-m', 'readable only with the key log'], { timeout: 15_000 });
  await waitFor(() => got.includes('readable only with the key log'), 'the PUBLISH through glassmq');
  // dumpcap hands packets over in blocks; stopping before its "Packets: N" count covers the session loses them.
  await waitFor(() => counted() >= before + 14, `dumpcap to count the session (${JSON.stringify(dumpErr)})`, 15_000);

  const exited = new Promise((r) => dumpcap.once('exit', r));
  dumpcap.kill('SIGINT');
  await exited;

  const clear = await tsharkTopics(pcap, port, keylog);
  const published = clear.filter((l) => l.startsWith('capture/secret'));
  // The watcher's own TLS session began before the capture, so only mosquitto_pub's session decrypts.
  assert.equal(published.length, 1, `mosquitto_pub's PUBLISH: ${JSON.stringify(clear)}`);
  const [topic, msg] = published[0]!.split('\t');
  assert.equal(topic, 'capture/secret');
  assert.equal(Buffer.from(msg!, 'hex').toString(), 'readable only with the key log');
  assert.deepEqual(await tsharkTopics(pcap, port), [], 'without the key log tshark sees no MQTT');
  assert.match(readFileSync(keylog, 'utf8'), /^CLIENT_HANDSHAKE_TRAFFIC_SECRET [0-9a-f]{64} /m);
});
