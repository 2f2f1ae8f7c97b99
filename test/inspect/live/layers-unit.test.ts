// The layer parsers of the live trace, fed bytes in every split a socket can produce: WebSocket frames (RFC 6455)
// after an HTTP upgrade, and MQTT packets cut from a stream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PacketCutter } from '../../../src/inspect/live/packet-cutter.js';
import { WsTracker } from '../../../src/inspect/live/ws-tracker.js';
import type { HttpView, WsFrameView } from '../../../src/inspect/live/trace-event.js';
import { SseReader, type SseMessage } from '../../../src/inspect/live/sse-reader.js';
import { topicMatches } from '../../../src/protocol/index.js';

const KEY = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);

/** A client frame, masked with KEY: FIN|opcode, MASK|length (7, 16 or 64-bit form), key, masked payload. */
function clientFrame(opcode: number, payload: Buffer, fin = true): Buffer {
  const n = payload.length;
  const len = n < 126 ? Buffer.from([0x80 | n]) : n <= 0xffff ? Buffer.from([0x80 | 126, n >> 8, n & 0xff]) : Buffer.concat([Buffer.from([0x80 | 127]), Buffer.from(BigInt(n).toString(16).padStart(16, '0'), 'hex')]);
  const masked = Buffer.from(payload.map((b, i) => b ^ KEY[i % 4]!));
  return Buffer.concat([Buffer.from([(fin ? 0x80 : 0) | opcode]), len, KEY, masked]);
}

const UPGRADE = Buffer.from('GET /mqtt HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n');

function track(bytes: Buffer, split: number): { http: HttpView[]; frames: WsFrameView[]; payload: Buffer; problems: string[] } {
  const out = { http: [] as HttpView[], frames: [] as WsFrameView[], chunks: [] as Buffer[], problems: [] as string[] };
  const t = new WsTracker(true, {
    http: (h) => out.http.push(h),
    frame: (f) => out.frames.push(f),
    payload: (c) => out.chunks.push(Buffer.from(c)),
    problem: (code) => out.problems.push(code),
  });
  for (let o = 0; o < bytes.length; o += split) t.push(bytes.subarray(o, o + split));
  return { ...out, payload: Buffer.concat(out.chunks) };
}

test('ws [MQTT-6.0.0-2] frames in 7-, 16- and 64-bit length forms, fragmented, any byte split: headers kept, payload unmasked', () => {
  const p1 = Buffer.from('c000', 'hex');
  const p2 = Buffer.alloc(300, 0x41);
  const p3 = Buffer.alloc(70_000, 0x42);
  const bytes = Buffer.concat([UPGRADE, clientFrame(2, p1), clientFrame(2, p2, false), clientFrame(0, p3), clientFrame(9, Buffer.from('hi'))]);
  for (const split of [1, 3, 7, 1000, bytes.length]) {
    const r = track(bytes, split);
    assert.equal(r.http[0]?.startLine, 'GET /mqtt HTTP/1.1');
    assert.deepEqual(r.frames.map((f) => [f.opcodeName, f.fin, f.lengthBits, f.payloadLength]), [
      ['binary', true, 7, 2], ['binary', false, 16, 300], ['continuation', true, 64, 70_000], ['ping', true, 7, 2],
    ]);
    assert.ok(r.frames.every((f) => f.maskKey === KEY.toString('hex') && f.header.endsWith(KEY.toString('hex'))));
    assert.deepEqual(r.payload, Buffer.concat([p1, p2, p3]), `split ${split}`);
    assert.equal(r.frames[3]!.payload, Buffer.from('hi').toString('hex'));
    assert.deepEqual(r.problems, []);
  }
});

test('ws: a close frame reports its status code and reason; a text frame is a problem [MQTT-6.0.0-1]', () => {
  const close = Buffer.concat([Buffer.from([0x03, 0xe8]), Buffer.from('bye')]);
  const r = track(Buffer.concat([UPGRADE, clientFrame(1, Buffer.from('txt')), clientFrame(8, close)]), 5);
  const c = r.frames.find((f) => f.opcodeName === 'close');
  assert.equal(c?.closeCode, 1000);
  assert.equal(c?.closeReason, 'bye');
  assert.deepEqual(r.problems, ['WS_TEXT_FRAME']);
});

test('ws: after resync (a trace started mid-connection) bytes inside a frame are skipped up to a plausible client header', () => {
  const frames: WsFrameView[] = [];
  const t = new WsTracker(true, { http: () => undefined, frame: (f) => frames.push(f), payload: () => undefined, problem: () => undefined });
  t.push(UPGRADE);
  t.resync();
  t.push(Buffer.from('0102030405', 'hex')); // the tail of a frame already under way
  t.push(clientFrame(2, Buffer.from('c000', 'hex')));
  assert.deepEqual(frames.map((f) => f.payloadLength), [2]);
});

test('mqtt cutter [MQTT-1.5.5-1]: a Remaining Length split across chunks, several packets per chunk, a 5-byte length refused', () => {
  const publish = Buffer.concat([Buffer.from([0x30, 0xc8, 0x01, 0x00, 0x01, 0x74]), Buffer.alloc(197, 0x61)]); // RL 200 in two bytes
  const ping = Buffer.from('c000', 'hex');
  const stream = Buffer.concat([ping, publish, ping, ping]);
  for (const split of [1, 2, 3, stream.length]) {
    const got: Buffer[] = [];
    const c = new PacketCutter<string>({ packet: (b) => got.push(b), problem: () => assert.fail('no problem expected') });
    for (let o = 0; o < stream.length; o += split) c.push(stream.subarray(o, o + split), `chunk@${o}`);
    assert.deepEqual(got, [ping, publish, ping, ping], `split ${split}`);
  }
  const problems: string[] = [];
  const got: Buffer[] = [];
  const c = new PacketCutter({ packet: (b) => got.push(b), problem: (code) => problems.push(code) });
  c.push(Buffer.from('30ffffffff7f', 'hex'));
  c.push(ping);
  assert.deepEqual(problems, ['MALFORMED_FIXED_HEADER']);
  assert.deepEqual(got, [ping], 'resynchronised on the next chunk that starts with a plausible header');
});

test('mqtt cutter: the tags of every chunk that carried a packet (the WebSocket frames of an MQTT event)', () => {
  const tags: string[][] = [];
  const c = new PacketCutter<string>({ packet: (_b, t) => tags.push(t), problem: () => undefined });
  c.push(Buffer.from('30', 'hex'), 'f1');
  c.push(Buffer.from('0300', 'hex'), 'f2');
  c.push(Buffer.from('0161c000', 'hex'), 'f3');
  assert.deepEqual(tags, [['f1', 'f2', 'f3'], ['f3']]);
});

test('SSE reader: events split anywhere, comments skipped, multi-line data joined', () => {
  const got: SseMessage[] = [];
  const r = new SseReader((m) => got.push(m));
  const text = ': glassmq\n\nevent: ready\ndata: {"a":1}\n\nevent: packet\ndata: x\ndata: y\n\n: ping\n\n';
  for (const ch of text) r.push(ch);
  assert.deepEqual(got, [{ event: 'ready', data: '{"a":1}' }, { event: 'packet', data: 'x\ny' }]);
});

test('topic filter [MQTT-4.7.2-1]: + one level, # the rest and the parent, $ topics hidden from leading wildcards', () => {
  assert.ok(topicMatches('sensors/+/temp', 'sensors/kitchen/temp'));
  assert.ok(!topicMatches('sensors/+/temp', 'sensors/a/b/temp'));
  assert.ok(topicMatches('a/#', 'a'));
  assert.ok(topicMatches('a/#', 'a/b/c'));
  assert.ok(!topicMatches('#', '$SYS/broker/uptime'));
  assert.ok(topicMatches('$SYS/#', '$SYS/broker/uptime'));
});
