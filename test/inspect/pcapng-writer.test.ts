// The pcapng writer and TCP synthesizer (for the broker's --capture): tshark opens the files and finds every
// MQTT packet, TLS decrypted from the file's own secrets block; the inspector reads them back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PcapngWriter } from '../../src/inspect/pcapng-writer.js';
import { TcpSynthesizer, MAX_SEGMENT_PAYLOAD } from '../../src/inspect/synth-tcp.js';
import { encodePacket, type Packet } from '../../src/protocol/index.js';
import { dissectBuffer } from './helpers/run.js';
import { makeCert, recordTlsSession, tsharkMqtt } from './helpers/peers.js';
import { compareWithTshark } from './helpers/compare.js';
import { mqttConnect, mqttPublish, CONNACK_OK } from './helpers/frames.js';

const dir = mkdtempSync(join(tmpdir(), 'glassmq-writer-'));
test.after(() => (process.env.KEEP ? undefined : rmSync(dir, { recursive: true, force: true })));

const T0 = 1_767_225_600_000; // 2026-01-01T00:00:00Z in ms
const v5 = (p: Packet): Buffer => encodePacket(p, 5);
const conversation: [boolean, Buffer][] = [
  [true, v5({ type: 'connect', protocolName: 'MQTT', protocolVersion: 5, clean: true, keepalive: 30, clientId: 'writer-1', properties: { sessionExpiryInterval: 60 } })],
  [false, v5({ type: 'connack', sessionPresent: false, reasonCode: 0, properties: { receiveMaximum: 10 } })],
  [true, v5({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'w/#', qos: 1, noLocal: true, retainAsPublished: false, retainHandling: 0 }] })],
  [false, v5({ type: 'suback', packetId: 1, reasonCodes: [1] })],
  [true, v5({ type: 'publish', topic: 'w/big', payload: Buffer.alloc(200_000, 0x33), qos: 1, packetId: 2, retain: false, dup: false, properties: { userProperties: [['a', 'b']] } })],
  [false, v5({ type: 'puback', packetId: 2 })],
  [false, v5({ type: 'publish', topic: 'w/big', payload: Buffer.from('small'), qos: 0, retain: false, dup: false })],
  [true, v5({ type: 'disconnect' })],
];

function write(link: 'ethernet' | 'raw', client: string, server: string): Buffer {
  const blocks: Buffer[] = [];
  const synth = new TcpSynthesizer(new PcapngWriter((b) => blocks.push(b)), { link });
  synth.open('c1', { ip: client, port: 50001 }, { ip: server, port: 1883 }, T0, { client: 0xffff0000, server: 42 });
  conversation.forEach(([fromClient, bytes], i) => synth.data('c1', fromClient, bytes, T0 + i));
  synth.close('c1', T0 + 100);
  return Buffer.concat(blocks);
}

for (const [link, client, server] of [['ethernet', '127.0.0.1', '127.0.0.1'], ['raw', '::1', '::1'], ['ethernet', '::ffff:10.0.0.1', '10.0.0.2']] as const) {
  test(`writer (${link}, ${client} -> ${server}): tshark dissects every MQTT packet, and the inspector reads the same back`, async () => {
    const file = join(dir, `tcp-${link}-${client.replace(/[:.]/g, '_')}.pcapng`);
    writeFileSync(file, write(link, client, server));
    const theirs = await tsharkMqtt(file);
    const ours = dissectBuffer(readFileSync(file));
    assert.deepEqual(ours.notes, []);
    assert.equal(ours.json.length, conversation.length);
    compareWithTshark(ours.json, theirs);
    assert.deepEqual(ours.packets.map((p) => p.bytes), conversation.map(([, b]) => b));
    // The 200 kB PUBLISH needed several segments of at most MAX_SEGMENT_PAYLOAD bytes.
    const big = ours.json[4]!;
    assert.equal(big.payloadLength, 200_000);
    assert.ok(big.frame - ours.json[3]!.frame >= Math.ceil(200_000 / MAX_SEGMENT_PAYLOAD));
    assert.deepEqual(big.properties, { userProperties: [['a', 'b']] });
    // The JSON Lines names of docs/inspect.md for the other packets of the conversation.
    assert.deepEqual(ours.json[0]!.properties, { sessionExpiryInterval: 60 });
    assert.deepEqual(ours.json[1]!.properties, { receiveMaximum: 10 });
    assert.equal(ours.json[1]!.reasonCode, 0);
    assert.deepEqual(ours.json[2]!.subscriptions, [{ topicFilter: 'w/#', qos: 1, noLocal: true, retainAsPublished: false, retainHandling: 0 }]);
    assert.deepEqual(ours.json[3]!.reasonCodes, [1]);
    assert.deepEqual([ours.json[5]!.type, ours.json[5]!.packetId, ours.json[5]!.reasonCode], ['PUBACK', 2, 0]);
    assert.deepEqual([ours.json[7]!.type, ours.json[7]!.reasonCode], ['DISCONNECT', 0]);
  });
}

test('writer with a Decryption Secrets Block: tshark decrypts the TLS 1.3 session with no setting, so does the inspector', async () => {
  const cert = makeCert(dir);
  const fromClient = Buffer.concat([mqttConnect('tls-writer'), mqttPublish('sec/ret', Buffer.from('in the clear only here'))]);
  const fromServer = CONNACK_OK;
  const rec = await recordTlsSession(cert, { version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', fromClient, fromServer });
  const blocks: Buffer[] = [];
  const synth = new TcpSynthesizer(new PcapngWriter((b) => blocks.push(b)));
  synth.keylog(rec.keylog);
  synth.open(1, { ip: '192.0.2.1', port: 40000 }, { ip: '192.0.2.2', port: 8883 }, T0);
  rec.chunks.forEach((c, i) => synth.data(1, c.fromClient, c.data, T0 + i));
  synth.close(1, T0 + 1000, false);
  const file = join(dir, 'tls.pcapng');
  writeFileSync(file, Buffer.concat(blocks));

  const theirs = await tsharkMqtt(file);
  const ours = dissectBuffer(readFileSync(file));
  // The client wrote CONNECT and PUBLISH together, before the server's CONNACK.
  assert.deepEqual(ours.json.map((j) => [j.type, j.transport]), [['CONNECT', 'tls'], ['PUBLISH', 'tls'], ['CONNACK', 'tls']]);
  assert.equal(Buffer.from(ours.json[1]!.payload, 'base64').toString(), 'in the clear only here');
  compareWithTshark(ours.json, theirs);
  assert.equal(ours.closed[0]!.tls?.cipherSuite, 'TLS_AES_256_GCM_SHA384');
});
