// Client id take-over across nodes: a CONNECT on n2 for an id connected on n1 closes the n1 connection.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IDisconnectPacket } from 'mqtt';
import { BOUND, Cleanup, client, collect, connectWithAck, DELIVERY_MS, startNode, startRedis, uid, waitForRoute, waitForSys, type Node } from './support.js';

const SESSION_TAKEN_OVER = 0x8e;

describe('client id take-over across nodes', () => {
  const cleanup = new Cleanup();
  after(() => cleanup.run());
  let n1: Node, n2: Node, n3: Node;
  before(async () => {
    const redis = await startRedis(cleanup);
    [n1, n2, n3] = await Promise.all(['t1', 't2', 't3'].map((id) => startNode(cleanup, redis, id)));
  }, BOUND);

  test('v5 [MQTT-3.1.4-3] a CONNECT on n2 makes n1 send DISCONNECT 0x8E to the old connection and publish its will', BOUND, async (t) => {
    const id = uid('dup');
    const willTopic = `will/${id}`;
    const watcher = await client(t, n3, 5);
    const wills = collect(watcher);
    await watcher.subscribeAsync(willTopic, { qos: 1 });
    const prober = await client(t, n1, 5);
    await waitForRoute(prober, wills, willTopic); // n1 knows n3 wants the will topic
    const old = await client(t, n1, 5, { clientId: id, will: { topic: willTopic, payload: Buffer.from('gone'), qos: 1, retain: false } });
    const disconnected = new Promise<IDisconnectPacket>((resolve) => old.once('disconnect', resolve));
    const closed = new Promise<void>((resolve) => old.once('close', () => resolve()));
    const replacement = await client(t, n2, 5, { clientId: id });
    assert.equal(replacement.connected, true);
    const packet = await withTimeout(disconnected, 'DISCONNECT on the old connection');
    assert.equal(packet.reasonCode, SESSION_TAKEN_OVER);
    await withTimeout(closed, 'the old connection to close');
    await wills.until((m) => m.some((x) => x.payload === 'gone'), 'the will of the old connection');
    assert.equal(replacement.connected, true); // the new connection stays
  });

  test('v3.1.1 [MQTT-3.1.4-2] a CONNECT on n3 closes the connection with the same client id on n2', BOUND, async (t) => {
    const id = uid('dup');
    const old = await client(t, n2, 4, { clientId: id });
    const closed = new Promise<void>((resolve) => old.once('close', () => resolve()));
    const replacement = await client(t, n3, 4, { clientId: id });
    await withTimeout(closed, 'the old connection to close');
    assert.equal(replacement.connected, true);
  });
});

describe('a session left on a node when its client id connects on another', () => {
  const cleanup = new Cleanup();
  after(() => cleanup.run());
  let n1: Node, n2: Node;
  before(async () => {
    const redis = await startRedis(cleanup);
    [n1, n2] = await Promise.all(['s1', 's2'].map((id) => startNode(cleanup, redis, id)));
  }, BOUND);

  test('v3.1.1 [MQTT-3.1.2-5] a persistent session offline on n1 moves to n2 when its client id connects there (Session Present 1; n1 keeps nothing of it)', BOUND, async (t) => {
    const id = uid('mover');
    const first = await client(t, n1, 4, { clientId: id, clean: false });
    await first.subscribeAsync(`moved/${id}`, { qos: 1 });
    await first.endAsync();
    await waitForSys(t, n1, 'clients/disconnected', (v) => v === '1'); // the session stays on n1
    const { client: second, connack } = await connectWithAck(t, n2, 4, { clientId: id, clean: false });
    assert.equal(second.connected, true);
    assert.equal(connack.sessionPresent, true); // [MQTT-3.2.2-2]
    await waitForSys(t, n1, 'clients/disconnected', (v) => v === '0');
    await waitForSys(t, n1, 'subscriptions/count', (v) => v === '0'); // (a probe's own $SYS subscription may count for a tick)
    await waitForSys(t, n2, 'subscriptions/count', (v) => Number(v) >= 1); // the subscription came along
  });

  test('v3.1.1 [MQTT-3.1.2-6] a CleanSession 1 CONNECT on n2 ends the session left on n1', BOUND, async (t) => {
    const id = uid('cleaner');
    const first = await client(t, n1, 4, { clientId: id, clean: false });
    await first.subscribeAsync(`cleaned/${id}`, { qos: 1 });
    await first.endAsync();
    await waitForSys(t, n1, 'clients/disconnected', (v) => v === '1');
    const { connack } = await connectWithAck(t, n2, 4, { clientId: id, clean: true });
    assert.equal(connack.sessionPresent, false);
    await waitForSys(t, n1, 'clients/disconnected', (v) => v === '0');
    await waitForSys(t, n1, 'subscriptions/count', (v) => v === '0'); // (a probe's own $SYS subscription may count for a tick)
  });
});

function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  return Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), DELIVERY_MS).unref())]);
}
