// --cluster redis-sentinel://: the nodes find the master through a real Sentinel (redis-server --sentinel) and
// act as one broker through it; a Sentinel that does not know the master name stops the start with one line.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { runGlassmq } from '../helpers/net.js';
import { BOUND, Cleanup, client, collect, DELIVERY_MS, sleep, startNode, startSentinel, STARTUP_MS, uid, waitForRoute, type Node, type RedisServer } from './support.js';

const EXIT_FAILURE = 1;

describe('two nodes through a Sentinel', () => {
  const cleanup = new Cleanup();
  after(() => cleanup.run());
  let sentinel: RedisServer & { master: RedisServer };
  let a: Node, b: Node;
  before(async () => {
    sentinel = await startSentinel(cleanup, 'gmaster');
    [a, b] = await Promise.all(['sa', 'sb'].map((id) => startNode(cleanup, sentinel, id)));
  }, BOUND);

  test('QoS 1 published on one node reaches a subscriber on the other, through the master the Sentinel names', BOUND, async (t) => {
    const root = `sentinel/${uid()}`;
    const pub = await client(t, a, 5);
    const sub = await client(t, b, 5);
    const got = collect(sub);
    await sub.subscribeAsync(`${root}/#`, { qos: 1 });
    await waitForRoute(pub, got, `${root}/probe`);
    for (let i = 0; i < 5; i++) await pub.publishAsync(`${root}/m`, String(i), { qos: 1 });
    await got.until((m) => m.filter((x) => x.topic === `${root}/m`).length === 5, 'five messages on sb');
    assert.deepEqual(got.messages.filter((x) => x.topic === `${root}/m`).map((x) => x.payload), ['0', '1', '2', '3', '4']);
    // the state is on the master the Sentinel watches: both nodes registered there
    const master = new Redis({ host: '127.0.0.1', port: sentinel.master.port, lazyConnect: true });
    t.after(() => master.disconnect());
    await master.connect();
    assert.deepEqual((await master.smembers('{glassmq}:nodes')).sort(), ['sa', 'sb']);
  });

  test('a master name the Sentinel does not know: one line naming --cluster, status 1', BOUND, async () => {
    const url = `redis-sentinel://127.0.0.1:${sentinel.port}/nosuchmaster`;
    const r = await runGlassmq(['broker', '--port', '0', '--memory', '--cluster', url, '--node-id', 'lost'], { timeoutMs: 45_000 });
    assert.equal(r.code, EXIT_FAILURE);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, new RegExp(`^glassmq broker: --cluster: cannot reach Redis at redis-sentinel://127\\.0\\.0\\.1:${sentinel.port}/nosuchmaster: `));
  });
});

describe('a Sentinel failover under two nodes', () => {
  const cleanup = new Cleanup();
  after(() => cleanup.run());
  let sentinel: RedisServer & { master: RedisServer; replica?: RedisServer };
  let a: Node, b: Node;
  before(async () => {
    sentinel = await startSentinel(cleanup, 'fmaster', { replica: true });
    [a, b] = await Promise.all(['fa', 'fb'].map((id) => startNode(cleanup, sentinel, id)));
  }, BOUND);

  test('the master dies, the Sentinel promotes the replica: both nodes follow it and cross-node delivery resumes', BOUND, async (t) => {
    const root = `failover/${uid()}`;
    const pub = await client(t, a, 5);
    const sub = await client(t, b, 5);
    const got = collect(sub);
    await sub.subscribeAsync(`${root}/#`, { qos: 1 });
    await waitForRoute(pub, got, `${root}/probe`);
    await sentinel.master.stop();
    // the replica becomes the master once the Sentinel has seen the old one silent for 1 s
    const replica = new Redis({ host: '127.0.0.1', port: sentinel.replica!.port, lazyConnect: true });
    t.after(() => replica.disconnect());
    await replica.connect();
    const deadline = Date.now() + STARTUP_MS;
    while (!/role:master/.test(await replica.info('replication'))) {
      if (Date.now() > deadline) assert.fail('the Sentinel never promoted the replica');
      await sleep(250);
    }
    // both nodes register again on the new master, and messages cross again
    await waitForRoute(pub, got, `${root}/probe-after`, STARTUP_MS);
    await pub.publishAsync(`${root}/m`, 'after the failover', { qos: 1 });
    await got.until((m) => m.some((x) => x.topic === `${root}/m` && x.payload === 'after the failover'), 'the message after the failover');
    const until = Date.now() + DELIVERY_MS;
    const registered = async (): Promise<string[]> => (await replica.smembers('{glassmq}:nodes')).sort();
    while ((await registered()).length < 2 && Date.now() < until) await sleep(250);
    assert.deepEqual(await registered(), ['fa', 'fb']);
    assert.match(a.output() + b.output(), /Redis is back after \d+ ms/);
  });
});
