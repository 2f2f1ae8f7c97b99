// Retained messages changed while Redis is out of reach: the newest change per topic wins on every node once it
// returns, a clear included (a tombstone), whether Redis kept its data (one node cut off) or restarted empty.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { MqttClient } from 'mqtt';
import { freePort } from '../helpers/net.js';
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
