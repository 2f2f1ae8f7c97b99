import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeepaliveMonitor } from '../../src/broker/keepalive.js';
import { FakeClock } from './fake-clock.js';

test('[MQTT-3.1.2-22] monitors with one period share one timer and each is cut at exactly its own 1.5 x keepalive', () => {
  const clock = new FakeClock();
  const fired: string[] = [];
  const a = new KeepaliveMonitor(10, clock, { keepaliveExpired: () => fired.push('a') });
  clock.advance(1000);
  new KeepaliveMonitor(10, clock, { keepaliveExpired: () => fired.push('b') });
  const c = new KeepaliveMonitor(10, clock, { keepaliveExpired: () => fired.push('c') });
  new KeepaliveMonitor(4, clock, { keepaliveExpired: () => fired.push('d') });
  assert.equal(clock.pending, 2); // one per period, not one per connection
  clock.advance(5999); // t = 6999
  assert.deepEqual(fired, []);
  clock.advance(1); // t = 7000: d due (1000 + 1.5 x 4 s)
  assert.deepEqual(fired, ['d']);
  a.touch(); // a now due at 7000 + 15000
  c.stop();
  clock.advance(8999); // t = 15999
  assert.deepEqual(fired, ['d']);
  clock.advance(1); // t = 16000: b due (1000 + 15000); c stopped
  assert.deepEqual(fired, ['d', 'b']);
  clock.advance(5999); // t = 21999
  assert.deepEqual(fired, ['d', 'b']);
  clock.advance(1); // t = 22000
  assert.deepEqual(fired, ['d', 'b', 'a']);
  assert.equal(clock.pending, 0);
});
