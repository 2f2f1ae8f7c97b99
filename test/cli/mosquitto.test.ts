// glassmq pub / sub / rr against Debian's mosquitto broker: the options matrix, TLS, WebSockets, errors and exit codes.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type AddressInfo } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { freePort } from '../helpers/net.js';
import { CONCURRENCY, defineClientMatrix, glassmq, startGlassmqSub, uniqueTopic } from './support/matrix.js';
import { PASSWORD, PASSWORD_USER, makeNamedCert, messageLines, startMosquitto, startMosquittoSub, type Mosquitto } from './support/peers.js';

let broker: Mosquitto;
before(async () => {
  broker = await startMosquitto();
});
after(async () => {
  await broker?.stop();
});

defineClientMatrix({ name: 'mosquitto', port: () => broker.port });

describe('glassmq clients with mosquitto-only peers (TLS, WebSockets, refusing listener)', { concurrency: CONCURRENCY }, () => {
  test('mosquitto: pub -d shows the CONNECT bytes 10 0c 00 04 4d 51 54 54 04 02 00 05 00 00 and every packet after it', async () => {
    const r = await glassmq(['pub', '-h', '127.0.0.1', '-p', String(broker.port), '-d', '-k', '5', '-i', '', '-t', uniqueTopic('d'), '-m', 'x', '-q', '1']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^sent +CONNECT MQTT 3\.1\.1 client="" clean keepalive=5s +\[10 0c 00 04 4d 51 54 54 04 02 00 05 00 00\]$/m);
    const summaries = r.stderr.split('\n').filter((l) => /^(sent|received)/.test(l)).map((l) => l.split(/\s+/).slice(0, 2).join(' '));
    assert.deepEqual(summaries, ['sent CONNECT', 'received CONNACK', 'sent PUBLISH', 'received PUBACK', 'sent DISCONNECT']);
    assert.equal(r.stdout, '', '-d writes to stderr, so stdout stays clean for pipes');
  });

  test('mosquitto: TLS with --cafile (mqtts:// URL) or --capath (-p with TLS options), client certificate, --tls-version and --tls-keylog', async () => {
    const c = broker.certs;
    const topic = uniqueTopic('tls');
    const observer = await startMosquittoSub(['-h', '127.0.0.1', '-p', String(broker.port), '-t', topic, '-C', '2', '-F', 'MSG %p']);
    const dir = mkdtempSync(join(tmpdir(), 'glassmq-keylog-'));
    try {
      const keylog = join(dir, 'keys.log');
      const viaUrl = await glassmq(['pub', '-L', `mqtts://localhost:${broker.tlsPort}/${topic}`, '--cafile', c.ca, '-m', 'via url', '--tls-keylog', keylog]);
      assert.equal(viaUrl.code, 0, viaUrl.stderr);
      const viaPort = await glassmq(['pub', '-h', '127.0.0.1', '-p', String(broker.tlsPort), '--capath', c.dir, '--cert', c.clientCert, '--key', c.clientKey,
        '--tls-version', 'tlsv1.2', '-t', topic, '-m', 'via port']);
      assert.equal(viaPort.code, 0, viaPort.stderr);
      const r = await observer.done;
      assert.deepEqual(messageLines(r.stdout), ['via url', 'via port']);
      assert.match(readFileSync(keylog, 'utf8'), /^(CLIENT_RANDOM|CLIENT_HANDSHAKE_TRAFFIC_SECRET) /m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('mosquitto: --unix connects through a unix domain socket; -L user:password@ authenticates; -V mqttv31 speaks MQTT 3.1', async () => {
    const topic = uniqueTopic('unix');
    const observer = await startMosquittoSub(['-h', '127.0.0.1', '-p', String(broker.port), '-t', topic, '-C', '3', '-F', 'MSG %p']);
    const viaSocket = await glassmq(['pub', '--unix', broker.socketPath, '-t', topic, '-m', 'via socket']);
    assert.equal(viaSocket.code, 0, viaSocket.stderr);
    const user = `${encodeURIComponent(PASSWORD_USER)}:${encodeURIComponent(PASSWORD)}`;
    const withAuth = await glassmq(['pub', '-L', `mqtt://${user}@127.0.0.1:${broker.authPort}/${topic}`, '-m', 'authenticated']);
    assert.equal(withAuth.code, 0, withAuth.stderr);
    const v31 = await glassmq(['pub', '-h', '127.0.0.1', '-p', String(broker.port), '-V', 'mqttv31', '-t', topic, '-m', 'three one', '-d']);
    assert.equal(v31.code, 0, v31.stderr);
    assert.match(v31.stderr, /^sent +CONNECT MQTT 3\.1 /m);
    assert.deepEqual(messageLines((await observer.done).stdout), ['via socket', 'authenticated', 'three one']);
    const wrong = await glassmq(['pub', '-h', '127.0.0.1', '-p', String(broker.authPort), '-u', PASSWORD_USER, '-P', 'nope', '-t', topic, '-m', 'x']);
    assert.equal(wrong.code, 5, 'a refused CONNECT exits with its return code');
  });

  test('mosquitto: rr -W exits 27 when no response comes', async () => {
    const r = await glassmq(['rr', '-h', '127.0.0.1', '-p', String(broker.port), '-t', uniqueTopic('rr-none'), '-e', uniqueTopic('rr-none-resp'), '-m', 'hello?', '-W', '1']);
    assert.deepEqual([r.code, r.stdout, r.stderr], [27, '', 'Timed out\n']);
  });

  test('mosquitto: --insecure accepts a certificate for another host name (chain still checked); --tls-alpn offers the protocol', async () => {
    // A TLS front end with a certificate for "elsewhere.example" only, passing the bytes on to mosquitto's plain port.
    const named = makeNamedCert(broker.certs, 'elsewhere.example');
    const alpn: (string | false | null)[] = [];
    const front = createTlsServer({ cert: readFileSync(named.cert), key: readFileSync(named.key), ALPNProtocols: ['mqtt'] }, (tls) => {
      alpn.push(tls.alpnProtocol);
      const plain = connect(broker.port, '127.0.0.1');
      tls.pipe(plain).pipe(tls);
      tls.on('error', () => plain.destroy());
      plain.on('error', () => tls.destroy());
    });
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    try {
      const port = String((front.address() as AddressInfo).port);
      const topic = uniqueTopic('insecure');
      const strict = await glassmq(['pub', '-h', '127.0.0.1', '-p', port, '--cafile', broker.certs.ca, '-t', topic, '-m', 'x']);
      assert.equal(strict.code, 1);
      assert.match(strict.stderr, /^Error: .*(altnames|Hostname|host name)/i);
      const insecure = await glassmq(['pub', '-h', '127.0.0.1', '-p', port, '--cafile', broker.certs.ca, '--insecure', '--tls-alpn', 'mqtt', '-t', topic, '-m', 'x']);
      assert.equal(insecure.code, 0, insecure.stderr);
      assert.equal(alpn.at(-1), 'mqtt');
    } finally {
      front.close();
    }
  });

  test('mosquitto: TLS to a server whose CA is not trusted fails with one line and status 1', async () => {
    const r = await glassmq(['pub', '-h', '127.0.0.1', '-p', String(broker.tlsPort), '--cafile', broker.certs.clientCert, '-t', 'x', '-m', 'y']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^Error: .*(certificate|verify)/i);
  });

  test('mosquitto: ws:// and wss:// URLs: glassmq sub over WebSockets receives what glassmq pub sends over TLS WebSockets [MQTT-6.0.0-3]', async () => {
    const topic = uniqueTopic('ws');
    const sub = await startGlassmqSub(['-L', `ws://127.0.0.1:${broker.wsPort}/mqtt`, '-t', topic, '-C', '1', '-v', '-V', '5']);
    const dir = mkdtempSync(join(tmpdir(), 'glassmq-keylog-'));
    try {
      const keylog = join(dir, 'keys.log');
      const p = await glassmq(['pub', '-L', `wss://localhost:${broker.wssPort}/mqtt`, '--cafile', broker.certs.ca, '--tls-keylog', keylog,
        '-t', topic, '-m', 'over websockets', '-q', '1']);
      assert.equal(p.code, 0, p.stderr);
      assert.match(readFileSync(keylog, 'utf8'), /^(CLIENT_RANDOM|CLIENT_HANDSHAKE_TRAFFIC_SECRET) /m, 'keys logged for the wss handshake');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const r = await sub.done;
    assert.equal(r.stdout, `${topic} over websockets\n`);
  });

  test('mosquitto: a refused connection prints the reason and exits with the CONNACK code (5 for 3.1.1, 0x87 for 5.0)', async () => {
    const v3 = await glassmq(['pub', '-h', '127.0.0.1', '-p', String(broker.denyPort), '-t', 'x', '-m', 'y']);
    assert.equal(v3.code, 5);
    assert.equal(v3.stderr, 'Connection error: Connection Refused: not authorised.\n');
    const v5 = await glassmq(['sub', '-h', '127.0.0.1', '-p', String(broker.denyPort), '-t', 'x', '-V', '5']);
    assert.equal(v5.code, 0x87);
    assert.equal(v5.stderr, 'Connection error: Not authorized\n');
    const quiet = await glassmq(['pub', '-h', '127.0.0.1', '-p', String(broker.denyPort), '-t', 'x', '-m', 'y', '--quiet']);
    assert.deepEqual([quiet.code, quiet.stderr], [5, ''], '--quiet hides runtime errors, not the status');
  });

  test('errors: unreachable broker, bad option, missing file each print one clear line and exit 1', async () => {
    const closed = String(await freePort());
    const unreachable = await glassmq(['pub', '-h', '127.0.0.1', '-p', closed, '-t', 'x', '-m', 'y']);
    assert.equal(unreachable.code, 1);
    assert.equal(unreachable.stderr, `Error: Connection refused (mqtt://127.0.0.1:${closed}).\n`);
    const badOption = await glassmq(['sub', '--no-such-option']);
    assert.equal(badOption.code, 1);
    assert.match(badOption.stderr, /^Error: Unknown option '--no-such-option'\.\n/);
    const missing = await glassmq(['pub', '-p', closed, '-t', 'x', '-f', '/nonexistent/payload.bin']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, 'Error: Unable to open file "/nonexistent/payload.bin".\n', 'checked before connecting');
    const wildcard = await glassmq(['pub', '-p', closed, '-t', 'a/#', '-m', 'x']);
    assert.equal(wildcard.code, 1, 'v3.1.1 [MQTT-3.3.2-2] no wildcard in a topic name');
    assert.match(wildcard.stderr, /^Error: Invalid publish topic 'a\/#'/);
  });

  test('--help and --version exit 0 and print to stdout', async () => {
    const help = await glassmq(['sub', '--help']);
    assert.equal(help.code, 0);
    for (const opt of ['-t', '-T', '-U', '-C', '-W', '-F', '--retain-handling', '--cafile', '--tls-keylog', '-D']) assert.ok(help.stdout.includes(opt), opt);
    const version = await glassmq(['pub', '--version']);
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
  });
});
