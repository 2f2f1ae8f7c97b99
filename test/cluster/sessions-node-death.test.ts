// A node killed with SIGKILL: a survivor adopts its persistent sessions (queue, subscriptions, expiry), so their
// clients reconnect to any other node and get what was queued; the wills of its clients honour the Will Delay
// Interval from the moment of adoption, and are not sent if the client reconnects in time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IClientOptions } from 'mqtt';
import { BOUND, client, collect, connectWithAck, redisClient, sleep, startNode, startRedis, uid, waitForRoute, waitFor } from './support.js';

const KEY = '{glassmq}:';
/** Heartbeat timeout (6 s) + resync (5 s), with a wide margin for a loaded machine. */
const DEATH_NOTICED_MS = 45_000;
const ADOPTED = /node (\S+) stopped beating: removed it, published \d+ will\(s\) of its clients, adopted (\d+) session\(s\)/;

for (const version of [4, 5] as const) {
  test(`v${version === 4 ? '3.1.1' : '5'} a node killed with SIGKILL: its client reconnects to another node at once and gets every queued message (Session Present 1)`, BOUND, async (t) => {
    const server = await startRedis(t);
    const [doomed, s1, s2] = await Promise.all(['k1', 'k2', 'k3'].map((id) => startNode(t, server, id)));
    const redis = await redisClient(t, server);
    const id = uid('orphan');
    const root = `orphan/${id}`;
    const opts: IClientOptions = version === 5 ? { clientId: id, clean: false, properties: { sessionExpiryInterval: 300 } } : { clientId: id, clean: false };
    const { client: sub, got: first } = await connectWithAck(t, doomed, version, opts);
    await sub.subscribeAsync(`${root}/#`, { qos: 1 });
    const pub = await client(t, s1, 5);
    await waitForRoute(pub, first, `${root}/probe`);
    await sub.endAsync();
    for (let i = 0; i < 10; i++) await pub.publishAsync(`${root}/m`, `m${i}`, { qos: 1 });
    await waitFor(async () => (await redis.llen(`${KEY}queue:${id}`)) === 10, 'the 10 messages queued in Redis');
    await doomed.kill();

    // at once: the CONNACK waits until the dead node is known dead and its sessions are adopted
    const { connack, got } = await connectWithAck(t, s2, version, { ...opts, connectTimeout: DEATH_NOTICED_MS });
    assert.equal(connack.sessionPresent, true); // [MQTT-3.2.2-2]
    await got.until((m) => m.filter((x) => x.topic === `${root}/m`).length >= 10, 'the 10 queued messages on a survivor');
    await sleep(500);
    // each one once, in order: a stream entry is acknowledged in the transaction that queued it, so the adopting
    // node's drain cannot bring a second copy of a message the dead node had already stored
    const payloads = got.messages.filter((x) => x.topic === `${root}/m`).map((x) => x.payload);
    assert.deepEqual(payloads, Array.from({ length: 10 }, (_, i) => `m${i}`));
    const adopted = [s1, s2].map((n) => ADOPTED.exec(n.output())).find((m) => m);
    assert.ok(adopted, 'a survivor logged the adoption');
    assert.equal(adopted[1], doomed.id);
  });
}

test('v5 [MQTT-3.1.3-9] [MQTT-3.1.2-8] wills of a killed node\'s clients wait for their Will Delay Interval, and are not sent for a client that reconnected elsewhere in time', BOUND, async (t) => {
  const server = await startRedis(t);
  const [doomed, s1, s2] = await Promise.all(['w1', 'w2', 'w3'].map((id) => startNode(t, server, id)));
  const redis = await redisClient(t, server);
  const root = `wills/${uid()}`;
  const watcher = await client(t, s1, 5);
  const wills = collect(watcher);
  await watcher.subscribeAsync(`${root}/#`, { qos: 1 });
  const prober = await client(t, doomed, 5);
  await waitForRoute(prober, wills, `${root}/probe`);
  const delayed = (name: string, delay: number): IClientOptions => ({
    clientId: uid(name),
    clean: false,
    properties: { sessionExpiryInterval: 300 },
    will: { topic: `${root}/will`, payload: Buffer.from(name), qos: 1, retain: false, properties: { willDelayInterval: delay } },
  });
  const late = delayed('late', 4);
  await connectWithAck(t, doomed, 5, late);
  const returning = delayed('back', 25);
  await connectWithAck(t, doomed, 5, returning);
  // a session is written at the end of the turn its CONNACK left in: let both reach Redis before the kill
  for (const id of [late.clientId!, returning.clientId!]) {
    await waitFor(async () => ((await redis.hget(`${KEY}session:${id}`, 'will')) ?? '') !== '', `the session of ${id} in Redis`);
  }
  await doomed.kill();

  await waitFor(async () => [s1, s2].some((n) => ADOPTED.test(n.output())), 'a survivor to adopt the dead node\'s sessions', DEATH_NOTICED_MS);
  const adoptedAt = Date.now();
  // the client with the long delay comes back on another node well within its delay
  const { connack } = await connectWithAck(t, s2, 5, { clientId: returning.clientId, clean: false, properties: { sessionExpiryInterval: 300 } });
  assert.equal(connack.sessionPresent, true);

  await wills.until((m) => m.some((x) => x.topic === `${root}/will`), 'the delayed will', DEATH_NOTICED_MS);
  const lateAt = Date.now();
  assert.ok(lateAt - adoptedAt >= 2500, `the will waited for its 4 s delay after the adoption (came after ${lateAt - adoptedAt} ms)`);
  // past the returning client's 25 s delay (counted from the adoption, with a margin): its will never comes
  while (Date.now() - adoptedAt < 28_000) await sleep(500);
  assert.deepEqual(wills.messages.filter((x) => x.topic === `${root}/will`).map((x) => x.payload), ['late']);
});

