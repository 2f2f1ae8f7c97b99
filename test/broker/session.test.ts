import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Delivery, Session } from '../../src/broker/session.js';
import { DeliveryQueue } from '../../src/broker/delivery-queue.js';
import { createMessage } from '../../src/broker/message.js';

const msg = createMessage('t', Buffer.from('x'), 1, false, undefined, 0, undefined);

test('[MQTT-4.3.2-1] packet ids are non-zero, wrap after 65535 and skip ids still in flight', () => {
  const s = new Session('c');
  assert.equal(s.allocatePacketId(), 1);
  s.inflight.set(2, new Delivery(msg, 1, false, undefined, undefined));
  assert.equal(s.allocatePacketId(), 3); // 2 is unacknowledged
  for (let i = 4; i <= 65535; i++) s.allocatePacketId();
  assert.equal(s.allocatePacketId(), 1); // wrapped, never 0
  assert.equal(s.allocatePacketId(), 3);
});

test('packet id allocation reports exhaustion instead of reusing an id in flight', () => {
  const s = new Session('c');
  const d = new Delivery(msg, 1, false, undefined, undefined);
  for (let id = 1; id <= 65535; id++) s.inflight.set(id, d);
  assert.equal(s.allocatePacketId(), 0);
  s.inflight.delete(40_000);
  assert.equal(s.allocatePacketId(), 40_000);
});

test('delivery queue is FIFO across compaction, unshift and extract', () => {
  const q = new DeliveryQueue<number>();
  for (let i = 0; i < 3000; i++) q.push(i);
  for (let i = 0; i < 2000; i++) assert.equal(q.shift(), i);
  assert.equal(q.length, 1000);
  q.unshift(1999);
  assert.equal(q.peek(), 1999);
  const odd = q.extract((n) => n % 2 === 1);
  assert.equal(odd[0], 1999);
  assert.equal(q.peek(), 2000);
  assert.equal(q.length, 500);
  assert.deepEqual([...q].slice(0, 3), [2000, 2002, 2004]);
});

test('a kept message does not pin the socket chunk its payload was decoded from', async () => {
  const { keepPayload } = await import('../../src/broker/message.js');
  const chunk = Buffer.alloc(64 * 1024, 0x41);
  const m = createMessage('t', chunk.subarray(100, 110), 1, true, undefined, 0, undefined);
  keepPayload(m);
  assert.equal(m.payload.toString(), 'AAAAAAAAAA');
  assert.ok(m.payload.buffer.byteLength < chunk.length);
  const whole = createMessage('t', Buffer.alloc(5000), 1, true, undefined, 0, undefined);
  const before = whole.payload;
  keepPayload(whole);
  assert.equal(whole.payload, before); // an exact-size buffer is kept as is
});
