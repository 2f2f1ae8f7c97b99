// Cluster-wide message ids: every copy of one message carries the same id, whichever way it crosses Redis (a copy
// for another node, a session record), and a moving session's window refuses a second copy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StoredMessage } from '../../src/broker/ports.js';
import { decodeClusterMessage, encodeClusterMessage } from '../../src/cluster/message-codec.js';
import { decodeDelivery, encodeDelivery } from '../../src/cluster/session-codec.js';
import { RecentIds } from '../../src/cluster/message-ids.js';

function message(topic: string): StoredMessage {
  return { topic, payload: Buffer.from('x'), qos: 1, retain: false, properties: undefined, receivedAt: 1000, expiresAt: undefined, origin: 'p' };
}

test('a message keeps one id across every copy: to two nodes, forwarded for a session, and in a session record', () => {
  const m = message('a/b');
  const toB = decodeClusterMessage(encodeClusterMessage(m, 'n1', 1000), 1000);
  const toC = decodeClusterMessage(encodeClusterMessage(m, 'n1', 1000), 1000);
  const forwarded = decodeClusterMessage(encodeClusterMessage(m, 'n1', 1000, undefined, 'client-7'), 1000);
  const stored = decodeDelivery(encodeDelivery({ message: m, qos: 1, retain: false, subscriptionIds: undefined, packetId: 0, state: 0 }));
  assert.ok(m.id, 'the first encoding gave it an id');
  for (const copy of [toB.message, toC.message, forwarded.message, stored.message]) assert.equal(copy.id, m.id);
  assert.equal(toB.forClient, undefined);
  assert.equal(forwarded.forClient, 'client-7');
  // a copy received from another node keeps its id when this node stores or sends it on
  const again = decodeClusterMessage(encodeClusterMessage(toB.message, 'n2', 1000), 1000);
  assert.equal(again.message.id, m.id);
});

test('two messages get two ids, also with the same topic and payload', () => {
  const one = message('same');
  const two = message('same');
  encodeClusterMessage(one, 'n1', 1000);
  encodeDelivery({ message: two, qos: 1, retain: false, subscriptionIds: undefined, packetId: 0, state: 0 });
  assert.ok(one.id && two.id);
  assert.notEqual(one.id, two.id);
});

test('a session window refuses a second copy, counts it, and forgets the oldest ids beyond its size', () => {
  const counter = { duplicates: 0 };
  const window = new RecentIds(counter, 3);
  assert.equal(window.admit('a'), true);
  assert.equal(window.admit('a'), false);
  assert.equal(counter.duplicates, 1);
  for (const id of ['b', 'c', 'd']) assert.equal(window.admit(id), true);
  assert.equal(window.size, 3);
  assert.equal(window.admit('a'), true, 'the oldest id was forgotten first');
  assert.equal(window.admit('d'), false);
  assert.equal(counter.duplicates, 2);
});
