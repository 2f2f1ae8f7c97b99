// Redis lost while running: local traffic keeps flowing, cross-node traffic resumes when Redis returns (here
// restarted empty, as after a crash without persistence), and the gap is logged and counted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BOUND, client, collect, redisClient, sleep, startNode, startRedis, sysValue, uid, waitForRoute, waitForSys } from './support.js';

test('Redis restarted mid-run: local delivery goes on during the outage, cross-node delivery resumes after it, the gap is logged and counted', BOUND, async (t) => {
  const redis = await startRedis(t);
  const [n1, n2] = await Promise.all([startNode(t, redis, 'o1'), startNode(t, redis, 'o2')]);
  const root = `out/${uid()}`;
  const pub = await client(t, n1, 5);
  const local = await client(t, n1, 5);
  const remote = await client(t, n2, 5);
  const gotLocal = collect(local);
  const gotRemote = collect(remote);
  await local.subscribeAsync(`${root}/#`, { qos: 1 });
  await remote.subscribeAsync(`${root}/#`, { qos: 1 });
  await waitForRoute(pub, gotRemote, `${root}/before`);

  await redis.stop();
  await waitForSys(t, n1, 'cluster/redis/connected', (v) => v === '0');
  for (let i = 0; i < 5; i++) await pub.publishAsync(`${root}/during`, String(i), { qos: 1 });
  await gotLocal.until((m) => m.filter((x) => x.topic === `${root}/during`).length === 5, 'local delivery during the outage');
  assert.equal(gotRemote.messages.filter((x) => x.topic === `${root}/during`).length, 0);

  await redis.start(); // empty: every node writes its filters and retained messages back
  await waitForRoute(pub, gotRemote, `${root}/after`, 60_000);
  // QoS 1/2 cross the stream: its consumer group is created again on the empty Redis, and nothing is left behind
  for (let i = 0; i < 5; i++) await pub.publishAsync(`${root}/m`, `back ${i}`, { qos: 1 });
  await gotRemote.until((m) => m.filter((x) => x.topic === `${root}/m`).length === 5, 'cross-node QoS 1 delivery after the outage');
  await waitForSys(t, n2, 'cluster/stream/acked', (v) => Number(v) >= 5);

  await sleep(1500); // a $SYS interval
  assert.equal(await sysValue(t, n1, 'cluster/redis/outages'), '1');
  assert.ok(Number(await sysValue(t, n1, 'cluster/messages/undeliverable')) >= 5);
  assert.match(n1.output(), /lost the connection to Redis/);
  assert.match(n1.output(), /Redis is back after \d+ ms; \d+ cross-node message\(s\) were not forwarded/);
});

test('v5 [MQTT-4.3.2-4] the PUBACK of a cross-node QoS 1 message leaves only once Redis has stored it; a Redis that stops answering holds it at most 5 s', BOUND, async (t) => {
  const redis = await startRedis(t);
  const [n1, n2] = await Promise.all([startNode(t, redis, 'p1'), startNode(t, redis, 'p2')]);
  const root = `ack/${uid()}`;
  const pub = await client(t, n1, 5);
  const remote = await client(t, n2, 5);
  const got = collect(remote);
  await remote.subscribeAsync(`${root}/#`, { qos: 1 });
  await waitForRoute(pub, got, `${root}/probe`);
  const admin = await redisClient(t, redis);

  // Redis takes no writes for 4 s (less than the 5 s an ack waits at most): the XADD waits, and so does the PUBACK
  await admin.client('PAUSE', 4000, 'WRITE');
  let t0 = Date.now();
  await pub.publishAsync(`${root}/m`, 'held', { qos: 1 });
  assert.ok(Date.now() - t0 >= 2000, `PUBACK after ${Date.now() - t0} ms, while Redis held the write`);
  await got.until((m) => m.some((x) => x.payload === 'held'), 'the held message on n2');

  // Redis answers nothing for 12 s: after 5 s the PUBACK leaves anyway (local traffic is not held hostage) and is counted
  await admin.client('PAUSE', 12_000, 'ALL');
  t0 = Date.now();
  await pub.publishAsync(`${root}/m`, 'unconfirmed', { qos: 1 });
  const waited = Date.now() - t0;
  assert.ok(waited >= 4000 && waited < 11_000, `PUBACK after ${waited} ms`);
  await got.until((m) => m.some((x) => x.payload === 'unconfirmed'), 'the message once Redis answers again', 60_000);
  await waitForSys(t, n1, 'cluster/messages/unconfirmed', (v) => Number(v) >= 1, 60_000);
});
