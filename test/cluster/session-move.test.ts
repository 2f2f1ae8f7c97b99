// A persistent session moving between nodes while messages flow: no message falls between the node it left and the
// node it goes to (the node it left forwards what still comes there), and no message is delivered twice as a new
// message (copies by two paths carry one cluster-wide id). And the stream acknowledgement travels in the same
// atomic Redis write as the session write it depends on, so a node killed between the two cannot exist.
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Store, type IClientOptions } from 'mqtt';
import { BOUND, Cleanup, client, collect, connectWithAck, DELIVERY_MS, sleep, startNode, startRedis, sysValue, uid, waitForRoute, type Node, type Received, type RedisServer } from './support.js';

const MESSAGES = 1500;
const MOVES = 10;

describe('a persistent session moving between nodes while a third node publishes', () => {
  const cleanup = new Cleanup();
  after(() => cleanup.run());
  let a: Node, b: Node, c: Node;
  let server: RedisServer;
  before(async () => {
    server = await startRedis(cleanup);
    [a, b, c] = await Promise.all(['ma', 'mb', 'mc'].map((id) => startNode(cleanup, server, id)));
  }, BOUND);

  for (const qos of [1, 2] as const) {
    test(`v5 QoS ${qos}: moved ${MOVES} times mid-stream, it gets every acknowledged message, and a second copy only as a DUP resend [MQTT-4.3.3-1] [MQTT-3.3.1-1]`, BOUND, async (t) => {
      const id = uid('mover');
      const root = `move/${id}`;
      // MQTT.js hands a QoS 2 message to the application at PUBREL, from its incoming store: the client instances of
      // one session share a store that outlives them, as an application resuming a session must (a PUBREL resent
      // after a move finds the PUBLISH the previous instance stored)
      const incomingStore = new Store({ clean: false });
      const opts: IClientOptions = { clientId: id, clean: false, properties: { sessionExpiryInterval: 300 }, incomingStore };
      const received: Received[] = [];
      const first = await connectWithAck(t, a, 5, opts);
      first.client.on('message', (topic, payload, packet) => received.push({ topic, payload: payload.toString(), packet }));
      await first.client.subscribeAsync(`${root}/#`, { qos });
      const pub = await client(t, c, 5);
      await waitForRoute(pub, first.got, `${root}/probe`);

      // the publisher: QoS 1/2, up to 20 in flight, about one message a millisecond, all acknowledged by c
      let published = 0;
      const publishing = (async () => {
        const inflight = new Set<Promise<unknown>>();
        for (let i = 0; i < MESSAGES; i++) {
          const p = pub.publishAsync(`${root}/m`, `m${i}`, { qos }).finally(() => inflight.delete(p));
          inflight.add(p);
          if (inflight.size >= 20) await Promise.race(inflight);
          if (i % 10 === 9) await sleep(10);
        }
        await Promise.all(inflight);
        published = MESSAGES;
      })();

      // the subscriber goes offline and comes back on the other node, again and again, while that runs
      let current = first.client;
      for (let move = 0; move < MOVES; move++) {
        await sleep(120);
        await current.endAsync();
        const next = await connectWithAck(t, move % 2 === 0 ? b : a, 5, opts);
        assert.equal(next.connack.sessionPresent, true); // [MQTT-3.2.2-2]
        next.client.on('message', (topic, payload, packet) => received.push({ topic, payload: payload.toString(), packet }));
        for (const m of next.got.messages) received.push(m); // what came with the CONNACK
        current = next.client;
      }
      await publishing;
      assert.equal(published, MESSAGES);

      const payloads = (): Received[] => received.filter((m) => m.topic === `${root}/m`);
      const deadline = Date.now() + DELIVERY_MS;
      while (new Set(payloads().map((m) => m.payload)).size < MESSAGES && Date.now() < deadline) await sleep(200);
      const seen = new Map<string, Received[]>();
      for (const m of payloads()) seen.set(m.payload, [...(seen.get(m.payload) ?? []), m]);
      const missing = Array.from({ length: MESSAGES }, (_, i) => `m${i}`).filter((p) => !seen.has(p));
      assert.deepEqual(missing, [], `${missing.length} acknowledged message(s) never arrived`);
      // a resend of an unacknowledged delivery after a move carries DUP [MQTT-3.3.1-1]; a copy routed twice would not
      const fresh = [...seen.entries()].filter(([, copies]) => copies.filter((m) => !m.packet.dup).length > 1).map(([p]) => p);
      assert.deepEqual(fresh, [], `${fresh.length} message(s) delivered twice as new messages`);
      current.end(true);
    });
  }

  test('the forwarding shows in $SYS: messages the node a session left sent on, and second copies not delivered', BOUND, async (t) => {
    const forwarded = Number(await sysValue(t, a, 'cluster/sessions/forwarded')) + Number(await sysValue(t, b, 'cluster/sessions/forwarded'));
    assert.ok(forwarded > 0, `the moves above forwarded messages (got ${forwarded})`);
    assert.equal(Number(await sysValue(t, c, 'cluster/sessions/forward-lost')), 0);
  });

  test('a stream entry is acknowledged in the same atomic write that stores the message in the session (no committed-but-pending entry)', BOUND, async (t) => {
    const id = uid('atomic');
    const root = `atomic/${id}`;
    const opts: IClientOptions = { clientId: id, clean: false, properties: { sessionExpiryInterval: 300 } };
    const { client: sub, got } = await connectWithAck(t, b, 5, opts);
    await sub.subscribeAsync(`${root}/#`, { qos: 1 });
    const pub = await client(t, c, 5);
    await waitForRoute(pub, got, `${root}/probe`);
    await sub.endAsync(); // offline: the message is queued in the session (an RPUSH on its queue)

    const lines = await monitorWhile(t, server, () => pub.publishAsync(`${root}/m`, 'one', { qos: 1 }), `"xack" "{glassmq}:stream:${b.id}"`);
    assertOneWrite(lines, `"xack" "{glassmq}:stream:${b.id}"`, `"rpush" "{glassmq}:queue:${id}"`);
  });

  test('[MQTT-4.3.3-9] a QoS 2 message from a persistent session goes to the other node in the write that records its packet id', BOUND, async (t) => {
    const id = uid('q2pub');
    const root = `q2pub/${id}`;
    const sub = await client(t, b, 5);
    const got = collect(sub);
    await sub.subscribeAsync(`${root}/#`, { qos: 2 });
    const pub = await client(t, a, 5, { clientId: id, clean: false, properties: { sessionExpiryInterval: 300 } });
    await waitForRoute(pub, got, `${root}/probe`);
    const xadd = `"xadd" "{glassmq}:stream:${b.id}"`;
    const lines = await monitorWhile(t, server, () => pub.publishAsync(`${root}/m`, 'once', { qos: 2 }), xadd);
    // the incoming packet id is a field of the publisher's session HASH ("incoming"), written with the XADD: a crash
    // of node a leaves both or neither, so the resend (DUP) on another node is known as one
    assertOneWrite(lines, xadd, `"hset" "{glassmq}:session:${id}"`);
    await got.until((m) => m.some((x) => x.payload === 'once'), 'the QoS 2 message on the other node');
  });
});

/** Runs `act` with redis-cli MONITOR on, until a line contains `until`; returns MONITOR's lines. */
async function monitorWhile(t: TestContext, server: RedisServer, act: () => Promise<unknown>, until: string): Promise<string[]> {
  const monitor = spawn('redis-cli', ['-p', String(server.port), 'monitor'], { stdio: ['ignore', 'pipe', 'ignore'] });
  t.after(() => monitor.kill('SIGKILL'));
  let log = '';
  monitor.stdout.on('data', (d: Buffer) => (log += d.toString()));
  await sleep(300); // MONITOR is on
  await act();
  const deadline = Date.now() + DELIVERY_MS;
  while (!log.includes(until) && Date.now() < deadline) await sleep(100);
  monitor.kill('SIGKILL');
  return log.split('\n');
}

/**
 * `first` and `second` were sent in one atomic write: one MULTI (no EXEC between them on that connection), or one
 * script call (fenced-write.ts, when the node's last heartbeat is not recent enough to rule out a reap), whose
 * arguments are the commands.
 */
function assertOneWrite(lines: string[], first: string, second: string): void {
  const script = lines.find((l) => /"evalsha"/i.test(l) && l.includes(first));
  if (script) {
    assert.ok(script.includes(second), `${second} is in the same atomic write:\n${script}`);
    return;
  }
  const at = lines.findIndex((l) => l.includes(first));
  assert.ok(at >= 0, `${first} was sent`);
  const conn = /\[\d+ ([^\]]+)\]/.exec(lines[at]!)?.[1];
  const own = lines.slice(0, at + 1).filter((l) => l.includes(`${conn}]`));
  const multi = own.map((l) => /"multi"/i.test(l)).lastIndexOf(true);
  assert.ok(multi >= 0, `${first} is inside a MULTI`);
  const tx = own.slice(multi);
  assert.ok(tx.some((l) => l.includes(second)), `${second} is in the same MULTI:\n${tx.join('\n')}`);
  assert.ok(!tx.some((l) => /"exec"/i.test(l)), 'no EXEC between them');
}

describe('a persistent session moved while connected (take-over)', () => {
  const cleanup = new Cleanup();
  after(() => cleanup.run());
  let a: Node, b: Node, c: Node;
  before(async () => {
    const server = await startRedis(cleanup);
    [a, b, c] = await Promise.all(['ta', 'tb', 'tc'].map((id) => startNode(cleanup, server, id)));
  }, BOUND);

  test('v5 [MQTT-3.1.4-3] QoS 1: taken over from node to node mid-stream, every acknowledged message arrives', BOUND, async (t) => {
    const id = uid('taken');
    const root = `taken/${id}`;
    const opts: IClientOptions = { clientId: id, clean: false, properties: { sessionExpiryInterval: 300 } };
    const payloads = new Set<string>();
    const first = await connectWithAck(t, a, 5, opts);
    first.client.on('message', (topic, payload) => topic === `${root}/m` && payloads.add(payload.toString()));
    await first.client.subscribeAsync(`${root}/#`, { qos: 1 });
    const pub = await client(t, c, 5);
    await waitForRoute(pub, first.got, `${root}/probe`);
    const publishing = (async () => {
      for (let i = 0; i < MESSAGES; i += 10) {
        await Promise.all(Array.from({ length: 10 }, (_, k) => pub.publishAsync(`${root}/m`, `m${i + k}`, { qos: 1 })));
        await sleep(5);
      }
    })();
    for (let move = 0; move < MOVES; move++) {
      await sleep(120);
      // the new connection takes over while the old one is still open: the old node closes it (0x8E)
      const next = await connectWithAck(t, move % 2 === 0 ? b : a, 5, opts);
      assert.equal(next.connack.sessionPresent, true);
      next.client.on('message', (topic, payload) => topic === `${root}/m` && payloads.add(payload.toString()));
      for (const m of next.got.messages) if (m.topic === `${root}/m`) payloads.add(m.payload);
    }
    await publishing;
    const deadline = Date.now() + DELIVERY_MS;
    while (payloads.size < MESSAGES && Date.now() < deadline) await sleep(200);
    const missing = Array.from({ length: MESSAGES }, (_, i) => `m${i}`).filter((p) => !payloads.has(p));
    assert.deepEqual(missing, [], `${missing.length} acknowledged message(s) never arrived`);
  });
});
