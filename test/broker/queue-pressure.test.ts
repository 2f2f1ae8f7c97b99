// Publisher flow control for QoS 1/2 (issue 3, "bounded everything"): a connected subscriber whose session queue
// passes high water holds its publishers back instead of dropping; one that makes no progress is stalled and slows
// nobody; a held publisher always goes free when the subscriber leaves.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { MqttClient } from 'mqtt';
import { QueuePressure, queueMarks, type HoldablePublisher } from '../../src/broker/queue-pressure.js';
import { STALL_MS } from '../../src/broker/output-pressure.js';
import { silentLogger, type Clock } from '../../src/broker/ports.js';
import type { RunningBroker } from '../../src/index.js';
import type { BrokerHooks } from '../../src/broker/hooks.js';
import { FakeClock } from './fake-clock.js';
import { mqttClient, RawClient, sleep, startBroker } from './support.js';

/** Bound for whole flows on a loaded 2-core machine: generous, never the expected duration. */
const FLOW_MS = 90_000;

function publisher(): HoldablePublisher & { held: number } {
  return { held: 0, holdPackets() { this.held++; }, releasePackets() { this.held--; } };
}

// ---- the rule, on a manual clock ------------------------------------------------------------------------------

test('queue marks: hold at half of --max-queued (or bytes), release at a quarter, never on an empty queue', () => {
  const m = queueMarks(1000, 16_777_216);
  assert.deepEqual([m.highCount, m.lowCount, m.highBytes, m.lowBytes], [500, 250, 8_388_608, 4_194_304]);
  assert.deepEqual([m.minMoved, m.minMovedBytes], [32, 524_288]); // 1/16 of high water per STALL_MS
  const none = queueMarks(0, 0);
  assert.deepEqual([none.highCount, none.highBytes], [1, 1]);
});

test('a subscriber that keeps taking messages off its queue keeps its publishers held, once each', () => {
  const clock = new FakeClock();
  const marks = queueMarks(100, 1_000_000);
  const p = new QueuePressure('sub', clock, silentLogger, marks);
  const a = publisher();
  p.hold(a);
  p.hold(a);
  assert.equal(a.held, 1);
  for (let i = 0; i < 5; i++) {
    p.progressed(marks.minMoved, 0);
    clock.advance(STALL_MS);
    assert.equal(p.stalled, false);
    assert.equal(a.held, 1);
  }
  p.release();
  assert.equal(a.held, 0);
  assert.equal(clock.pending, 0);
});

test('a subscriber whose queue does not move for STALL_MS is stalled: publishers go free, and are held again once it moves', () => {
  const clock = new FakeClock();
  const marks = queueMarks(100, 1_000_000);
  const p = new QueuePressure('sub', clock, silentLogger, marks);
  const a = publisher();
  const b = publisher();
  p.hold(a);
  p.hold(b);
  p.progressed(marks.minMoved - 1, 0); // too little
  clock.advance(STALL_MS);
  assert.equal(p.stalled, true);
  assert.deepEqual([a.held, b.held], [0, 0]);
  p.hold(a);
  assert.equal(a.held, 0, 'a stalled subscriber holds nobody');
  assert.equal(clock.pending, 0, 'no timer while stalled and idle');
  p.progressed(marks.minMoved, 0); // reading again
  clock.advance(STALL_MS);
  assert.equal(p.stalled, false);
  p.hold(a);
  assert.equal(a.held, 1);
  p.release();
});

test('a check that fires a whole period late (this process was blocked) gives no verdict, once', () => {
  // a clock whose one timer runs when the test says, however late
  let time = 0;
  let due: (() => void) | undefined;
  const clock: Clock = { now: () => time, setTimeout: (fn) => ((due = fn), {}), clearTimeout: () => (due = undefined) };
  const fire = (): void => {
    const fn = due!;
    due = undefined;
    fn();
  };
  const p = new QueuePressure('sub', clock, silentLogger, queueMarks(100, 1_000_000));
  const a = publisher();
  p.hold(a);
  time += 3 * STALL_MS; // the event loop was blocked: the client's acks may sit unread
  fire();
  assert.equal(p.stalled, false);
  assert.equal(a.held, 1);
  time += 3 * STALL_MS; // late again, and still nothing moved: judged this time
  fire();
  assert.equal(p.stalled, true);
  assert.equal(a.held, 0);
});

// ---- real clients --------------------------------------------------------------------------------------------

/** Publishes `count` numbered messages with `window` in flight; resolves with the longest PUBLISH -> ack wait. */
async function flood(pub: MqttClient, topic: string, count: number, qos: 1 | 2, window: number): Promise<number> {
  let next = 0;
  let longest = 0;
  const one = async (): Promise<void> => {
    while (next < count) {
      const payload = Buffer.alloc(32);
      payload.writeUInt32BE(next++, 0);
      const t0 = Date.now();
      await pub.publishAsync(topic, payload, { qos });
      longest = Math.max(longest, Date.now() - t0);
    }
  };
  await within(Promise.all(Array.from({ length: window }, one)), `the publisher to finish ${count} messages`);
  return longest;
}

/** `p`, or a failure after FLOW_MS (a publisher held forever must fail the test, not hang it). */
async function within<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), FLOW_MS);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Collects the sequence numbers a client receives on `topic`. */
function collect(c: MqttClient, topic: string): number[] {
  const got: number[] = [];
  c.on('message', (t, payload) => {
    if (t === topic) got.push(payload.readUInt32BE(0));
  });
  return got;
}

/** Makes an MQTT.js client read in bursts: its socket is paused `pausedMs` of every `periodMs`. */
function readInBursts(t: TestContext, c: MqttClient, pausedMs: number, periodMs: number): void {
  const socket = c.stream;
  const timer = setInterval(() => {
    socket.pause();
    setTimeout(() => socket.resume(), pausedMs);
  }, periodMs);
  t.after(() => clearInterval(timer));
}

async function waitFor(cond: () => boolean, what: string, ms = FLOW_MS): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

function inOrder(got: number[], count: number): void {
  assert.equal(got.length, count, `delivered ${got.length} of ${count}`);
  for (let i = 0; i < count; i++) if (got[i] !== i) assert.fail(`message ${i} arrived as ${got[i]}`);
}

async function slowSubscriberLosesNothing(t: TestContext, qos: 1 | 2, count: number, window: number, hooks?: BrokerHooks): Promise<void> {
  const b = await startBroker(t, { maxQueued: 100, hooks });
  const sub = await mqttClient(t, b, { clientId: 'slow' });
  await sub.subscribeAsync('flow/slow', { qos });
  const got = collect(sub, 'flow/slow');
  readInBursts(t, sub, 60, 100); // reads 40 % of the time: far slower than the publisher
  const pub = await mqttClient(t, b, { clientId: 'fast' });
  await flood(pub, 'flow/slow', count, qos, window);
  await waitFor(() => got.length >= count, `${count} deliveries`);
  inOrder(got, count);
  assert.equal(b.broker.statistics.droppedQueueFull, 0); // $SYS/broker/dropped/queue-full stays 0
}

test('QoS 1: a slow subscriber with --max-queued 100 gets all 3,000 messages of a 100-in-flight publisher, in order, none dropped', async (t) => {
  await slowSubscriberLosesNothing(t, 1, 3000, 100); // [MQTT-4.6.0-6] order kept
});

test('QoS 2: a slow subscriber with --max-queued 100 gets all 1,000 messages, in order, none dropped', async (t) => {
  await slowSubscriberLosesNothing(t, 2, 1000, 20); // 20 in flight: the broker's Receive Maximum for QoS 2
});

test('with an async publish authorization, a held publisher still loses nothing and keeps its order', async (t) => {
  // packets read while a hook is pending and packets held for a subscriber wait in the same order
  let checks = 0;
  const authorizePublish = (): Promise<boolean> => new Promise((resolve) => setImmediate(() => resolve(++checks > 0)));
  await slowSubscriberLosesNothing(t, 1, 2000, 100, { authorizePublish });
  assert.ok(checks >= 2000);
});

// (belongs with the hook tests; here because the hold above shares the connection's packet backlog)
test('pipelined PUBLISHes under an async publish authorization are all handled: reading never stays paused', async (t) => {
  const authorizePublish = (): Promise<boolean> => new Promise((resolve) => setImmediate(() => resolve(true)));
  const b = await startBroker(t, { hooks: { authorizePublish } });
  const pub = await mqttClient(t, b, { clientId: 'pipelined' });
  await flood(pub, 'hooked/t', 1000, 1, 100);
  assert.equal(b.broker.statistics.publishReceived, 1000);
});

test('several publishers and several slow subscribers: every subscriber gets every message, none dropped', async (t) => {
  const b = await startBroker(t, { maxQueued: 100 });
  const subs = await Promise.all(['s1', 's2'].map((clientId) => mqttClient(t, b, { clientId })));
  const got: number[][][] = [];
  for (const [i, s] of subs.entries()) {
    await s.subscribeAsync('multi/#', { qos: 1 });
    got.push([collect(s, 'multi/a'), collect(s, 'multi/b')]);
    readInBursts(t, s, 40 + i * 20, 100);
  }
  const pubs = await Promise.all(['pa', 'pb'].map((clientId) => mqttClient(t, b, { clientId })));
  await Promise.all([flood(pubs[0]!, 'multi/a', 1500, 1, 100), flood(pubs[1]!, 'multi/b', 1500, 1, 100)]);
  await waitFor(() => got.every((perSub) => perSub.every((g) => g.length >= 1500)), 'all deliveries');
  for (const perSub of got) for (const g of perSub) inOrder(g, 1500);
  assert.equal(b.broker.statistics.droppedQueueFull, 0);
});

test('a stalled subscriber slows nobody: the healthy one gets everything, the publisher goes on, the stalled queue stops at --max-queued', async (t) => {
  const b = await startBroker(t, { maxQueued: 100, maxInflight: 20 });
  const stalled = await RawClient.open(t, b.port, 4);
  await stalled.connect('stalled', { clean: false });
  stalled.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'flow/all', qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0 }] });
  await stalled.expect('suback'); // it reads, but never acknowledges a PUBLISH
  const healthy = await mqttClient(t, b, { clientId: 'healthy' });
  await healthy.subscribeAsync('flow/all', { qos: 1 });
  const got = collect(healthy, 'flow/all');
  const pub = await mqttClient(t, b, { clientId: 'pub' });
  const count = 1000;
  const longestWait = await flood(pub, 'flow/all', count, 1, 100);
  await waitFor(() => got.length >= count, 'the healthy subscriber');
  inOrder(got, count);
  // held once, for about STALL_MS, until the stall was seen; the bound is generous for a loaded machine
  assert.ok(longestWait < 10 * STALL_MS, `publisher waited ${longestWait} ms for one ack`);
  const session = b.broker.sessions.get('stalled')!;
  assert.equal(session.inflightCount, 20);
  assert.equal(session.queue.length, 100);
  assert.equal(b.broker.statistics.droppedQueueFull, count - 20 - 100);
});

/** A broker on a manual clock (a stall is never detected) with a subscriber that never acks, and a held publisher. */
async function heldPublisher(
  t: TestContext,
  subscriberIds: string[],
  connectExtra: Parameters<RawClient['connect']>[1] = { clean: true },
): Promise<{ b: RunningBroker; subs: RawClient[]; done: Promise<number>; count: number }> {
  const b = await startBroker(t, { maxQueued: 100, maxInflight: 20, clock: new FakeClock() });
  const subs: RawClient[] = [];
  for (const id of subscriberIds) {
    const s = await RawClient.open(t, b.port, 5);
    await s.connect(id, connectExtra);
    s.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'held/t', qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0 }] });
    await s.expect('suback');
    subs.push(s);
  }
  const pub = await mqttClient(t, b, { clientId: 'pub' });
  const count = 300;
  const done = flood(pub, 'held/t', count, 1, 100);
  const session = (id: string) => b.broker.sessions.get(id);
  await waitFor(() => subscriberIds.every((id) => (session(id)?.connection?.queuePressure?.holding ?? 0) === 1), 'the publisher to be held');
  return { b, subs, done, count };
}

/** Asserts the publisher makes no headway for a while (it is held; no clock can release it). */
async function stillHeld(b: RunningBroker): Promise<void> {
  const before = b.broker.statistics.publishReceived;
  await sleep(300);
  assert.equal(b.broker.statistics.publishReceived, before, 'the publisher is held');
}

test('a held publisher goes free when the slow subscriber disconnects (its session ends)', async (t) => {
  const { b, subs, done, count } = await heldPublisher(t, ['gone']);
  await stillHeld(b);
  subs[0]!.send({ type: 'disconnect', reasonCode: 0 });
  await done; // every PUBLISH acknowledged: released without any stall timer
  assert.equal(b.broker.statistics.publishReceived, count);
});

test('a held publisher goes free when the slow subscriber\'s session is taken over', async (t) => {
  const { b, done, count } = await heldPublisher(t, ['taken'], { clean: false, properties: { sessionExpiryInterval: 60 } });
  const next = await mqttClient(t, b, { clientId: 'taken', clean: false, protocolVersion: 5, properties: { sessionExpiryInterval: 60 } });
  const got = collect(next, 'held/t');
  await done;
  assert.equal(b.broker.statistics.publishReceived, count);
  await waitFor(() => got.length > 0, 'the new connection to receive the session\'s messages');
});

test('a publisher held by two subscribers goes free only when the last one lets go', async (t) => {
  const { b, subs, done, count } = await heldPublisher(t, ['one', 'two']);
  subs[0]!.socket.destroy(); // network loss
  await waitFor(() => b.broker.sessions.get('one') === undefined, 'the first session to end');
  await stillHeld(b);
  subs[1]!.send({ type: 'disconnect', reasonCode: 0 });
  await done;
  assert.equal(b.broker.statistics.publishReceived, count);
});

test('an offline session never holds a publisher: it queues to --max-queued and drops', async (t) => {
  const b = await startBroker(t, { maxQueued: 100 });
  const sub = await mqttClient(t, b, { clientId: 'away', clean: false });
  await sub.subscribeAsync('offline/t', { qos: 1 });
  await sub.endAsync();
  await waitFor(() => b.broker.sessions.get('away')?.connection === undefined, 'the client to be offline');
  const pub = await mqttClient(t, b, { clientId: 'pub' });
  const longest = await flood(pub, 'offline/t', 500, 1, 100);
  assert.ok(longest < 10 * STALL_MS, `publisher waited ${longest} ms for one ack`);
  assert.equal(b.broker.sessions.get('away')!.queue.length, 100);
  assert.equal(b.broker.statistics.droppedQueueFull, 400);
});
