// --cluster redis-cluster://: the nodes keep their state on a real three-master Redis Cluster (every key on the
// slot of the {glassmq} hash tag, so each MULTI stays on one master) and exchange messages through its pub/sub.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster } from 'ioredis';
import { BOUND, Cleanup, client, collect, startNode, startRedisCluster, uid, waitForRoute, type Node, type RedisServer } from './support.js';

describe('two nodes on a three-master Redis Cluster', () => {
  const cleanup = new Cleanup();
  after(() => cleanup.run());
  let redis: RedisServer & { ports: number[] };
  let a: Node, b: Node;
  before(async () => {
    redis = await startRedisCluster(cleanup);
    [a, b] = await Promise.all(['ca', 'cb'].map((id) => startNode(cleanup, redis, id)));
  }, BOUND);

  for (const version of [4, 5] as const) {
    test(`v${version === 4 ? '3.1.1' : '5'} QoS 0/1/2 published on one node reach a subscriber on the other`, BOUND, async (t) => {
      const root = `rc/${uid()}`;
      const pub = await client(t, a, version);
      const sub = await client(t, b, version);
      const got = collect(sub);
      await sub.subscribeAsync(`${root}/#`, { qos: 2 });
      await waitForRoute(pub, got, `${root}/probe`);
      for (const qos of [0, 1, 2] as const) await pub.publishAsync(`${root}/m`, `q${qos}`, { qos });
      await got.until((m) => m.filter((x) => x.topic === `${root}/m`).length === 3, 'three messages on cb');
      // order is kept per QoS only [MQTT-4.6.0-6]: QoS 0 and QoS 1/2 take different paths between nodes
      const real = got.messages.filter((x) => x.topic === `${root}/m`).map((x) => [x.payload, x.packet.qos]);
      assert.deepEqual(real.sort(), [['q0', 0], ['q1', 1], ['q2', 2]]);
    });
  }

  test('[MQTT-4.6.0-6] QoS 0 messages of one publisher reach a subscriber on the other node in order', BOUND, async (t) => {
    const root = `rc/${uid()}`;
    const pub = await client(t, a, 4);
    const sub = await client(t, b, 4);
    const got = collect(sub);
    await sub.subscribeAsync(`${root}/#`, { qos: 0 });
    await waitForRoute(pub, got, `${root}/probe`);
    const n = 1000;
    for (let i = 0; i < n; i++) pub.publish(`${root}/m`, `m${i}`, { qos: 0 });
    await got.until((m) => m.filter((x) => x.topic === `${root}/m`).length === n, `the ${n} messages on cb`);
    const order = got.messages.filter((x) => x.topic === `${root}/m`).map((x) => x.payload);
    assert.deepEqual(order, Array.from({ length: n }, (_, i) => `m${i}`));
  });

  test('a retained message set on one node is served by the other (kept on the cluster, announced to every node)', BOUND, async (t) => {
    const topic = `rc/${uid()}/retained`;
    const pub = await client(t, a, 5);
    await pub.publishAsync(topic, 'kept', { qos: 1, retain: true });
    const seeds = redis.ports.map((port) => ({ host: '127.0.0.1', port }));
    const rc = new Cluster(seeds, { lazyConnect: true });
    t.after(() => rc.disconnect());
    await rc.connect();
    // wait until the hash on the cluster has it: then a new subscriber on the other node must get it
    const deadline = Date.now() + 20_000;
    while ((await rc.hexists('{glassmq}:retained', topic)) === 0) {
      if (Date.now() > deadline) throw new Error('retained message never reached the Redis Cluster');
      await new Promise((r) => setTimeout(r, 200));
    }
    // node b learns it from the announcement (pub/sub, relayed between the masters): subscribe again until it has
    const sub = await client(t, b, 5);
    const got = collect(sub);
    const seen = (): boolean => got.messages.some((x) => x.topic === topic && x.payload === 'kept');
    while (!seen()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for the retained message on cb; got ${JSON.stringify(got.messages)}`);
      await sub.subscribeAsync(topic, { qos: 1 });
      await got.until(seen, 'the retained message on cb', 1000).catch(() => sub.unsubscribeAsync(topic));
    }
    assert.equal(got.messages.find((x) => x.topic === topic)!.packet.retain, true); // [MQTT-3.3.1-8]
  });
});
