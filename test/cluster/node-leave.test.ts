// A node that stops cleanly (SIGTERM) hands its persistent sessions to a survivor, as a killed node's are adopted:
// their expiry timers run there, what is published for them is queued there, and the node's stream is drained
// into them and deleted. Before, they stayed in Redis, owned by a node that was gone, and never expired.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IClientOptions } from 'mqtt';
import { BOUND, client, connectWithAck, redisClient, sleep, startNode, startRedis, uid, waitFor, waitForRoute } from './support.js';

const KEY = '{glassmq}:';
const LEFT = /node (\S+) left: adopted (\d+) of its session\(s\)/;


test('v5 [MQTT-3.2.2-2] [MQTT-4.1.0-2] a node stopped with SIGTERM: a survivor adopts its sessions, queues for them, resumes them, and expires them on time', BOUND, async (t) => {
  const server = await startRedis(t);
  const [leaving, s1, s2] = await Promise.all(['l1', 'l2', 'l3'].map((id) => startNode(t, server, id)));
  const redis = await redisClient(t, server);
  const root = `leave/${uid()}`;
  const pub = await client(t, s1, 5);

  // two persistent sessions parked on the leaving node: one that comes back, one that expires after 4 s offline
  const keep = uid('keep');
  const brief = uid('brief');
  const keepOpts: IClientOptions = { clientId: keep, clean: false, properties: { sessionExpiryInterval: 300 } };
  for (const [id, expiry] of [[keep, 300], [brief, 4]] as const) {
    const { client: sub, got } = await connectWithAck(t, leaving, 5, { clientId: id, clean: false, properties: { sessionExpiryInterval: expiry } });
    await sub.subscribeAsync(`${root}/#`, { qos: 1 });
    await waitForRoute(pub, got, `${root}/probe`);
    await sub.endAsync();
  }
  for (let i = 0; i < 5; i++) await pub.publishAsync(`${root}/m`, `before${i}`, { qos: 1 });
  await waitFor(async () => (await redis.llen(`${KEY}queue:${keep}`)) === 5, 'five messages queued on the leaving node');

  await leaving.stop();
  await waitFor(async () => [s1, s2].some((n) => LEFT.test(n.output())), 'a survivor adopting the sessions of the node that left');
  const adopter = [s1, s2].find((n) => LEFT.test(n.output()))!;
  const [, who, count] = LEFT.exec(adopter.output())!;
  assert.equal(who, leaving.id);
  assert.equal(Number(count), 2);
  assert.equal(await redis.hget(`${KEY}session:${keep}`, 'owner'), adopter.id);

  // published after the leave: queued by the adopter (its filters are announced), none lost
  await waitFor(async () => {
    await pub.publishAsync(`${root}/probe`, 'p', { qos: 0 });
    return (await redis.hget(`${KEY}session:${keep}`, 'owner')) === adopter.id && (await redis.sismember(`${KEY}filters:${adopter.id}`, `${root}/#`)) === 1;
  }, "the adopter announcing the sessions' filter");
  for (let i = 0; i < 5; i++) await pub.publishAsync(`${root}/m`, `after${i}`, { qos: 1 });

  // the session with 4 s of expiry goes on time on the adopter [MQTT-4.1.0-2] (it stayed forever before)
  await waitFor(async () => (await redis.exists(`${KEY}session:${brief}`)) === 0, 'the short session expiring on the adopter', 30_000);

  // the client comes back on the other survivor: Session Present 1, every message once, in order
  const other = adopter === s1 ? s2 : s1;
  const { connack, got } = await connectWithAck(t, other, 5, keepOpts);
  assert.equal(connack.sessionPresent, true);
  const expected = [...Array.from({ length: 5 }, (_, i) => `before${i}`), ...Array.from({ length: 5 }, (_, i) => `after${i}`)];
  await got.until((m) => m.filter((x) => x.topic === `${root}/m`).length >= 10, 'the ten messages on the other survivor');
  await sleep(300);
  assert.deepEqual(got.messages.filter((x) => x.topic === `${root}/m`).map((x) => x.payload), expected);

  // the node's stream is drained and deleted once the other nodes can no longer send to it
  await waitFor(async () => (await redis.exists(`${KEY}stream:${leaving.id}`)) === 0, "the left node's stream deleted", 40_000);
  assert.equal(await redis.scard(`${KEY}sessions:${leaving.id}`), 0);
});
