// Redis lost while sessions live in it: nothing blocks (acknowledgements go out), and when Redis returns (here:
// restarted empty) each node writes the persistent sessions it holds back, so they can still move between nodes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IClientOptions } from 'mqtt';
import { BOUND, client, connectWithAck, DELIVERY_MS, redisClient, sleep, startNode, startRedis, uid, waitForRoute } from './support.js';

const KEY = '{glassmq}:';
const RECOVERY_MS = 60_000;

test('v5 Redis restarted empty: QoS 1 is acknowledged during the outage, the session is written back and resumes on another node', BOUND, async (t) => {
  const server = await startRedis(t);
  const [a, b] = await Promise.all(['o1', 'o2'].map((id) => startNode(t, server, id)));
  const id = uid('outage');
  const root = `outage/${id}`;
  const opts: IClientOptions = { clientId: id, clean: false, properties: { sessionExpiryInterval: 300 } };
  const { client: sub, got: probes } = await connectWithAck(t, a, 5, opts);
  await sub.subscribeAsync(`${root}/#`, { qos: 1 });
  const pub = await client(t, a, 5); // same node: routing needs no Redis
  await waitForRoute(pub, probes, `${root}/probe`);
  await sub.endAsync();

  await server.stop();
  for (let i = 0; i < 5; i++) await withTimeout(pub.publishAsync(`${root}/m`, `m${i}`, { qos: 1 }), `PUBACK of m${i} while Redis is down`);
  await server.start(); // empty: nothing of the session is left in Redis

  const redis = await redisClient(t, server);
  await waitFor(async () => (await redis.llen(`${KEY}queue:${id}`)) === 5 && (await redis.hget(`${KEY}session:${id}`, 'owner')) === a.id, 'the session written back to Redis', RECOVERY_MS);
  const { connack, got } = await connectWithAck(t, b, 5, opts);
  assert.equal(connack.sessionPresent, true); // [MQTT-3.2.2-2]
  await got.until((m) => m.filter((x) => x.topic === `${root}/m`).length >= 5, 'the 5 messages queued during the outage');
  assert.deepEqual(got.messages.filter((x) => x.topic === `${root}/m`).map((x) => x.payload), ['m0', 'm1', 'm2', 'm3', 'm4']);
  assert.match(a.output(), /Redis is away: sessions are not written/);
});

async function waitFor(pred: () => Promise<boolean>, what: string, ms = DELIVERY_MS): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await pred().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  return Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), DELIVERY_MS).unref())]);
}
