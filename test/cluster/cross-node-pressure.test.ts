// Cross-node backpressure (docs/cluster.md, "Cross-node backpressure"): a slow subscriber on another node loses
// nothing. The receiving node stops reading its stream while one of its subscribers is above high water (the
// entries wait in Redis), a stalled subscriber holds nobody, and a publishing node holds its clients while a
// target node's stream backlog is over its limit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import type { MqttClient } from 'mqtt';
import { keys } from '../../src/cluster/keys.js';
import { GROUP } from '../../src/cluster/node-stream.js';
import { TargetPressure } from '../../src/cluster/target-pressure.js';
import { silentLogger } from '../../src/broker/ports.js';
import { BOUND, client, collect, eventually, redisClient, sleep, startNode, startRedis, sysValue, waitForRoute, waitForSys, type Node, type Teardown } from './support.js';

const MESSAGES = 5000;
const WINDOW = 100;
/** Small, so a slow subscriber reaches high water (50) at once; the rule is the same at the default 1000. */
const MAX_QUEUED = ['--max-queued', '100'];
const FLOOD_MS = 150_000;

/** Publishes MESSAGES QoS 1 messages "0".."4999" with WINDOW in flight; resolves once every one is acknowledged. */
function publishAll(pub: MqttClient, topic: string): Promise<void> {
  let next = 0;
  let acked = 0;
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${acked} of ${MESSAGES} publishes acknowledged`)), FLOOD_MS);
    const send = (): void => {
      if (next >= MESSAGES) return;
      pub.publish(topic, String(next++), { qos: 1 }, (err) => {
        if (err) return reject(err);
        if (++acked === MESSAGES) {
          clearTimeout(timer);
          resolve();
        }
        send();
      });
    };
    for (let i = 0; i < WINDOW; i++) send();
  });
}

/** A subscriber that acknowledges slowly: every 10th message it takes 20 ms, and reads nothing meanwhile. */
function slow(c: MqttClient): void {
  let n = 0;
  c.handleMessage = (_packet, done) => {
    if (++n % 10 === 0) setTimeout(() => done(), 20);
    else done();
  };
}

/** A subscriber that never acknowledges: MQTT.js reads no further packet, its socket stops being read. */
function stalled(c: MqttClient): void {
  c.handleMessage = () => {};
}

function inOrder(payloads: string[]): void {
  assert.equal(payloads.length, MESSAGES, `got ${payloads.length} of ${MESSAGES}`);
  for (let i = 0; i < MESSAGES; i++) if (payloads[i] !== String(i)) assert.fail(`message ${i} is "${payloads[i]}"`);
}

async function twoNodes(t: Teardown): Promise<[Node, Node]> {
  const redis = await startRedis(t);
  const [a, b] = await Promise.all([startNode(t, redis, 'pa', MAX_QUEUED), startNode(t, redis, 'pb', MAX_QUEUED)]);
  return [a!, b!];
}

test('a slow QoS 1 subscriber on another node gets all 5,000 messages in order, nothing dropped [MQTT-4.6.0-5]', BOUND, async (t) => {
  const [a, b] = await twoNodes(t);
  const sub = await client(t, b, 5);
  const got = collect(sub);
  await sub.subscribeAsync('flood/#', { qos: 1 });
  const pub = await client(t, a, 5);
  await waitForRoute(pub, got, 'flood/probe');
  slow(sub);
  const payloads = (): string[] => got.messages.filter((m) => m.topic === 'flood/x').map((m) => m.payload);

  await publishAll(pub, 'flood/x');
  await eventually(() => payloads().length >= MESSAGES, `${MESSAGES} messages on node b`, FLOOD_MS);
  await sleep(500); // a duplicate or a stray message would show up here
  inOrder(payloads());
  // node b stopped reading its stream while its subscriber was behind, instead of dropping
  assert.ok(Number(await waitForSys(t, b, 'cluster/stream/reader-holds', (v) => Number(v) > 0)) > 0);
  assert.equal(await sysValue(t, b, 'dropped/queue-full'), '0');
  await waitForSys(t, b, 'cluster/stream/reader-held', (v) => v === '0');
});

test('a stalled subscriber on another node holds nobody: the healthy one there gets everything, the publisher finishes', BOUND, async (t) => {
  const [a, b] = await twoNodes(t);
  const stuck = await client(t, b, 5);
  const healthy = await client(t, b, 5);
  const got = collect(healthy);
  await stuck.subscribeAsync('flood/#', { qos: 1 });
  await healthy.subscribeAsync('flood/#', { qos: 1 });
  const pub = await client(t, a, 5);
  await waitForRoute(pub, got, 'flood/probe');
  stalled(stuck);
  const payloads = (): string[] => got.messages.filter((m) => m.topic === 'flood/x').map((m) => m.payload);

  await publishAll(pub, 'flood/x');
  await eventually(() => payloads().length >= MESSAGES, `${MESSAGES} messages for the healthy subscriber`, FLOOD_MS);
  inOrder(payloads());
  // the stalled one held node b's reader until it was found stalled, then its own queue overflowed (counted)
  assert.ok(Number(await sysValue(t, b, 'cluster/stream/reader-holds')) > 0);
  assert.ok(Number(await waitForSys(t, b, 'dropped/queue-full', (v) => Number(v) > 0)) > 0);
  await waitForSys(t, b, 'cluster/stream/reader-held', (v) => v === '0');
});

test('a publishing node holds its clients while a target stream is over its limit, and stops holding for a stalled one', BOUND, async (t) => {
  const redis = await startRedis(t);
  const r = await redisClient(t, redis);
  const node = 'target';
  const stream = keys.stream(node);
  await r.xgroup('CREATE', stream, GROUP, '0', 'MKSTREAM');
  const limits = { high: 100, low: 50, hardCap: 300, stallMs: 1000 };
  const pressure = new TargetPressure(() => r, silentLogger, limits);
  t.after(() => pressure.close());
  const publisher = { held: 0, holdPackets: () => publisher.held++, releasePackets: () => publisher.held-- };
  /** What the forwarder does per cross-node QoS 1 copy: admit, XADD, count. */
  const send = async (n: number): Promise<number> => {
    let sent = 0;
    for (let i = 0; i < n; i++) {
      if (!pressure.admit(node)) continue;
      // counted when sent, as the forwarder does: a poll queued behind this XADD then sees it in both figures
      const reply = r.xadd(stream, 'NOMKSTREAM', '*', 'm', String(i));
      pressure.added(node, publisher);
      await reply;
      sent++;
    }
    return sent;
  };
  /** The target node reading and acknowledging `n` entries (XACK + XDEL, as node-stream.ts does). */
  const consume = async (n: number): Promise<void> => {
    const reply = (await r.xreadgroup('GROUP', GROUP, node, 'COUNT', n, 'STREAMS', stream, '>')) as [string, [string, string[]][]][] | null;
    const ids = reply?.[0]?.[1].map(([id]) => id) ?? [];
    if (ids.length) await r.multi().xack(stream, GROUP, ...ids).xdel(stream, ...ids).exec();
  };

  await send(99);
  assert.equal(publisher.held, 0, 'below the limit nobody is held');
  await send(1);
  await eventually(() => publisher.held === 1, 'the publisher held at the limit');
  assert.equal(pressure.holding, 1);
  // the target reads: held until its backlog is down to `low`, then free
  await consume(40);
  await sleep(300);
  assert.equal(publisher.held, 1, 'still over low water: still held');
  await consume(20);
  await eventually(() => publisher.held === 0, 'the publisher released at low water');

  // a target that acknowledges nothing: the publisher is held, then let go after stallMs; copies stop at the hard cap
  await send(100);
  await eventually(() => publisher.held === 1, 'held again over the limit');
  await eventually(() => publisher.held === 0, 'released once the target is found stalled', 10_000);
  const sent = await send(400);
  assert.equal(publisher.held, 0, 'a stalled target holds nobody');
  assert.equal(await r.xlen(stream), 300, 'the stream stops at the hard cap');
  assert.equal(sent, 300 - 140);
  assert.equal(pressure.dropped, 400 - sent);
  // it reads again: publishers are held again while it is over the limit
  await consume(10);
  await sleep(400);
  await send(1);
  await eventually(() => publisher.held === 1, 'held again once the target moves');
  await consume(300);
  await eventually(() => publisher.held === 0, 'released when the target caught up');
});

test('no stream for a target (reaped node): its publishers go free', BOUND, async (t) => {
  const redis = await startRedis(t);
  const r: Redis = await redisClient(t, redis);
  const stream = keys.stream('gone');
  await r.xgroup('CREATE', stream, GROUP, '0', 'MKSTREAM');
  const pressure = new TargetPressure(() => r, silentLogger, { high: 10, low: 5, hardCap: 100, stallMs: 60_000 });
  t.after(() => pressure.close());
  const publisher = { held: 0, holdPackets: () => publisher.held++, releasePackets: () => publisher.held-- };
  for (let i = 0; i < 10; i++) {
    await r.xadd(stream, '*', 'm', String(i));
    pressure.added('gone', publisher);
  }
  await eventually(() => publisher.held === 1, 'held over the limit');
  await r.del(stream); // the survivor that reaped the node deleted its stream after draining it
  await eventually(() => publisher.held === 0, 'released once the stream is gone');
});
