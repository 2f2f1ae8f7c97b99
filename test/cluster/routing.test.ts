// Cross-node routing: three glassmq nodes on one Redis act as one broker for MQTT.js clients spread over them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { keys } from '../../src/cluster/keys.js';
import { BOUND, Cleanup, client, collect, eventually, redisClient, sleep, startNode, startRedis, sysValue, uid, waitForRoute, waitForSys, type Node, type RedisServer } from './support.js';

describe('three nodes on one Redis', () => {
  const cleanup = new Cleanup();
  after(() => cleanup.run());
  let n1: Node, n2: Node, n3: Node;
  let redis: RedisServer;
  before(async () => {
    redis = await startRedis(cleanup);
    [n1, n2, n3] = await Promise.all(['n1', 'n2', 'n3'].map((id) => startNode(cleanup, redis, id)));
  }, BOUND);

  for (const version of [4, 5] as const) {
    test(`${version === 4 ? 'v3.1.1 [MQTT-3.8.4-6]' : 'v5 [MQTT-3.8.4-8]'} QoS 0/1/2 published on n1 reach n2 and n3 with min(publish QoS, granted QoS)`, BOUND, async (t) => {
      const root = `qos/${uid()}`;
      const pub = await client(t, n1, version);
      const s2 = await client(t, n2, version);
      const s3 = await client(t, n3, version);
      const got2 = collect(s2);
      const got3 = collect(s3);
      await s2.subscribeAsync(`${root}/#`, { qos: 2 });
      await s3.subscribeAsync(`${root}/#`, { qos: 1 });
      await waitForRoute(pub, got2, `${root}/probe`);
      await waitForRoute(pub, got3, `${root}/probe`);
      for (const qos of [0, 1, 2] as const) await pub.publishAsync(`${root}/m`, `q${qos}`, { qos });
      const real = (m: { topic: string }[]): number => m.filter((x) => x.topic === `${root}/m`).length;
      await got2.until((m) => real(m) === 3, 'three messages on n2');
      await got3.until((m) => real(m) === 3, 'three messages on n3');
      const qosOf = (list: typeof got2.messages, payload: string): number => list.find((m) => m.topic === `${root}/m` && m.payload === payload)!.packet.qos;
      assert.deepEqual([qosOf(got2.messages, 'q0'), qosOf(got2.messages, 'q1'), qosOf(got2.messages, 'q2')], [0, 1, 2]);
      assert.deepEqual([qosOf(got3.messages, 'q0'), qosOf(got3.messages, 'q1'), qosOf(got3.messages, 'q2')], [0, 1, 1]);
    });
  }

  test('v5 [MQTT-3.3.4-2] [MQTT-4.6.0-6] every subscriber on every node, the publishing node included, gets each message exactly once and in order', BOUND, async (t) => {
    const root = `once/${uid()}`;
    const pub = await client(t, n1, 5);
    const subs = await Promise.all([n1, n2, n3, n2].map((n) => client(t, n, 5)));
    const got = subs.map(collect);
    // the second subscriber on n2 overlaps two filters: still one copy for its session, v5 [MQTT-3.3.4-2]
    await subs[0]!.subscribeAsync(`${root}/#`, { qos: 1 });
    await subs[1]!.subscribeAsync(`${root}/+`, { qos: 1 });
    await subs[2]!.subscribeAsync(`${root}/#`, { qos: 1 });
    await subs[3]!.subscribeAsync([`${root}/+`, `${root}/#`], { qos: 1 });
    for (const g of got) await waitForRoute(pub, g, `${root}/probe`);
    const count = 20;
    for (let i = 0; i < count; i++) await pub.publishAsync(`${root}/m`, String(i), { qos: 1 });
    const real = (m: { topic: string; payload: string }[]): string[] => m.filter((x) => x.topic === `${root}/m`).map((x) => x.payload);
    for (const g of got) await g.until((m) => real(m).length >= count, `${count} messages`);
    await sleep(1500); // room for a duplicate to show up
    const expected = Array.from({ length: count }, (_, i) => String(i));
    for (const g of got) assert.deepEqual(real(g.messages), expected);
  });

  test('filters are shared: a message goes only to nodes with a matching subscriber (n3 has none and receives nothing)', BOUND, async (t) => {
    const root = `only/${uid()}`;
    const before3 = Number(await sysValue(t, n3, 'cluster/messages/received'));
    const before2 = Number(await sysValue(t, n2, 'cluster/messages/received'));
    const pub = await client(t, n1, 4);
    const s2 = await client(t, n2, 4);
    const got2 = collect(s2);
    await s2.subscribeAsync(`${root}/#`, { qos: 1 });
    await waitForRoute(pub, got2, `${root}/probe`);
    const count = 20;
    for (let i = 0; i < count; i++) await pub.publishAsync(`${root}/m`, String(i), { qos: 1 });
    await got2.until((m) => m.filter((x) => x.topic === `${root}/m`).length === count, `${count} messages on n2`);
    // n2's counter shows the messages crossed; n3's did not move
    await waitForSys(t, n2, 'cluster/messages/received', (v) => Number(v) >= before2 + count);
    await sleep(2500); // two $SYS intervals: n3's counter would show them by now
    assert.equal(Number(await sysValue(t, n3, 'cluster/messages/received')), before3);
  });

  test('v5 [MQTT-4.8.2-3] a share group with members on three nodes gets each message once, taking turns across the nodes', BOUND, async (t) => {
    const root = `share/${uid()}`;
    const pub = await client(t, n1, 5);
    const members = await Promise.all([n1, n2, n3].map((n) => client(t, n, 5)));
    const got = members.map(collect);
    for (const m of members) await m.subscribeAsync(`$share/workers/${root}/#`, { qos: 1 });
    // probes until every member had one: the publishing node then knows the group on all three nodes
    const deadline = Date.now() + 30_000;
    let n = 0;
    while (!got.every((g) => g.messages.some((m) => m.topic === `${root}/probe`))) {
      assert.ok(Date.now() < deadline, 'every member should get a probe');
      await pub.publishAsync(`${root}/probe`, String(n++), { qos: 1 });
      await sleep(100);
    }
    const count = 30;
    for (let i = 0; i < count; i++) await pub.publishAsync(`${root}/m`, String(i), { qos: 1 });
    const real = (g: (typeof got)[number]): string[] => g.messages.filter((m) => m.topic === `${root}/m`).map((m) => m.payload);
    await eventually(() => got.reduce((sum, g) => sum + real(g).length, 0) >= count, `${count} messages over the group`);
    await sleep(1500); // room for a duplicate to show up
    const all = got.flatMap(real).sort((a, b) => Number(a) - Number(b));
    assert.deepEqual(all, Array.from({ length: count }, (_, i) => String(i))); // each once
    for (const g of got) assert.ok(real(g).length > 0, 'every node took turns');
  });

  test('QoS 1/2 cross through the receiving node\'s stream, which keeps nothing once the messages are delivered; QoS 0 does not touch it', BOUND, async (t) => {
    const root = `stream/${uid()}`;
    const admin = await redisClient(t, redis);
    const pub = await client(t, n1, 5);
    const s3 = await client(t, n3, 5);
    const got3 = collect(s3);
    await s3.subscribeAsync(`${root}/#`, { qos: 2 });
    await waitForRoute(pub, got3, `${root}/probe`);
    const ackedBefore = Number(await sysValue(t, n3, 'cluster/stream/acked'));
    const count = 40;
    for (let i = 0; i < count; i++) await pub.publishAsync(`${root}/m`, String(i), { qos: (1 + (i % 2)) as 1 | 2 });
    for (let i = 0; i < 10; i++) await pub.publishAsync(`${root}/zero`, String(i), { qos: 0 });
    await got3.until((m) => m.filter((x) => x.topic === `${root}/m`).length === count, `${count} messages on n3`);
    await waitForSys(t, n3, 'cluster/stream/acked', (v) => Number(v) >= ackedBefore + count); // the QoS 0 ones are not entries
    await sleep(1500); // a $SYS interval: an entry for a QoS 0 message would show by now
    assert.equal(Number(await sysValue(t, n3, 'cluster/stream/acked')), ackedBefore + count);
    // acknowledged entries are deleted: the stream stays empty, and its consumer has nothing pending
    assert.equal(await admin.xlen(keys.stream('n3')), 0);
    const [pending] = (await admin.xpending(keys.stream('n3'), 'glassmq')) as [number];
    assert.equal(pending, 0);
  });

  test('$SYS/broker/cluster/total/clients/connected on one node counts the clients of every node', BOUND, async (t) => {
    for (const n of [n2, n2, n2, n3, n3]) await client(t, n, 4);
    // 5 held on n2 and n3 (n1 holds none: its own $SYS readers come and go); totals lag by a heartbeat and a resync
    const total = await waitForSys(t, n1, 'cluster/total/clients/connected', (v) => Number(v) >= 5, 40_000);
    assert.ok(Number(total) >= 5);
    assert.equal(await sysValue(t, n1, 'cluster/nodes'), '3');
  });

  test('v5 [MQTT-3.8.3-3] No Local holds across nodes: the publisher does not get its own message back through another node', BOUND, async (t) => {
    const root = `nolocal/${uid()}`;
    const both = await client(t, n1, 5);
    const s2 = await client(t, n2, 5);
    const gotBoth = collect(both);
    const got2 = collect(s2);
    await both.subscribeAsync(`${root}/#`, { qos: 1, nl: true });
    await s2.subscribeAsync(`${root}/#`, { qos: 1 });
    await waitForRoute(both, got2, `${root}/probe`);
    await both.publishAsync(`${root}/m`, 'mine', { qos: 1 });
    await got2.until((m) => m.some((x) => x.topic === `${root}/m`), 'the message on n2');
    await sleep(1000);
    assert.equal(gotBoth.messages.length, 0);
  });
});
