// HTTP Upgrade + WebSocket frames (RFC 6455) down to the MQTT byte stream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocketLayer, type WsFrameEvent } from '../../src/inspect/websocket.js';
import type { LayerNote } from '../../src/inspect/duplex.js';
import { mqttConnect, mqttPublish, CONNACK_OK } from './helpers/frames.js';

const REQUEST = Buffer.from('GET /mqtt HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: mqtt\r\nSec-WebSocket-Version: 13\r\n\r\n');
const RESPONSE = Buffer.from('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n');

/** A frame per RFC 6455 5.2, masked when a key is given, with the 7-, 16- or 64-bit length form. */
function frame(opcode: number, payload: Buffer, opts: { fin?: boolean; mask?: Buffer; force64?: boolean } = {}): Buffer {
  const fin = opts.fin ?? true;
  const head = [(fin ? 0x80 : 0) | opcode];
  const m = opts.mask ? 0x80 : 0;
  const len = payload.length;
  let ext = Buffer.alloc(0);
  if (opts.force64 || len > 65535) {
    head.push(m | 127);
    ext = Buffer.alloc(8);
    ext.writeBigUInt64BE(BigInt(len));
  } else if (len > 125) {
    head.push(m | 126);
    ext = Buffer.alloc(2);
    ext.writeUInt16BE(len);
  } else head.push(m | len);
  let body = payload;
  if (opts.mask) body = Buffer.from(payload.map((b, i) => b ^ opts.mask![i % 4]!));
  return Buffer.concat([Buffer.from(head), ext, opts.mask ?? Buffer.alloc(0), body]);
}

function layer(): { c: Buffer[]; s: Buffer[]; gaps: number[]; frames: WsFrameEvent[]; notes: LayerNote[]; ws: WebSocketLayer } {
  const c: Buffer[] = [];
  const s: Buffer[] = [];
  const gaps: number[] = [];
  const frames: WsFrameEvent[] = [];
  const notes: LayerNote[] = [];
  const ws = new WebSocketLayer(
    { data: (fromClient, b) => (fromClient ? c : s).push(Buffer.from(b)), gap: (_f, n) => gaps.push(n), end: () => {} },
    (n) => notes.push(n),
    (f) => frames.push(f),
  );
  return { c, s, gaps, frames, notes, ws };
}

const KEY = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);

test('RFC 6455 5.3: client frames are unmasked; an MQTT packet spanning frames and a frame holding several packets both come out whole', () => {
  const { c, s, frames, ws } = layer();
  const connect = mqttConnect('ws-client');
  const pub = mqttPublish('a/b', Buffer.from('hello'));
  ws.data(true, REQUEST);
  ws.data(false, RESPONSE);
  // CONNECT split over a binary frame and a continuation; then two packets in one frame.
  ws.data(true, Buffer.concat([
    frame(0x2, connect.subarray(0, 7), { fin: false, mask: KEY }),
    frame(0x0, connect.subarray(7), { mask: KEY }),
    frame(0x2, Buffer.concat([pub, pub]), { mask: KEY }),
  ]));
  ws.data(false, frame(0x2, CONNACK_OK));
  assert.deepEqual(Buffer.concat(c), Buffer.concat([connect, pub, pub]));
  assert.deepEqual(Buffer.concat(s), CONNACK_OK);
  assert.equal(ws.path, '/mqtt');
  assert.equal(ws.subprotocol, 'mqtt');
  assert.deepEqual(frames.map((f) => [f.fromClient, f.header.opcode, f.header.fin, f.header.masked]), [
    [true, 2, false, true], [true, 0, true, true], [true, 2, true, true], [false, 2, true, false],
  ]);
  assert.deepEqual(frames[0]!.header.maskKey, KEY);
});

test('RFC 6455 5.2: 16- and 64-bit payload lengths, fed one byte at a time', () => {
  const { c, frames, ws } = layer();
  const p1 = mqttPublish('len16', Buffer.alloc(300, 1));
  const p2 = mqttPublish('len64', Buffer.alloc(70_000, 2));
  ws.data(true, REQUEST);
  ws.data(false, RESPONSE);
  const bytes = Buffer.concat([frame(0x2, p1, { mask: KEY }), frame(0x2, p2, { mask: KEY, force64: true })]);
  for (let i = 0; i < bytes.length; i += 1 + (i > 400 ? 5000 : 0)) ws.data(true, bytes.subarray(i, i + 1 + (i > 400 ? 5000 : 0)));
  assert.deepEqual(Buffer.concat(c), Buffer.concat([p1, p2]));
  assert.deepEqual(frames.map((f) => f.header.headerLength), [2 + 2 + 4, 2 + 8 + 4]);
});

test('RFC 6455 5.5: ping, pong and close are reported and kept out of the MQTT stream', () => {
  const { c, s, frames, ws } = layer();
  ws.data(true, REQUEST);
  ws.data(false, RESPONSE);
  const pub = mqttPublish('x', Buffer.from('1'));
  ws.data(true, Buffer.concat([
    frame(0x2, pub.subarray(0, 3), { fin: false, mask: KEY }),
    frame(0x9, Buffer.from('ping!'), { mask: KEY }), // control frame between fragments
    frame(0x0, pub.subarray(3), { mask: KEY }),
    frame(0x8, Buffer.from([0x03, 0xe8]), { mask: KEY }),
  ]));
  ws.data(false, frame(0xa, Buffer.from('ping!')));
  assert.deepEqual(Buffer.concat(c), pub);
  assert.equal(s.length, 0);
  const ping = frames.find((f) => f.header.opcode === 0x9)!;
  assert.equal(ping.controlPayload!.toString(), 'ping!');
  const close = frames.find((f) => f.header.opcode === 0x8)!;
  assert.equal(close.controlPayload!.readUInt16BE(0), 1000);
  assert.equal(frames.find((f) => f.header.opcode === 0xa)!.fromClient, false);
});

test('a refused upgrade is reported and nothing is decoded', () => {
  const { c, notes, ws } = layer();
  ws.data(true, REQUEST);
  ws.data(false, Buffer.from('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n'));
  ws.data(true, frame(0x2, mqttConnect('x'), { mask: KEY }));
  assert.equal(c.length, 0);
  assert.equal(notes[0]!.code, 'WS_UPGRADE');
});

test('after a gap inside frames the layer resyncs at the next frame and passes the gap on to MQTT', () => {
  const { c, gaps, ws } = layer();
  ws.data(true, REQUEST);
  ws.data(false, RESPONSE);
  const p = mqttPublish('g', Buffer.alloc(1000, 7));
  const f1 = frame(0x2, p, { mask: KEY });
  const f2 = frame(0x2, mqttPublish('after', Buffer.from('gap')), { mask: KEY });
  const f3 = frame(0x2, mqttPublish('and', Buffer.from('more')), { mask: KEY });
  ws.data(true, f1.subarray(0, 300));
  ws.gap(true, 400);
  ws.data(true, Buffer.concat([f1.subarray(700), f2, f3]));
  assert.deepEqual(gaps, [400]);
  assert.deepEqual(Buffer.concat(c.slice(-2)), Buffer.concat([mqttPublish('after', Buffer.from('gap')), mqttPublish('and', Buffer.from('more'))]));
});
