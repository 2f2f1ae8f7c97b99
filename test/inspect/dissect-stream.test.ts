// The whole inspector over hand-built captures: TCP connections, who is who, splits, holes and --port.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PcapngBuilder, Conversation, ethernet, ipPacket, ipv4Packet, mqttConnect, mqttPublish, CONNACK_OK, TCP, type Seg } from './helpers/frames.js';
import { dissectBuffer } from './helpers/run.js';

function capture(segs: Seg[]): Buffer {
  const b = new PcapngBuilder().shb().idb(1);
  segs.forEach((s, i) => b.epb(0, 1_700_000_000_000_000n + BigInt(i) * 1000n, ethernet(ipPacket(s))));
  return b.build();
}

const client = { ip: '10.1.1.1', port: 50123 };
const server = { ip: '10.1.1.2', port: 1883 };

test('v3.1.1 Remaining Length (v5 [MQTT-1.5.5-1]) split across two TCP segments: the PUBLISH is whole, dated by the frame that completes it', () => {
  const conv = new Conversation(client, server);
  const pub = mqttPublish('split/rl', Buffer.alloc(300, 0x42)); // 0x30, RL = 0xb6 0x02
  const segs = [
    ...conv.handshake(), // frames 1-3
    conv.send(true, mqttConnect('splitter')), // 4
    conv.send(false, CONNACK_OK), // 5
    conv.send(true, pub.subarray(0, 2)), // 6: type byte and the first Remaining Length byte only
    conv.send(true, pub.subarray(2)), // 7: second Remaining Length byte and the rest
  ];
  const d = dissectBuffer(capture(segs));
  assert.deepEqual(d.json.map((j) => [j.frame, j.type]), [[4, 'CONNECT'], [5, 'CONNACK'], [7, 'PUBLISH']]);
  const p = d.json[2]!;
  assert.equal(p.remainingLength, 300 + 2 + 8);
  assert.equal(p.topic, 'split/rl');
  assert.equal(p.payloadLength, 300);
  assert.equal(p.src, '10.1.1.1:50123');
  assert.equal(p.dst, '10.1.1.2:1883');
  assert.equal(d.notes.length, 0);
});

test('out-of-order, retransmitted and overlapping segments still give each packet once, in stream order', () => {
  const conv = new Conversation(client, server, { client: 0xffffff00, server: 7 }); // client sequence wraps
  const stream = Buffer.concat([mqttConnect('ooo'), mqttPublish('a', Buffer.alloc(200, 1)), mqttPublish('b', Buffer.alloc(200, 2))]);
  const hs = conv.handshake();
  const base = conv.cseq;
  const s1 = conv.at(true, base, stream.subarray(0, 150));
  const s2 = conv.at(true, base + 150, stream.subarray(150, 300));
  const s3 = conv.at(true, base + 300, stream.subarray(300));
  const overlap = conv.at(true, base + 100, stream.subarray(100, 320));
  const d = dissectBuffer(capture([...hs, s3, s1, s1, overlap, s2, s3]));
  assert.deepEqual(d.json.map((j) => j.type + (j.topic ?? '')), ['CONNECT', 'PUBLISHa', 'PUBLISHb']);
  assert.deepEqual(d.json.map((j) => j.frame), [5, 7, 7]);
});

test('a lost segment is reported as a gap and decoding resumes at the next packet', () => {
  const conv = new Conversation(client, server);
  const segs = [...conv.handshake(), conv.send(true, mqttConnect('lossy')), conv.send(false, CONNACK_OK)];
  conv.send(true, mqttPublish('lost', Buffer.alloc(500, 9))); // never captured
  segs.push(conv.send(true, mqttPublish('after', Buffer.from('x'))));
  segs.push(conv.send(false, Buffer.alloc(0))); // server ACKs everything: the hole is final
  segs[segs.length - 1]!.flags = TCP.ACK;
  const d = dissectBuffer(capture(segs));
  assert.deepEqual(d.json.map((j) => j.type + (j.topic ? ` ${j.topic}` : '')), ['CONNECT', 'CONNACK', 'PUBLISH after']);
  const gap = d.notes.find((n) => n.note.code === 'GAP');
  assert.ok(gap, JSON.stringify(d.notes.map((n) => n.note)));
  assert.match(gap.note.message, /gap of 509 bytes/);
  assert.equal(d.closed[0]!.gapBytes, 509);
});

test('no SYN captured: the side that sent CONNECT is the client, whatever the ports', () => {
  const conv = new Conversation({ ip: '10.9.9.9', port: 2000 }, { ip: '10.9.9.8', port: 60000 });
  const d = dissectBuffer(capture([conv.send(false, Buffer.alloc(0)), conv.send(true, mqttConnect('late')), conv.send(false, CONNACK_OK)].filter((s) => s.payload!.length > 0)));
  assert.deepEqual(d.json.map((j) => [j.type, j.fromClient, j.src]), [['CONNECT', true, '10.9.9.9:2000'], ['CONNACK', false, '10.9.9.8:60000']]);
  assert.equal(d.closed[0]!.identifiedBy, 'content');
});

test('--port: a capture that starts mid-connection is decoded from the first whole packet, server = the forced port', () => {
  const conv = new Conversation({ ip: '10.2.2.2', port: 41000 }, { ip: '10.2.2.3', port: 7777 });
  const p1 = mqttPublish('mid/1', Buffer.from('one'));
  const p2 = mqttPublish('mid/2', Buffer.from('two'));
  const segs = [conv.send(true, Buffer.concat([p1.subarray(4), p2])), conv.send(true, p1), conv.send(false, Buffer.from([0xd0, 0x00]))];
  assert.equal(dissectBuffer(capture(segs)).json.length, 0, 'not MQTT without a CONNECT or --port');
  const d = dissectBuffer(capture(segs), { forcedPorts: [7777] });
  assert.deepEqual(d.json.map((j) => [j.type, j.topic, j.fromClient]), [['PUBLISH', 'mid/2', true], ['PUBLISH', 'mid/1', true], ['PINGRESP', undefined, false]]);
  assert.equal(d.closed[0]!.identifiedBy, 'port');
  assert.equal(d.closed[0]!.server, '10.2.2.3:7777');
});

test('the same ports reused by a new SYN start a new connection', () => {
  const a = new Conversation(client, server, { client: 100, server: 200 });
  const b = new Conversation(client, server, { client: 90000, server: 80000 });
  const segs = [...a.handshake(), a.send(true, mqttConnect('first')), a.fin(true), ...b.handshake(), b.send(true, mqttConnect('second'))];
  const d = dissectBuffer(capture(segs));
  assert.deepEqual(d.json.map((j) => [j.connection, j.clientId]), [[1, 'first'], [2, 'second']]);
});

test('v3.1.1 [MQTT-3.1.2-1] v5 [MQTT-3.1.2-2] MQTT 3.1 ("MQIsdp", level 3) and 5.0 CONNECTs set the version the other direction follows', () => {
  const c31 = new Conversation(client, server);
  const c5 = new Conversation({ ip: '10.1.1.1', port: 50124 }, server);
  const v5Connack = Buffer.from([0x20, 0x03, 0x00, 0x00, 0x00]); // + empty properties
  const segs = [...c31.handshake(), c31.send(true, mqttConnect('old', 3)), c31.send(false, CONNACK_OK),
    ...c5.handshake(), c5.send(true, mqttConnect('new', 5)), c5.send(false, v5Connack)];
  const d = dissectBuffer(capture(segs));
  assert.deepEqual(d.json.map((j) => [j.clientId ?? j.type, j.protocolVersion, j.returnCode ?? j.reasonCode]), [
    ['old', 3, undefined], ['CONNACK', 3, 0], ['new', 5, undefined], ['CONNACK', 5, 0],
  ]);
});

test('v3.1.1 [MQTT-2.2.2-1] a malformed packet is reported with its error and the packets around it still come out', () => {
  const conv = new Conversation(client, server);
  const badSubscribe = Buffer.from([0x80, 0x02, 0x00, 0x01]); // reserved flags 0000 instead of 0010
  const segs = [...conv.handshake(), conv.send(true, Buffer.concat([mqttConnect('bad'), badSubscribe, Buffer.from([0xc0, 0x00])]))];
  const d = dissectBuffer(capture(segs));
  assert.deepEqual(d.json.map((j) => j.type), ['CONNECT', 'PINGREQ']);
  assert.ok(d.notes.some((n) => n.note.code === 'MALFORMED_FIXED_HEADER'));
});

test('RFC 791 3.2: IPv4 fragments (arriving out of order) are reassembled before TCP', () => {
  const conv = new Conversation(client, server);
  const hs = conv.handshake();
  const whole = ipv4Packet(conv.send(true, mqttConnect('fragmented-client-id-'.repeat(4))));
  const body = whole.subarray(20);
  const frag = (from: number, to: number, more: boolean): Buffer => {
    const h = Buffer.from(whole.subarray(0, 20));
    h.writeUInt16BE(20 + (Math.min(to, body.length) - from), 2);
    h.writeUInt16BE((more ? 0x2000 : 0) | (from / 8), 6);
    h.writeUInt16BE(0x1234, 4); // identification shared by the fragments
    return Buffer.concat([h, body.subarray(from, to)]);
  };
  const b = new PcapngBuilder().shb().idb(101);
  hs.forEach((s) => b.epb(0, 1n, ipv4Packet(s)));
  for (const f of [frag(48, body.length, false), frag(0, 24, true), frag(24, 48, true)]) b.epb(0, 2n, f);
  const d = dissectBuffer(b.build());
  assert.deepEqual(d.json.map((j) => [j.frame, j.type, j.clientId]), [[6, 'CONNECT', 'fragmented-client-id-'.repeat(4)]]);
});
