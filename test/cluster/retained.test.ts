// Retained messages are cluster-wide: stored in a Redis hash, every node's local cache kept in sync.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BOUND, Cleanup, client, collect, sleep, startNode, startRedis, uid, DELIVERY_MS, type Node, type RedisServer, type Teardown } from './support.js';

/** Subscribes on `node` (a fresh client each try) until the retained message of `topic` arrives; bounded. */
async function retainedOn(t: Teardown, node: Node, topic: string): Promise<{ payload: string; retain: boolean }> {
  const deadline = Date.now() + DELIVERY_MS;
  for (;;) {
    const c = await client(t, node, 5);
    const got = collect(c);
    await c.subscribeAsync(topic, { qos: 1 });
    await got.until((m) => m.length > 0, 'retained', 1000).catch(() => {});
    c.end(true);
    const m = got.messages[0];
    if (m) return { payload: m.payload, retain: m.packet.retain };
    if (Date.now() > deadline) throw new Error(`no retained message for ${topic} on ${node.id}`);
  }
}

/** Subscribes on `node` until no retained message arrives for `topic` within a second; bounded. */
async function clearedOn(t: Teardown, node: Node, topic: string): Promise<void> {
  const deadline = Date.now() + DELIVERY_MS;
  while (Date.now() < deadline) {
    const c = await client(t, node, 5);
    const got = collect(c);
    await c.subscribeAsync(topic, { qos: 1 });
    await sleep(1000);
    c.end(true);
    if (got.messages.length === 0) return;
  }
  throw new Error(`${topic} is still retained on ${node.id}`);
}

describe('retained messages across nodes', () => {
  const cleanup = new Cleanup();
  after(() => cleanup.run());
  let redis: RedisServer;
  let n1: Node, n2: Node, n3: Node;
  before(async () => {
    redis = await startRedis(cleanup);
    [n1, n2, n3] = await Promise.all(['r1', 'r2', 'r3'].map((id) => startNode(cleanup, redis, id)));
  }, BOUND);

  test('v5 [MQTT-3.3.1-5] [MQTT-3.3.1-9] a message retained on n1 is sent with RETAIN set to a new subscriber on n2', BOUND, async (t) => {
    const topic = `ret/${uid()}/a`;
    const pub = await client(t, n1, 5);
    await pub.publishAsync(topic, 'kept', { qos: 1, retain: true });
    assert.deepEqual(await retainedOn(t, n2, topic), { payload: 'kept', retain: true });
  });

  test('v3.1.1 [MQTT-3.3.1-10] [MQTT-3.3.1-11] an empty retained message published on n3 clears the topic on n1 too', BOUND, async (t) => {
    const topic = `ret/${uid()}/b`;
    const pub1 = await client(t, n1, 4);
    await pub1.publishAsync(topic, 'old', { qos: 1, retain: true });
    assert.equal((await retainedOn(t, n3, topic)).payload, 'old');
    const pub3 = await client(t, n3, 4);
    await pub3.publishAsync(topic, '', { qos: 1, retain: true });
    await clearedOn(t, n1, topic);
  });

  test('v5 [MQTT-3.3.1-5] a node that joins later has the retained messages stored before it started', BOUND, async (t) => {
    const topic = `ret/${uid()}/c`;
    const pub = await client(t, n2, 5);
    await pub.publishAsync(topic, 'before', { qos: 1, retain: true });
    await retainedOn(t, n1, topic); // stored in Redis by now
    const late = await startNode(t, redis, `late${uid()}`);
    const c = await client(t, late, 5);
    const got = collect(c);
    await c.subscribeAsync(topic, { qos: 1 });
    await got.until((m) => m.length === 1, 'the retained message, at once'); // no retry: loaded at start
    assert.equal(got.messages[0]!.payload, 'before');
    assert.equal(got.messages[0]!.packet.retain, true);
  });
});
