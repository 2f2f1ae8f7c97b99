import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OutputPressure, STALL_MS } from '../../src/broker/output-pressure.js';
import { silentLogger } from '../../src/broker/ports.js';
import { FakeClock } from './fake-clock.js';

function publisher() {
  return { held: 0, holdReading() { this.held++; }, releaseReading() { this.held--; } };
}

const CAP = 1000;

test('a full subscriber that keeps draining holds its publishers back and loses nothing', () => {
  const clock = new FakeClock();
  let pending = 2 * CAP;
  const p = new OutputPressure('sub', clock, silentLogger, () => pending, () => 0, CAP);
  const a = publisher();
  assert.equal(p.hold(a), true);
  assert.equal(p.hold(a), true); // held once, however many messages
  assert.equal(a.held, 1);
  for (let i = 0; i < 5; i++) {
    pending -= CAP / 8; // drains an eighth of its cap per period: still held, not stalled
    clock.advance(STALL_MS);
    assert.equal(p.stalled, false);
    assert.equal(a.held, 1);
  }
  p.release(); // the socket drained
  assert.equal(a.held, 0);
  assert.equal(p.stalled, false);
  assert.equal(clock.pending, 0);
});

test('a subscriber that stops draining is stalled within STALL_MS: publishers run free, its QoS 0 is dropped', () => {
  const clock = new FakeClock();
  let written = 0;
  const p = new OutputPressure('sub', clock, silentLogger, () => 2 * CAP + written, () => written, CAP);
  const a = publisher();
  const b = publisher();
  p.hold(a);
  p.hold(b);
  written += CAP; // more was written, nothing left: the backlog grew by as much
  clock.advance(STALL_MS);
  assert.equal(p.stalled, true);
  assert.deepEqual([a.held, b.held], [0, 0]);
  assert.equal(p.hold(a), false);
  assert.equal(a.held, 0);
});
