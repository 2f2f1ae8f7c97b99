// No acknowledged QoS 1 message is lost when a node is killed (issue 10): cross-node messages go through a Redis
// stream per node, a publisher's PUBACK leaves only once Redis stored the entries, and a receiving node
// acknowledges an entry only once its sessions hold the message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { IClientOptions, MqttClient } from 'mqtt';
import { keys } from '../../src/cluster/keys.js';
import { GROUP } from '../../src/cluster/node-stream.js';
import { BOUND, client, collect, connectWithAck, eventually, startDurableNode, startNode, sleep, startRedis, uid, waitForRoute, waitForSys, type Node, type Teardown } from './support.js';

const MESSAGES = 300;
const WINDOW = 20;
/** Node death is noticed after the heartbeat timeout (6 s) and a resync (5 s): wide margins for a loaded machine. */
const RECOVERY_MS = 120_000;
const SESSION = { clean: false, properties: { sessionExpiryInterval: 600 } };

/** A client that reconnects (every 250 ms) to the next of `nodes` when its connection is lost, as MQTT.js does. */
function roaming(nodes: Node[], clientId: string): IClientOptions {
  return { clientId, reconnectPeriod: 250, servers: nodes.map((n) => ({ host: '127.0.0.1', port: n.port })), ...SESSION };
}

/**
 * Publishes MESSAGES QoS 1 messages with WINDOW in flight and calls `midway` once a third of them are acknowledged.
 * Resolves with the payloads the publisher got a PUBACK for, once every message has one (MQTT.js sends the
 * unacknowledged ones again after it reconnected).
 */
async function publishAll(pub: MqttClient, topic: string, midway: () => Promise<void>): Promise<Set<string>> {
  const acked = new Set<string>();
  let next = 0;
  let killed: Promise<void> | undefined;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${acked.size} of ${MESSAGES} publishes acknowledged`)), RECOVERY_MS);
    const send = (): void => {
      if (next >= MESSAGES) return;
      const payload = String(next++);
      pub.publish(topic, payload, { qos: 1 }, (err) => {
        if (err) return; // not acknowledged: not counted
        acked.add(payload);
        if (!killed && acked.size >= MESSAGES / 3) killed = midway();
        if (acked.size === MESSAGES) {
          clearTimeout(timer);
          resolve();
        }
        send();
      });
    };
    for (let i = 0; i < WINDOW; i++) send();
  });
  await killed;
  return acked;
}

async function threeNodes(t: Teardown, prefix: string): Promise<Node[]> {
  const redis = await startRedis(t);
  return Promise.all([1, 2, 3].map((i) => startNode(t, redis, `${prefix}${i}`)));
}

function missing(acked: Set<string>, got: { topic: string; payload: string }[], topic: string): string[] {
  const seen = new Set(got.filter((m) => m.topic === topic).map((m) => m.payload));
  return [...acked].filter((p) => !seen.has(p));
}

test("v5 [MQTT-4.3.2-4] the publisher's node killed mid-stream: every message it acknowledged reaches the persistent subscribers on the other nodes", BOUND, async (t) => {
  const [n1, n2, n3] = await threeNodes(t, 'ka');
  const root = `kill-pub/${uid()}`;
  const topic = `${root}/m`;
  const s2 = await client(t, n2!, 5, { clientId: uid('s'), ...SESSION });
  const s3 = await client(t, n3!, 5, { clientId: uid('s'), ...SESSION });
  const got2 = collect(s2);
  const got3 = collect(s3);
  await s2.subscribeAsync(`${root}/#`, { qos: 1 });
  await s3.subscribeAsync(`${root}/#`, { qos: 1 });
  const pub = await client(t, n1!, 5, roaming([n1!, n2!], uid('p')));
  await waitForRoute(pub, got2, `${root}/probe`);
  await waitForRoute(pub, got3, `${root}/probe`);

  const acked = await publishAll(pub, topic, () => n1!.kill());
  assert.equal(acked.size, MESSAGES);
  await eventually(() => missing(acked, got2.messages, topic).length === 0 && missing(acked, got3.messages, topic).length === 0, 'every acknowledged message on n2 and n3', RECOVERY_MS).catch((err: Error) => {
    throw new Error(`${err.message}: n2 lacks ${missing(acked, got2.messages, topic).join(',')}; n3 lacks ${missing(acked, got3.messages, topic).join(',')}`);
  });
});

test("v5 [MQTT-4.3.2-4] a subscriber's node killed mid-stream: the subscriber reconnects to a surviving node and gets every acknowledged message", BOUND, async (t) => {
  const [n1, n2, n3] = await threeNodes(t, 'kb');
  const root = `kill-sub/${uid()}`;
  const topic = `${root}/m`;
  const s2 = await client(t, n2!, 5, { clientId: uid('s'), ...SESSION });
  const s3 = await client(t, n3!, 5, roaming([n3!, n2!], uid('s')));
  const got2 = collect(s2);
  const got3 = collect(s3);
  await s2.subscribeAsync(`${root}/#`, { qos: 1 });
  await s3.subscribeAsync(`${root}/#`, { qos: 1 });
  const pub = await client(t, n1!, 5, { clientId: uid('p'), ...SESSION });
  await waitForRoute(pub, got2, `${root}/probe`);
  await waitForRoute(pub, got3, `${root}/probe`);

  const acked = await publishAll(pub, topic, () => n3!.kill());
  assert.equal(acked.size, MESSAGES);
  await eventually(() => missing(acked, got2.messages, topic).length === 0 && missing(acked, got3.messages, topic).length === 0, 'every acknowledged message on both subscribers', RECOVERY_MS).catch((err: Error) => {
    throw new Error(`${err.message}: s2 lacks ${missing(acked, got2.messages, topic).join(',')}; s3 (moved from the killed node) lacks ${missing(acked, got3.messages, topic).join(',')}`);
  });
  // the dead node's stream goes only to the sessions adopted from it: s2, on a survivor, gets each message once
  await sleep(3000);
  const onS2 = got2.messages.filter((m) => m.topic === topic).map((m) => m.payload);
  assert.equal(onS2.length, new Set(onS2).size, 'no duplicate for a subscriber of a surviving node');
});

test('a node that died after reading stream entries and before committing them delivers them when restarted with the same --node-id', BOUND, async (t) => {
  const redis = await startRedis(t);
  const dataDir = mkdtempSync(join(tmpdir(), 'glassmq-stream-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const n1 = await startNode(t, redis, 'rs1');
  let n2 = await startDurableNode(t, redis, 'rs2', dataDir);
  const root = `restart/${uid()}`;
  const topic = `${root}/m`;
  const subId = uid('s');
  const sub = await client(t, n2, 5, { clientId: subId, ...SESSION });
  const probe = collect(sub);
  await sub.subscribeAsync(`${root}/#`, { qos: 1 });
  const pub = await client(t, n1, 5);
  await waitForRoute(pub, probe, `${root}/probe`);
  await sub.endAsync(); // the session waits offline in n2's store

  // n2 dies; n1 still routes to it (it has not noticed yet): every PUBACK means the entry is in n2's stream
  await n2.kill();
  const count = 10;
  for (let i = 0; i < count; i++) await pub.publishAsync(topic, String(i), { qos: 1 });
  await n1.kill(); // nobody is left to reap n2: only its own restart can deliver the entries
  // what a crash between XREADGROUP and the commit leaves: half of the entries read by n2's consumer, unacknowledged
  const redisClient = new Redis(redis.port, '127.0.0.1');
  t.after(() => redisClient.disconnect());
  const read = await redisClient.xreadgroup('GROUP', GROUP, 'rs2', 'COUNT', count / 2, 'STREAMS', keys.stream('rs2'), '>');
  assert.equal((read as [string, unknown[]][] | null)?.[0]?.[1].length, count / 2);

  n2 = await startDurableNode(t, redis, 'rs2', dataDir);
  const { got } = await connectWithAck(t, n2, 5, { clientId: subId, ...SESSION }); // collects from the CONNACK on
  const payloads = (): string[] => got.messages.filter((m) => m.topic === topic).map((m) => m.payload).sort((a, b) => Number(a) - Number(b));
  await eventually(() => payloads().length >= count, `${count} messages after the restart`, RECOVERY_MS).catch((err: Error) => {
    throw new Error(`${err.message}; got ${payloads().join(',')}`);
  });
  assert.deepEqual([...new Set(payloads())], Array.from({ length: count }, (_, i) => String(i)));
  await waitForSys(t, n2, 'cluster/stream/redelivered', (v) => Number(v) >= count / 2); // the ones read before the crash
});
