import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeepaliveMonitor } from '../../src/broker/keepalive.js';
import { FakeClock } from './fake-clock.js';

test('[MQTT-3.1.2-22] a silent connection is cut at exactly 1.5 x keepalive', () => {
  const clock = new FakeClock();
  let fired = 0;
  new KeepaliveMonitor(10, clock, { keepaliveExpired: () => fired++ });
  clock.advance(14_999);
  assert.equal(fired, 0);
  clock.advance(1);
  assert.equal(fired, 1);
});

test('[MQTT-3.1.2-22] every packet received restarts the 1.5 x keepalive period (one timer, re-armed lazily)', () => {
  const clock = new FakeClock();
  let fired = 0;
  const k = new KeepaliveMonitor(10, clock, { keepaliveExpired: () => fired++ });
  clock.advance(10_000);
  k.touch();
  assert.equal(k.deadline, clock.now() + 15_000);
  clock.advance(14_000);
  assert.equal(fired, 0);
  assert.equal(clock.pending, 1); // touch() set no new timer
  k.touch();
  clock.advance(14_999);
  assert.equal(fired, 0);
  clock.advance(1);
  assert.equal(fired, 1);
});

test('keepalive 0 turns the check off; stop() cancels it', () => {
  const clock = new FakeClock();
  let fired = 0;
  const off = new KeepaliveMonitor(0, clock, { keepaliveExpired: () => fired++ });
  assert.equal(off.deadline, undefined);
  const k = new KeepaliveMonitor(1, clock, { keepaliveExpired: () => fired++ });
  k.stop();
  clock.advance(60_000);
  assert.equal(fired, 0);
  assert.equal(clock.pending, 0);
});
