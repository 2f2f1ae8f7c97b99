// `glassmq dissect` end to end: the JSON Lines contract, the human view, -V / -x, secrets, damaged files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runGlassmq } from '../helpers/net.js';
import { PcapngBuilder, Conversation, ethernet, ipPacket, mqttConnect, mqttPublish, CONNACK_OK, pcapFile, type Seg } from './helpers/frames.js';
import { encodePacket } from '../../src/protocol/index.js';
import { dissectBuffer } from './helpers/run.js';

const dir = mkdtempSync(join(tmpdir(), 'glassmq-dissect-cli-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function capture(segs: Seg[]): Buffer {
  const b = new PcapngBuilder().shb().idb(1);
  segs.forEach((s, i) => b.epb(0, 1_700_000_000_000_000n + BigInt(i) * 1000n, ethernet(ipPacket(s))));
  return b.build();
}

function save(name: string, bytes: Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

const jsonLines = (s: string): Record<string, any>[] => s.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));

// Frames: 1-3 handshake, 4 CONNECT, 5 CONNACK, 6 PUBLISH's first two bytes, 7 the rest plus a second PUBLISH.
function splitRlCapture(): Buffer {
  const conv = new Conversation({ ip: '10.1.1.1', port: 50123 }, { ip: '10.1.1.2', port: 1883 });
  const pub = mqttPublish('split/rl', Buffer.alloc(300, 0x42));
  return capture([
    ...conv.handshake(), conv.send(true, mqttConnect('splitter')), conv.send(false, CONNACK_OK),
    conv.send(true, pub.subarray(0, 2)), conv.send(true, Buffer.concat([pub.subarray(2), mqttPublish('next', Buffer.from('after'))])),
  ]);
}

test('v3.1.1 Remaining Length (v5 [MQTT-1.5.5-1]) split across TCP segments: tshark 4.0 loses sync, glassmq reads PUBLISH split/rl (RL 310) and PUBLISH next in frame 7', async () => {
  const file = save('split-rl.pcapng', splitRlCapture());
  // tshark 4.0 marks frame 6 malformed and misreads frame 7 (as "Reserved, Reserved, Publish Ack (id=16962)..."):
  // the correct reading is two PUBLISH packets, both completed by frame 7.
  const r = await runGlassmq(['dissect', file, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const lines = jsonLines(r.stdout);
  assert.deepEqual(lines.map((l) => [l.frame, l.type, l.remainingLength, l.topic ?? null]), [
    [4, 'CONNECT', 20, null], [5, 'CONNACK', 2, null], [7, 'PUBLISH', 310, 'split/rl'], [7, 'PUBLISH', 11, 'next'],
  ]);
  const pub = lines[2]!;
  assert.equal(pub.src, '10.1.1.1:50123');
  assert.equal(pub.dst, '10.1.1.2:1883');
  assert.equal(pub.transport, 'tcp');
  assert.equal(pub.header, 0x30);
  assert.equal(pub.protocolVersion, 4);
  assert.equal(pub.qos, 0);
  assert.equal(pub.retain, false);
  assert.equal(pub.dup, false);
  assert.equal(pub.payloadLength, 300);
  assert.equal(pub.payload, Buffer.alloc(300, 0x42).toString('base64'));
  assert.equal(typeof pub.time, 'number');
  assert.ok(Math.abs(pub.time - 1_700_000_000.006) < 1e-6);
  assert.equal(lines[1]!.returnCode, 0);
  assert.equal(lines[1]!.sessionPresent, false);
  assert.equal(lines[0]!.clientId, 'splitter');
  assert.equal(lines[0]!.keepalive, 60);
});

test('default view: per connection who is who (client address, client id, role) and the flow with arrows', async () => {
  const file = save('split-rl-human.pcapng', splitRlCapture());
  const r = await runGlassmq(['dissect', file]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /connection 1: client 10\.1\.1\.1:50123 "splitter" publisher/);
  assert.match(r.stdout, /server 10\.1\.1\.2:1883, tcp, MQTT 3\.1\.1/);
  assert.match(r.stdout, /-> CONNECT <- CONNACK 0 -> PUBLISH split\/rl "B{16}\.\.\." \(300 B\)/);
  assert.match(r.stdout, /-> PUBLISH next "after"/);
});

test('-V prints the field tree and -x the annotated hex of each packet; v5 [MQTT-3.1.2-19] the password in the payload is masked unless --show-secrets', async () => {
  const conv = new Conversation({ ip: '10.3.3.3', port: 40001 }, { ip: '10.3.3.4', port: 1883 });
  const connect = encodePacket({ type: 'connect', protocolName: 'MQTT', protocolVersion: 5, clean: true, keepalive: 10, clientId: 'secret-client', username: 'alice', password: Buffer.from('hunter2'), properties: { userProperties: [['k', 'v']] } }, 5);
  const file = save('secrets.pcapng', capture([...conv.handshake(), conv.send(true, connect)]));
  const tree = await runGlassmq(['dissect', file, '-V']);
  assert.equal(tree.code, 0, tree.stderr);
  assert.match(tree.stdout, /frame 4 .* connection 1 10\.3\.3\.3:40001 -> 10\.3\.3\.4:1883 tcp/);
  assert.match(tree.stdout, /secret-client/);
  assert.doesNotMatch(tree.stdout, /hunter2/);
  const hex = await runGlassmq(['dissect', file, '-x']);
  assert.match(hex.stdout, /^\s+0000 {2}10 /m);
  const json = jsonLines((await runGlassmq(['dissect', file, '--json'])).stdout);
  assert.equal(json[0]!.password, '********');
  assert.equal(json[0]!.username, 'alice');
  assert.deepEqual(json[0]!.properties, { userProperties: [['k', 'v']] });
  const shown = jsonLines((await runGlassmq(['dissect', file, '--json', '--show-secrets'])).stdout);
  assert.equal(Buffer.from(shown[0]!.password, 'base64').toString(), 'hunter2');
  const shownTree = await runGlassmq(['dissect', file, '-V', '--show-secrets']);
  assert.match(shownTree.stdout, /hunter2/);
});

test('damaged files: cut, bad block length, not a capture, empty -> error in the output, exit 2, no crash', async () => {
  const good = splitRlCapture();
  const cut = await runGlassmq(['dissect', save('cut.pcapng', good.subarray(0, good.length - 100)), '--json']);
  assert.equal(cut.code, 2);
  const cutLines = jsonLines(cut.stdout);
  assert.deepEqual(cutLines.filter((l) => l.type).map((l) => l.type), ['CONNECT', 'CONNACK']);
  assert.equal(cutLines.find((l) => l.code === 'TRUNCATED')?.layer, 'capture');
  assert.ok(cutLines.some((l) => l.code === 'TRUNCATED_PACKET'), 'the PUBLISH left incomplete is reported too');

  const bad = Buffer.from(good);
  bad.writeUInt32LE(0xfffffff0, new PcapngBuilder().shb().idb(1).build().length + 4);
  const badRun = await runGlassmq(['dissect', save('badlen.pcapng', bad)]);
  assert.equal(badRun.code, 2);
  assert.match(badRun.stdout, /BAD_BLOCK_LENGTH/);

  const junk = await runGlassmq(['dissect', save('junk.bin', Buffer.from('GIF89a not a capture'))]);
  assert.equal(junk.code, 2);
  assert.match(junk.stdout, /BAD_MAGIC/);
  const empty = await runGlassmq(['dissect', save('empty.pcap', Buffer.alloc(0))]);
  assert.equal(empty.code, 2);
  assert.doesNotMatch(empty.stderr, /at .*\.ts:\d+/);

  const missing = await runGlassmq(['dissect', join(dir, 'nope.pcap')]);
  assert.equal(missing.code, 1);
  const usage = await runGlassmq(['dissect', 'x.pcap', '--port', 'abc']);
  assert.equal(usage.code, 1);
});

test('fuzz: 300 randomly damaged captures never throw and always end', () => {
  const good = readFileSync(save('fuzz-base.pcapng', splitRlCapture()));
  const pcap = pcapFile(1, [{ sec: 1, frac: 0, data: ethernet(ipPacket({ src: '1.1.1.1', dst: '2.2.2.2', sport: 1, dport: 1883, seq: 1, flags: 0x18, payload: mqttConnect('f') })) }]);
  let seed = 12345;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (let i = 0; i < 300; i++) {
    const base = i % 2 ? good : pcap;
    const b = Buffer.from(base.subarray(0, base.length - rnd(40)));
    for (let k = 0; k < 1 + rnd(8); k++) b[rnd(b.length)] = rnd(256);
    const d = dissectBuffer(b, { forcedPorts: [1883] });
    assert.ok(Array.isArray(d.json));
  }
});
