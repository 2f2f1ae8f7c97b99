// Retained messages changed while Redis is out of reach: the newest change per topic wins on every node once it
// returns, a clear included (a tombstone), whether Redis kept its data (one node cut off) or restarted empty.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { MqttClient } from 'mqtt';
import { Redis } from 'ioredis';
import { freePort } from '../helpers/net.js';
import { decodeRecord, RetainedStamps, retainedWrite, type RetainedWrite } from '../../src/cluster/retained-sync.js';
import { BOUND, Cleanup, client, collect, DELIVERY_MS, sleep, startNode, startRedis, uid, waitForSys, type Node, type RedisServer, type Teardown } from './support.js';

/** How long a fresh subscriber listens for a retained message before calling the topic empty. */
const LISTEN_MS = 1500;
/** A retained state must hold for this many checks in a row to count as settled. */
const STABLE_CHECKS = 3;

/** A TCP relay between one node and Redis that the test can cut (every connection dropped, new ones refused). */
interface Relay {
  readonly url: string;
  cut(): void;
  restore(): void;
}

async function startRelay(t: Teardown, redis: RedisServer): Promise<Relay> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let open = true;
  const server: Server = createServer((inbound) => {
    if (!open) return inbound.destroy();
    const outbound = createConnection(redis.port, '127.0.0.1');
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => {
        sockets.delete(s);
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  t.after(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    cut() {
      open = false;
      for (const s of sockets) s.destroy();
    },
    restore() {
      open = true;
    },
  };
}

/** The retained payload a new subscriber to `topic` on `node` gets ('' for none). */
async function retainedOn(t: Teardown, node: Node, topic: string): Promise<string> {
  const c = await client(t, node, 5);
  const got = collect(c);
  await c.subscribeAsync(topic, { qos: 1 });
  await got.until((m) => m.length > 0, 'a retained message', LISTEN_MS).catch(() => {});
  c.end(true);
  return got.messages.find((m) => m.packet.retain)?.payload ?? '';
}

/** Waits (bounded) until every node serves `expected` for `topic`, STABLE_CHECKS times in a row. */
async function settle(t: Teardown, nodes: Node[], topic: string, expected: string, ms = 3 * DELIVERY_MS): Promise<void> {
  const deadline = Date.now() + ms;
  let streak = 0;
  let last: string[] = [];
  while (streak < STABLE_CHECKS) {
    if (Date.now() > deadline) throw new Error(`${topic}: expected "${expected}" on every node, last saw ${JSON.stringify(last)}`);
    last = await Promise.all(nodes.map((n) => retainedOn(t, n, topic)));
    streak = last.every((p) => p === expected) ? streak + 1 : 0;
    if (streak === 0) await sleep(300);
  }
}

async function setRetained(pub: MqttClient, topic: string, payload: string): Promise<void> {
  await pub.publishAsync(topic, payload, { qos: 1, retain: true });
}

describe('one node cut off from Redis (Redis keeps its data)', () => {
  const cleanup = new Cleanup();
  after(() => cleanup.run());
  let relay: Relay;
  let a: Node, b: Node;
  before(async () => {
    const redis = await startRedis(cleanup);
    relay = await startRelay(cleanup, redis);
    // node a reaches Redis through the relay only
    [a, b] = await Promise.all([startNode(cleanup, { ...redis, url: relay.url }, 'ra'), startNode(cleanup, redis, 'rb')]);
  }, BOUND);

  test('v5 [MQTT-3.3.1-6] a topic cleared on the cut-off node stays cleared on both nodes when it returns', BOUND, async (t) => {
    const topic = `ro/${uid()}/cleared`;
    const pubA = await client(t, a, 5, { reconnectPeriod: 0 });
    await setRetained(pubA, topic, 'old');
    await settle(t, [a, b], topic, 'old');
    relay.cut();
    await waitForSys(t, a, 'cluster/redis/connected', (v) => v === '0');
    await setRetained(pubA, topic, ''); // the clear Redis and node rb never heard of
    assert.equal(await retainedOn(t, a, topic), '');
    assert.equal(await retainedOn(t, b, topic), 'old'); // rb still serves its copy while ra is away
    relay.restore();
    await waitForSys(t, a, 'cluster/redis/connected', (v) => v === '1');
    await settle(t, [b, a], topic, '');
  });

  test('v5 [MQTT-3.3.1-5] a message set on the cut-off node replaces the older one everywhere when it returns', BOUND, async (t) => {
    const topic = `ro/${uid()}/replaced`;
    const pubA = await client(t, a, 5);
    await setRetained(pubA, topic, 'old');
    await settle(t, [a, b], topic, 'old');
    relay.cut();
    await waitForSys(t, a, 'cluster/redis/connected', (v) => v === '0');
    await setRetained(pubA, topic, 'new');
    relay.restore();
    await waitForSys(t, a, 'cluster/redis/connected', (v) => v === '1');
    await settle(t, [b, a], topic, 'new');
  });
});

describe('Redis restarted empty', () => {
  const cleanup = new Cleanup();
  after(() => cleanup.run());
  let redis: RedisServer;
  let a: Node, b: Node;
  before(async () => {
    redis = await startRedis(cleanup);
    [a, b] = await Promise.all(['ea', 'eb'].map((id) => startNode(cleanup, redis, id)));
  }, BOUND);

  test('v5 [MQTT-3.3.1-6] a clear made during the outage wins over the copy the other node put back; a later set wins over the clear', BOUND, async (t) => {
    const cleared = `re/${uid()}/cleared`;
    const reset = `re/${uid()}/reset`;
    const pubA = await client(t, a, 5);
    const pubB = await client(t, b, 5);
    await setRetained(pubA, cleared, 'old');
    await setRetained(pubA, reset, 'old');
    await settle(t, [a, b], cleared, 'old');
    await settle(t, [a, b], reset, 'old');
    await redis.stop();
    await waitForSys(t, a, 'cluster/redis/connected', (v) => v === '0');
    await waitForSys(t, b, 'cluster/redis/connected', (v) => v === '0');
    await setRetained(pubA, cleared, ''); // rb still holds 'old' and will offer it to the empty Redis
    await setRetained(pubA, reset, '');
    await sleep(20); // a later change on another node: its stamp must be above the clear's (clocks are the same here)
    await setRetained(pubB, reset, 'newer');
    await redis.start();
    await settle(t, [b, a], cleared, '');
    await settle(t, [a, b], reset, 'newer');
  });
});

describe('the retained write script on a real redis-server (what the nodes rely on)', () => {
  const cleanup = new Cleanup();
  after(() => cleanup.run());
  let r: Redis;
  let write: RetainedWrite;
  before(async () => {
    const redis = await startRedis(cleanup);
    r = new Redis(redis.port, '127.0.0.1', { lazyConnect: true });
    cleanup.after(() => r.disconnect());
    await r.connect();
    write = retainedWrite(r);
  }, BOUND);
  const H = 'test:retained';
  const Z = 'test:cleared';
  const stampOf = async (topic: string): Promise<number> => decodeRecord((await r.hgetBuffer(H, topic))!).stamp;

  test('a live write always lands, with a stamp above the current one even if the writer clock is behind', async () => {
    assert.equal(await write(H, Z, 't/live', 1000, Buffer.from('a'), '0', 'test:ch', 'live', 0), 1);
    assert.equal(await write(H, Z, 't/live', 900, Buffer.from('b'), '0', 'test:ch', 'live', 0), 1);
    assert.equal(await stampOf('t/live'), 1001);
    assert.deepEqual(decodeRecord((await r.hgetBuffer(H, 't/live'))!).codecBytes, Buffer.from('b'));
  });

  test('a replay lands only over an older change (or none), so the newest change per topic wins', async () => {
    assert.equal(await write(H, Z, 't/replay', 2000, Buffer.from('new'), '0', 'test:ch', 'newer', 0), 1);
    assert.equal(await write(H, Z, 't/replay', 1500, Buffer.from('old'), '0', 'test:ch', 'newer', 0), 0);
    assert.equal(await write(H, Z, 't/replay', 2000, Buffer.from('same'), '0', 'test:ch', 'newer', 0), 0);
    assert.equal(await write(H, Z, 't/replay', 2500, Buffer.alloc(0), '1', 'test:ch', 'newer', 0), 1); // a newer clear
    assert.equal(await stampOf('t/replay'), 2500);
    assert.equal(await r.zscore(Z, 't/replay'), '2500');
    assert.equal(await write(H, Z, 't/replay', 3000, Buffer.from('set again'), '0', 'test:ch', 'newer', 0), 1);
    assert.equal(await r.zscore(Z, 't/replay'), null); // no longer a tombstone
  });

  test('tombstones older than the cutoff are removed by the next clear; younger ones stay', async () => {
    await write(H, Z, 't/old-clear', 100, Buffer.alloc(0), '1', 'test:ch', 'live', 0);
    await write(H, Z, 't/young-clear', 5000, Buffer.alloc(0), '1', 'test:ch', 'live', 0);
    await write(H, Z, 't/trigger', 6000, Buffer.alloc(0), '1', 'test:ch', 'live', 1000); // prunes stamps <= 1000
    assert.equal(await r.hexists(H, 't/old-clear'), 0);
    assert.equal(await r.zscore(Z, 't/old-clear'), null);
    assert.equal(await r.hexists(H, 't/young-clear'), 1);
    assert.equal(await r.hexists(H, 't/trigger'), 1);
  });

  test('a node keeps the newest change per topic and replays only its newest held change', () => {
    const s = new RetainedStamps();
    const now = 10_000;
    assert.equal(s.stampFor('t', now), now);
    assert.equal(s.advance('t', 20_000, false, now), true);
    assert.equal(s.stampFor('t', now), 20_001); // above anything known, whatever the clock says
    assert.equal(s.advance('t', 15_000, true, now), false); // an older clear is ignored
    s.hold({ topic: 't', stamp: 30_000, message: undefined });
    s.hold({ topic: 't', stamp: 25_000, message: undefined }); // an older change does not replace the newer
    assert.deepEqual(s.takePending().map((c) => c.stamp), [30_000]);
    assert.equal(s.pendingCount, 0);
    assert.throws(() => decodeRecord(Buffer.from([0, 0, 0, 4])), /without a stamp/);
  });
});
