// A node that only stalled (frozen longer than its alive key lives) is taken for dead and its persistent sessions are
// adopted by a survivor. When it thaws it must not write its stale copies over the survivor's: the survivor marks it
// reaped before adopting, every session write of the node checks that mark in the same atomic step, and the node then
// drops those sessions (closing their connections) and joins again. Before, its next write made it the owner again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IClientOptions } from 'mqtt';
import { BOUND, client, connectWithAck, redisClient, sleep, startNode, startRedis, uid, waitFor, waitForRoute } from './support.js';

const KEY = '{glassmq}:';
/** Alive key (6 s) + resync (5 s), with a wide margin for a loaded machine. */
const DEATH_NOTICED_MS = 45_000;
const ADOPTED = /node (\S+) stopped beating: removed it, published \d+ will\(s\) of its clients, adopted (\d+) session\(s\)/;


test('v5 [MQTT-3.2.2-2] a frozen node taken for dead does not undo the adoption of its sessions when it thaws: it drops them and joins again', BOUND, async (t) => {
  const server = await startRedis(t);
  const [frozen, s1, s2] = await Promise.all(['f1', 'f2', 'f3'].map((id) => startNode(t, server, id)));
  const redis = await redisClient(t, server);
  const id = uid('stalled');
  const root = `stall/${id}`;
  const opts: IClientOptions = { clientId: id, clean: false, properties: { sessionExpiryInterval: 300 }, keepalive: 0 };
  const { client: sub, got } = await connectWithAck(t, frozen, 5, opts);
  await sub.subscribeAsync(`${root}/#`, { qos: 1 });
  const pub = await client(t, s1, 5);
  await waitForRoute(pub, got, `${root}/probe`);

  frozen.freeze();
  await waitFor(() => [s1, s2].some((n) => ADOPTED.test(n.output())), 'a survivor adopting the frozen node\'s session', DEATH_NOTICED_MS);
  const adopter = [s1, s2].find((n) => ADOPTED.test(n.output()))!;
  assert.equal(ADOPTED.exec(adopter.output())![1], frozen.id);
  await waitFor(async () => (await redis.hget(`${KEY}session:${id}`, 'owner')) === adopter.id, 'the survivor owning the session in Redis');
  for (let i = 0; i < 10; i++) await pub.publishAsync(`${root}/m`, `m${i}`, { qos: 1 });
  await waitFor(async () => (await redis.llen(`${KEY}queue:${id}`)) === 10, 'ten messages queued by the survivor');

  // the node thaws; its client, still connected there, goes away: the node's session changes (offline now)
  frozen.thaw();
  sub.end(true);
  await waitFor(() => /dropped 1 session\(s\) adopted by other nodes/.test(frozen.output()), 'the thawed node dropping the adopted session');
  await sleep(1000); // any write the thawed node would still make
  assert.equal(await redis.hget(`${KEY}session:${id}`, 'owner'), adopter.id, 'the survivor still owns the session');
  assert.equal(await redis.llen(`${KEY}queue:${id}`), 10, 'its queue is intact');
  assert.equal(await redis.exists(`${KEY}reaped:${frozen.id}`), 0, 'the node registered again');

  // the client resumes on the other survivor: Session Present 1, every message once, in order
  const other = adopter === s1 ? s2 : s1;
  const again = await connectWithAck(t, other, 5, opts);
  assert.equal(again.connack.sessionPresent, true);
  await again.got.until((m) => m.filter((x) => x.topic === `${root}/m`).length >= 10, 'the ten queued messages');
  await sleep(300);
  assert.deepEqual(again.got.messages.filter((x) => x.topic === `${root}/m`).map((x) => x.payload), Array.from({ length: 10 }, (_, i) => `m${i}`));

  // and the thawed node is a member again: a message published there reaches the client
  const late = await client(t, frozen, 5);
  await waitForRoute(late, again.got, `${root}/probe2`);
});
