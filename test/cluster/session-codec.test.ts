// How a session is written to Redis: delivery records, subscription lists, and the queue's operation log
// (what a node that loads the session rebuilds it from).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeDelivery, decodeSubscriptions, encodeDelivery, encodeSubscriptions, SessionCodecError } from '../../src/cluster/session-codec.js';
import { QueueOp, RedisQueue } from '../../src/cluster/redis-queue.js';
import { queueCommands } from '../../src/cluster/session-commands.js';
import { DeliveryQueue } from '../../src/broker/delivery-queue.js';
import type { StoredDelivery, StoredMessage } from '../../src/broker/ports.js';

const message: StoredMessage = {
  topic: 'a/b',
  payload: Buffer.from([0, 1, 2, 255]),
  qos: 2,
  retain: true,
  properties: { correlationData: Buffer.from([9, 8, 7]), userProperties: [['k', 'v']], contentType: 'x/y' },
  receivedAt: 1_700_000_000_000,
  expiresAt: 1_700_000_060_000,
  origin: 'pub-1',
};

function delivery(m: StoredMessage, qos: 0 | 1 | 2 = 1): StoredDelivery<StoredMessage> {
  return { message: m, qos, retain: false, subscriptionIds: [3, 7], packetId: 0, state: 0 };
}

test('v5 [MQTT-3.3.2-18] a stored delivery keeps its message (binary payload, Correlation Data, expiry, origin) and its own fields', () => {
  const back = decodeDelivery(encodeDelivery(delivery(message), { packetId: 42, state: 2, order: 5 }));
  assert.deepEqual(back.message, message);
  assert.equal(back.qos, 1);
  assert.equal(back.retain, false);
  assert.deepEqual(back.subscriptionIds, [3, 7]);
  assert.deepEqual([back.packetId, back.state, back.order], [42, 2, 5]);
});

test('bytes that are not a stored delivery are refused with CLUSTER_BAD_SESSION_RECORD', () => {
  for (const bytes of [Buffer.alloc(2), Buffer.from([0, 0, 0, 9, 1]), Buffer.concat([Buffer.from([0, 0, 0, 2]), Buffer.from('{x')])]) {
    assert.throws(() => decodeDelivery(bytes), (err: unknown) => err instanceof SessionCodecError && err.code === 'CLUSTER_BAD_SESSION_RECORD');
  }
});

test('v5 [MQTT-3.8.3-1] subscriptions keep their options (No Local, Retain As Published, Retain Handling, identifier)', () => {
  const subs = [
    { filter: 'x/#', options: { qos: 1 as const, noLocal: true, retainAsPublished: false, retainHandling: 2 as const, subscriptionId: 12 } },
    { filter: '$share/g/y', options: { qos: 0 as const, noLocal: false, retainAsPublished: true, retainHandling: 0 as const, subscriptionId: undefined } },
  ];
  assert.deepEqual(decodeSubscriptions(encodeSubscriptions(subs)), subs);
});

test('the queue logs pushes, shifts and clears only once logging, and they replay as one command per run', () => {
  const q = new RedisQueue<StoredDelivery<StoredMessage>>(new DeliveryQueue()); // the broker's queue, as sessionFactory.queue() gives
  const [d1, d2, d3] = [1, 2, 3].map((n) => delivery({ ...message, topic: `t/${n}` }));
  q.push(d1!); // not logging yet: written whole later
  assert.equal(q.ops.length, 0);
  q.logging = true;
  let touched = 0;
  q.touched = () => touched++;
  q.push(d2!);
  q.push(d3!);
  q.shift();
  q.shift();
  q.unshift(d2!);
  assert.deepEqual(q.ops, [QueueOp.push, QueueOp.push, QueueOp.shift, QueueOp.shift, QueueOp.unshift]);
  assert.equal(touched, 1); // the store is told once per turn
  const cmds: (string | number | Buffer)[][] = [];
  queueCommands(q, 'k', cmds);
  assert.deepEqual(cmds.map((c) => c.slice(0, 2).concat(typeof c[2] === 'number' ? [c[2]] : [c.length - 2])), [['rpush', 'k', 2], ['lpop', 'k', 2], ['lpush', 'k', 1]]);
  assert.equal(q.ops.length, 0);
  assert.deepEqual([...q].map((d) => d.message.topic), ['t/2', 't/3']);
});
