// Persistent sessions are cluster-wide: a client that reconnects to another node resumes its session there and
// receives what was queued while it was away (sessions live in Redis, handed over between nodes before CONNACK).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IDisconnectPacket, IClientOptions } from 'mqtt';
import type { Redis } from 'ioredis';
import { BOUND, Cleanup, client, connectWithAck, DELIVERY_MS, redisClient, sleep, startNode, startRedis, uid, waitForRoute, type Node, waitFor } from './support.js';

const SESSION_TAKEN_OVER = 0x8e;
const KEY = '{glassmq}:';

describe('persistent sessions across nodes', () => {
  const cleanup = new Cleanup();
  after(() => cleanup.run());
  let a: Node, b: Node, c: Node;
  let redis: Redis;
  before(async () => {
    const server = await startRedis(cleanup);
    [a, b, c] = await Promise.all(['sa', 'sb', 'sc'].map((id) => startNode(cleanup, server, id)));
    redis = await redisClient(cleanup, server);
  }, BOUND);

  /** A persistent session on `node` subscribed to `root/#`, with the route from `from` known; then offline. */
  async function parkSession(t: Parameters<typeof client>[0], node: Node, from: Node, version: 4 | 5, id: string, root: string, qos: 1 | 2): Promise<void> {
    const opts: IClientOptions = version === 5 ? { clientId: id, clean: false, properties: { sessionExpiryInterval: 300 } } : { clientId: id, clean: false };
    const { client: sub, got } = await connectWithAck(t, node, version, opts);
    await sub.subscribeAsync(`${root}/#`, { qos });
    const pub = await client(t, from, 5);
    await waitForRoute(pub, got, `${root}/probe`);
    await sub.endAsync();
  }

  async function publishAll(t: Parameters<typeof client>[0], node: Node, topic: string, n: number, qos: 1 | 2): Promise<void> {
    const pub = await client(t, node, 5);
    for (let i = 0; i < n; i++) await pub.publishAsync(topic, `m${i}`, { qos });
  }

  for (const version of [4, 5] as const) {
    test(`v${version === 4 ? '3.1.1' : '5'} [MQTT-3.2.2-2] a session queued on one node resumes on another: Session Present 1, all 20 messages, none twice`, BOUND, async (t) => {
      const id = uid('resume');
      const root = `resume/${id}`;
      await parkSession(t, a, c, version, id, root, 1);
      await publishAll(t, c, `${root}/m`, 20, 1);
      await waitFor(async () => (await redis.llen(`${KEY}queue:${id}`)) === 20, 'the 20 messages queued in Redis for the offline session');
      const opts: IClientOptions = version === 5 ? { clientId: id, clean: false, properties: { sessionExpiryInterval: 300 } } : { clientId: id, clean: false };
      const { connack, got } = await connectWithAck(t, b, version, opts);
      assert.equal(connack.sessionPresent, true);
      await got.until((m) => m.filter((x) => x.topic === `${root}/m`).length >= 20, 'the 20 queued messages on the new node');
      await sleep(500);
      const payloads = got.messages.filter((x) => x.topic === `${root}/m`).map((x) => x.payload);
      assert.deepEqual(payloads, Array.from({ length: 20 }, (_, i) => `m${i}`)); // in order, once each
      assert.equal(await redis.hget(`${KEY}session:${id}`, 'owner'), b.id);
    });
  }

  test('v5 [MQTT-4.4.0-1] messages sent but not acknowledged on the old node are sent again with DUP on the new one', BOUND, async (t) => {
    const id = uid('dup');
    const root = `dup/${id}`;
    const opts: IClientOptions = { clientId: id, clean: false, properties: { sessionExpiryInterval: 300 } };
    // a client that never acknowledges: the messages stay in flight in its session
    const unacked: string[] = [];
    const { client: mute, got } = await connectWithAck(t, a, 5, {
      ...opts,
      // QoS 0 probes are handed on; QoS 1 messages are kept and never acknowledged
      customHandleAcks: (_topic, message, packet, done) => (packet.qos === 0 ? done(0) : void unacked.push(message.toString())),
    });
    await mute.subscribeAsync(`${root}/#`, { qos: 1 });
    const pub = await client(t, c, 5);
    await waitForRoute(pub, got, `${root}/probe`);
    for (let i = 0; i < 3; i++) await pub.publishAsync(`${root}/m`, `m${i}`, { qos: 1 });
    // MQTT.js reads nothing more until a message is acknowledged: the broker has sent all 3, the client saw one
    await waitFor(async () => unacked.length >= 1, 'the first message, not acknowledged');
    await waitFor(async () => (await redis.hlen(`${KEY}inflight:${id}`)) === 3, 'the 3 deliveries in flight in Redis');
    mute.end(true);
    const { connack, got: again } = await connectWithAck(t, b, 5, opts);
    assert.equal(connack.sessionPresent, true);
    await again.until((m) => m.filter((x) => x.topic === `${root}/m`).length >= 3, 'the 3 messages again on the new node');
    const resent = again.messages.filter((x) => x.topic === `${root}/m`);
    assert.deepEqual(resent.map((x) => x.payload), ['m0', 'm1', 'm2']);
    for (const m of resent) assert.equal(m.packet.dup, true);
  });

  test('v5 [MQTT-4.3.3-3] QoS 2 across a move: each message once', BOUND, async (t) => {
    const id = uid('qos2');
    const root = `qos2/${id}`;
    await parkSession(t, a, c, 5, id, root, 2);
    await publishAll(t, c, `${root}/m`, 10, 2);
    await waitFor(async () => (await redis.llen(`${KEY}queue:${id}`)) === 10, 'the 10 QoS 2 messages queued in Redis');
    const { connack, got } = await connectWithAck(t, b, 5, { clientId: id, clean: false, properties: { sessionExpiryInterval: 300 } });
    assert.equal(connack.sessionPresent, true);
    await got.until((m) => m.filter((x) => x.topic === `${root}/m`).length >= 10, 'the 10 QoS 2 messages');
    await sleep(1000);
    const payloads = got.messages.filter((x) => x.topic === `${root}/m`).map((x) => x.payload);
    assert.deepEqual(payloads, Array.from({ length: 10 }, (_, i) => `m${i}`));
    for (const m of got.messages.filter((x) => x.topic === `${root}/m`)) assert.equal(m.packet.qos, 2);
  });

  test('v5 [MQTT-3.1.4-3] a CONNECT on another node while connected: the old connection gets 0x8E, the new one Session Present 1 and the session', BOUND, async (t) => {
    const id = uid('move');
    const root = `move/${id}`;
    const opts: IClientOptions = { clientId: id, clean: false, properties: { sessionExpiryInterval: 300 } };
    const { client: old, got: oldGot } = await connectWithAck(t, a, 5, opts);
    await old.subscribeAsync(`${root}/#`, { qos: 1 });
    const pub = await client(t, c, 5);
    await waitForRoute(pub, oldGot, `${root}/probe`);
    const disconnected = new Promise<IDisconnectPacket>((resolve) => old.once('disconnect', resolve));
    const { connack, got } = await connectWithAck(t, b, 5, opts);
    assert.equal(connack.sessionPresent, true); // [MQTT-3.2.2-2]
    assert.equal((await withTimeout(disconnected, 'DISCONNECT 0x8E on the old connection')).reasonCode, SESSION_TAKEN_OVER);
    await waitForRoute(pub, got, `${root}/probe`); // the subscription came along: no SUBSCRIBE on the new connection
    await pub.publishAsync(`${root}/m`, 'after the move', { qos: 1 });
    await got.until((m) => m.some((x) => x.payload === 'after the move'), 'a message through the moved subscription');
  });

  test('v5 [MQTT-3.1.4-3] two CONNECTs for one client id at once on two nodes: exactly one connection stays', BOUND, async (t) => {
    const id = uid('race');
    const opts: IClientOptions = { clientId: id, clean: false, properties: { sessionExpiryInterval: 300 } };
    const attempts = await Promise.allSettled([connectWithAck(t, a, 5, opts), connectWithAck(t, b, 5, opts)]);
    const clients = attempts.flatMap((r) => (r.status === 'fulfilled' ? [r.value.client] : []));
    assert.ok(clients.length >= 1, 'at least one CONNECT was accepted');
    const deadline = Date.now() + DELIVERY_MS;
    while (clients.filter((x) => x.connected).length !== 1 && Date.now() < deadline) await sleep(100);
    await sleep(1000); // and it stays that way
    assert.equal(clients.filter((x) => x.connected).length, 1);
  });

  test('v3.1.1 [MQTT-3.1.2-4] Clean Start on another node discards the session held elsewhere', BOUND, async (t) => {
    const id = uid('clean');
    const root = `clean/${id}`;
    await parkSession(t, a, c, 4, id, root, 1);
    await publishAll(t, c, `${root}/m`, 3, 1);
    await waitFor(async () => (await redis.llen(`${KEY}queue:${id}`)) === 3, 'the 3 messages queued in Redis');
    const { client: fresh, connack, got } = await connectWithAck(t, b, 4, { clientId: id, clean: true });
    assert.equal(connack.sessionPresent, false);
    await sleep(1000);
    assert.equal(got.messages.length, 0); // nothing of the old session is delivered
    await fresh.endAsync();
    await waitFor(async () => (await redis.exists(`${KEY}session:${id}`, `${KEY}queue:${id}`)) === 0, 'the old records gone from Redis');
    const { connack: later } = await connectWithAck(t, a, 4, { clientId: id, clean: false });
    assert.equal(later.sessionPresent, false); // the old session did not come back on its first node either
  });

  test('v5 [MQTT-4.1.0-2] a session stored in Redis expires after its Session Expiry Interval', BOUND, async (t) => {
    const id = uid('expiry');
    const opts: IClientOptions = { clientId: id, clean: false, properties: { sessionExpiryInterval: 2 } };
    const { client: sub } = await connectWithAck(t, a, 5, opts);
    await sub.subscribeAsync(`expiry/${id}`, { qos: 1 });
    await waitFor(async () => (await redis.exists(`${KEY}session:${id}`)) === 1, 'the session written to Redis');
    const closedAt = Date.now();
    await sub.endAsync();
    await waitFor(async () => (await redis.exists(`${KEY}session:${id}`)) === 0, 'the session gone from Redis after it expired');
    assert.ok(Date.now() - closedAt >= 1900, 'not before its interval');
    const { connack } = await connectWithAck(t, b, 5, opts);
    assert.equal(connack.sessionPresent, false);
  });
});


function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  return Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), DELIVERY_MS).unref())]);
}
