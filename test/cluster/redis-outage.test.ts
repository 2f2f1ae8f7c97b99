// Redis lost while running: local traffic keeps flowing, cross-node traffic resumes when Redis returns (here
// restarted empty, as after a crash without persistence), and the gap is logged and counted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BOUND, client, collect, sleep, startNode, startRedis, sysValue, uid, waitForRoute, waitForSys } from './support.js';

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
  await pub.publishAsync(`${root}/m`, 'back', { qos: 1 });
  await gotRemote.until((m) => m.some((x) => x.topic === `${root}/m`), 'cross-node delivery after the outage');

  await sleep(1500); // a $SYS interval
  assert.equal(await sysValue(t, n1, 'cluster/redis/outages'), '1');
  assert.ok(Number(await sysValue(t, n1, 'cluster/messages/undeliverable')) >= 5);
  assert.match(n1.output(), /lost the connection to Redis/);
  assert.match(n1.output(), /Redis is back after \d+ ms; \d+ cross-node message\(s\) were not forwarded/);
});
