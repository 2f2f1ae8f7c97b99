// Real captures: dumpcap on the loopback around mosquitto and real clients (mosquitto_pub/sub, MQTT.js) over
// TCP, WebSocket, TLS and WSS; `glassmq dissect --json` compared packet by packet with tshark where tshark can
// read the traffic, and with what the clients sent where it cannot (MQTT inside WebSocket).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { connectAsync, type MqttClient } from 'mqtt';
import { freePort, runGlassmq } from '../helpers/net.js';
import { makeCert, run, startDumpcap, startMosquitto, tlsTerminator, tsharkMqtt, until } from './helpers/peers.js';
import { compareWithTshark } from './helpers/compare.js';

const dir = mkdtempSync(join(tmpdir(), 'glassmq-interop-'));
const keylogPath = join(dir, 'keys.log');
let plainPort = 0;
let wsPort = 0;
let cert: ReturnType<typeof makeCert>;
let broker: Awaited<ReturnType<typeof startMosquitto>> | undefined;
const closers: (() => Promise<void>)[] = [];

before(async () => {
  cert = makeCert(dir);
  writeFileSync(keylogPath, '');
  plainPort = await freePort();
  wsPort = await freePort();
  broker = await startMosquitto(dir, [`listener ${plainPort} 127.0.0.1`, `listener ${wsPort} 127.0.0.1`, 'protocol websockets'], plainPort);
});

after(async () => {
  for (const c of closers.splice(0)) await c().catch(() => {});
  await broker?.stop();
  if (!process.env.GLASSMQ_KEEP_CAPTURES) rmSync(dir, { recursive: true, force: true });
});

/** Captures on `ports` while `traffic` runs; returns the capture file. dumpcap is stopped even on failure. */
async function captured(name: string, ports: number[], traffic: () => Promise<void>): Promise<string> {
  const file = join(dir, `${name}.pcapng`);
  const cap = await startDumpcap(file, ports.map((p) => `tcp port ${p}`).join(' or '), ports[0]!);
  try {
    await traffic();
  } finally {
    await cap.stop();
  }
  return file;
}

async function dissectJson(file: string, args: string[] = []): Promise<Record<string, any>[]> {
  const r = await runGlassmq(['dissect', file, '--json', ...args], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr + r.stdout.slice(0, 2000));
  return r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

/** mosquitto_sub that resolves once subscribed (-d prints the SUBACK) and exits after `count` messages. */
async function subscriber(args: string[], count: number): Promise<{ done: Promise<string> }> {
  // stdbuf: mosquitto_sub's stdout is block-buffered into a pipe, and we need the SUBACK line as it happens.
  const p = spawn('stdbuf', ['-oL', 'mosquitto_sub', '-h', '127.0.0.1', '-d', '-C', String(count), '-W', '20', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  closers.push(async () => void p.kill('SIGKILL'));
  let out = '';
  p.stdout!.on('data', (d) => (out += d));
  let exited = false;
  const done = new Promise<string>((r) => p.on('exit', () => ((exited = true), r(out))));
  await until(() => /SUBACK/.test(out) || exited, 15_000, 'mosquitto_sub to subscribe');
  return { done };
}

async function pub(args: string[]): Promise<void> {
  const r = await run('mosquitto_pub', ['-h', '127.0.0.1', ...args]);
  assert.equal(r.code, 0, r.stderr);
}

test('mosquitto clients, MQTT 3.1 / 3.1.1 / 5.0 with a user property: glassmq --json matches tshark packet by packet; the human view names the roles', async () => {
  const file = await captured('versions', [plainPort], async () => {
    const sub = await subscriber(['-p', String(plainPort), '-t', 'v/#', '-i', 'sub-v', '-V', 'mqttv5'], 3);
    await pub(['-p', String(plainPort), '-t', 'v/31', '-m', 'three-one', '-i', 'pub-31', '-V', 'mqttv31']);
    await pub(['-p', String(plainPort), '-t', 'v/311', '-m', 'three-one-one', '-i', 'pub-311', '-V', 'mqttv311', '-q', '1']);
    await pub(['-p', String(plainPort), '-t', 'v/5', '-m', 'five', '-i', 'pub-5', '-V', 'mqttv5', '-q', '2', '-D', 'publish', 'user-property', 'a', 'b']);
    await sub.done;
  });
  const ours = await dissectJson(file);
  const theirs = await tsharkMqtt(file, ['-d', `tcp.port==${plainPort},mqtt`]);
  compareWithTshark(ours, theirs);
  const connects = ours.filter((o) => o.type === 'CONNECT');
  assert.deepEqual(connects.map((c) => [c.clientId, c.protocolVersion]).sort(), [['pub-31', 3], ['pub-311', 4], ['pub-5', 5], ['sub-v', 5]]);
  const v5pub = ours.find((o) => o.type === 'PUBLISH' && o.clientId === undefined && o.topic === 'v/5' && o.fromClient);
  assert.deepEqual(v5pub?.properties, { userProperties: [['a', 'b']] });
  assert.equal(v5pub?.qos, 2);
  assert.ok(ours.some((o) => o.type === 'PUBREC') && ours.some((o) => o.type === 'PUBREL') && ours.some((o) => o.type === 'PUBCOMP'));
  const human = await runGlassmq(['dissect', file]);
  assert.match(human.stdout, /"sub-v" subscriber/);
  assert.match(human.stdout, /"pub-31" publisher[\s\S]*MQTT 3\.1,/);
  assert.match(human.stdout, /-> SUBSCRIBE v\/# q0 <- SUBACK 0/);
  assert.match(human.stdout, /<- PUBLISH v\/31 "three-one"/);
});

test('a 200 kB payload over many TCP segments: one PUBLISH of the right length, same as tshark', async () => {
  const payloadFile = join(dir, 'big.bin');
  writeFileSync(payloadFile, Buffer.alloc(200_000, 0x61));
  const file = await captured('large', [plainPort], async () => {
    const sub = await subscriber(['-p', String(plainPort), '-t', 'big/t', '-i', 'big-sub', '-N'], 1);
    await pub(['-p', String(plainPort), '-t', 'big/t', '-f', payloadFile, '-q', '1', '-i', 'big-pub']);
    await sub.done;
  });
  const ours = await dissectJson(file);
  compareWithTshark(ours, await tsharkMqtt(file, ['-d', `tcp.port==${plainPort},mqtt`]));
  const bigs = ours.filter((o) => o.type === 'PUBLISH');
  assert.equal(bigs.length, 2); // in to the broker, out to the subscriber
  for (const b of bigs) assert.equal(b.payloadLength, 200_000);
});

test('MQTT.js publishing 300 messages in a burst: several packets per TCP segment, every one found, same as tshark', async () => {
  const file = await captured('burst', [plainPort], async () => {
    const c: MqttClient = await connectAsync(`mqtt://127.0.0.1:${plainPort}`, { clientId: 'burst', protocolVersion: 4 });
    closers.push(() => c.endAsync());
    // Cork the socket so the burst leaves in few segments, as it does from a busy client.
    const stream = (c as unknown as { stream: import('node:net').Socket }).stream;
    stream.cork();
    for (let i = 0; i < 300; i++) c.publish(`burst/${i}`, `m${i}`, { qos: i % 2 as 0 | 1 });
    process.nextTick(() => stream.uncork());
    await until(() => c.getLastMessageId() >= 150 && Object.keys((c as any).outgoing).length === 0, 15_000, 'PUBACKs');
    await c.endAsync();
  });
  const ours = await dissectJson(file);
  compareWithTshark(ours, await tsharkMqtt(file, ['-d', `tcp.port==${plainPort},mqtt`]));
  const pubs = ours.filter((o) => o.type === 'PUBLISH');
  assert.equal(pubs.length, 300);
  assert.deepEqual(pubs.map((p) => p.topic), Array.from({ length: 300 }, (_, i) => `burst/${i}`));
  const perFrame = new Map<number, number>();
  for (const p of pubs) perFrame.set(p.frame, (perFrame.get(p.frame) ?? 0) + 1);
  assert.ok(Math.max(...perFrame.values()) > 10, 'many packets in one segment');
});

test('MQTT over WebSocket (MQTT.js -> mosquitto): tshark 4.0 shows no MQTT inside WebSocket; glassmq gives every packet with transport "ws"', async () => {
  const file = await captured('ws', [wsPort], async () => {
    const c = await connectAsync(`ws://127.0.0.1:${wsPort}`, { clientId: 'ws-client', protocolVersion: 5 });
    closers.push(() => c.endAsync());
    await c.subscribeAsync('ws/t', { qos: 1 });
    const got = new Promise<void>((r) => c.once('message', () => r()));
    await c.publishAsync('ws/t', 'over websocket', { qos: 1 });
    await got;
    await c.endAsync();
  });
  const ours = await dissectJson(file);
  // tshark 4.0 shows the WebSocket frames but no MQTT inside them; should a later tshark read them, it must agree.
  const theirs = await tsharkMqtt(file);
  if (theirs.length > 0) compareWithTshark(ours, theirs);
  // The correct reading, from what MQTT.js and mosquitto exchanged:
  assert.deepEqual(ours.map((o) => [o.fromClient ? '->' : '<-', o.type]), [
    ['->', 'CONNECT'], ['<-', 'CONNACK'], ['->', 'SUBSCRIBE'], ['<-', 'SUBACK'], ['->', 'PUBLISH'],
    ...(ours[5]?.type === 'PUBACK' ? [['<-', 'PUBACK'], ['<-', 'PUBLISH']] : [['<-', 'PUBLISH'], ['<-', 'PUBACK']]),
    ['->', 'PUBACK'], ['->', 'DISCONNECT'],
  ]);
  for (const o of ours) assert.equal(o.transport, 'ws');
  assert.equal(ours[0]!.clientId, 'ws-client');
  assert.equal(ours[0]!.protocolVersion, 5);
  assert.deepEqual(ours[2]!.subscriptions.map((s: any) => [s.topicFilter, s.qos]), [['ws/t', 1]]);
  const down = ours.find((o) => o.type === 'PUBLISH' && !o.fromClient)!;
  assert.equal(Buffer.from(down.payload, 'base64').toString(), 'over websocket');
});

for (const version of ['tlsv1.2', 'tlsv1.3'] as const) {
  test(`TLS (${version}) from mosquitto_pub/sub with a key log: glassmq --keylog decrypts every packet, same as tshark with the same key log`, async () => {
    // mosquitto_pub's --tls-version does not cap the version, so the server side does.
    const term = await tlsTerminator(cert, plainPort, keylogPath, { maxVersion: version === 'tlsv1.2' ? 'TLSv1.2' : 'TLSv1.3' });
    closers.push(() => term.close());
    const tlsArgs = ['-p', String(term.port), '--cafile', cert.certPath, '--tls-version', version];
    const file = await captured(`tls-${version}`, [term.port], async () => {
      const sub = await subscriber([...tlsArgs, '-t', 'tls/#', '-i', `tls-sub-${version}`], 1);
      await pub([...tlsArgs, '-t', 'tls/x', '-m', 'encrypted on the wire', '-i', `tls-pub-${version}`, '-q', '1']);
      await sub.done;
    });
    await term.close();
    const ours = await dissectJson(file, ['--keylog', keylogPath]);
    const theirs = await tsharkMqtt(file, ['-o', `tls.keylog_file:${keylogPath}`, '-d', `tcp.port==${term.port},tls`, '-d', `tls.port==${term.port},mqtt`]);
    compareWithTshark(ours, theirs);
    assert.ok(ours.length >= 10);
    for (const o of ours) assert.equal(o.transport, 'tls');
    const p = ours.find((o) => o.type === 'PUBLISH' && o.fromClient)!;
    assert.equal(Buffer.from(p.payload, 'base64').toString(), 'encrypted on the wire');
    // Without the key log nothing can be read, and the output says why.
    const human = await runGlassmq(['dissect', file]);
    assert.match(human.stdout, /TLS_NO_KEY/);
    assert.match(human.stdout, new RegExp(`TLS ${version === 'tlsv1.2' ? '1\\.2' : '1\\.3'} TLS_`));
  });
}

test('WSS (MQTT.js over TLS + WebSocket) with a key log: glassmq gives every packet with transport "wss"', async () => {
  const term = await tlsTerminator(cert, wsPort, keylogPath);
  closers.push(() => term.close());
  const file = await captured('wss', [term.port], async () => {
    const c = await connectAsync(`wss://localhost:${term.port}`, { clientId: 'wss-client', ca: cert.cert, protocolVersion: 4 });
    closers.push(() => c.endAsync());
    await c.publishAsync('wss/t', 'secure websocket', { qos: 1 });
    await c.endAsync();
  });
  await term.close();
  const ours = await dissectJson(file, ['--keylog', keylogPath]);
  assert.deepEqual(ours.map((o) => [o.type, o.transport]), [['CONNECT', 'wss'], ['CONNACK', 'wss'], ['PUBLISH', 'wss'], ['PUBACK', 'wss'], ['DISCONNECT', 'wss']]);
  assert.equal(Buffer.from(ours[2]!.payload, 'base64').toString(), 'secure websocket');
  const tree = await runGlassmq(['dissect', file, '--keylog', keylogPath, '-V']);
  assert.match(tree.stdout, /WebSocket binary FIN=1 RSV=0 MASK=1 mask [0-9a-f]{8}/);
});
