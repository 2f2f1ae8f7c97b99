// A SUBACK / UNSUBACK to a persistent session promises the subscription change is kept: with sessions in Redis it
// leaves only once Redis has stored the change (a node killed before that never sent it). Redis is made to hold
// writes (CLIENT PAUSE WRITE) so the order is visible.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BOUND, connectWithAck, redisClient, startNode, startRedis, uid } from './support.js';

const KEY = '{glassmq}:';
const PAUSE_MS = 3000;

test('v5 [MQTT-3.8.4-1] [MQTT-3.10.4-4] SUBACK and UNSUBACK of a persistent session leave once Redis holds the change', BOUND, async (t) => {
  const redis = await startRedis(t);
  const node = await startNode(t, redis, 'acks');
  const admin = await redisClient(t, redis);
  const id = uid('durable');
  const { client: c } = await connectWithAck(t, node, 5, { clientId: id, clean: false, properties: { sessionExpiryInterval: 300 } });
  const stored = async (): Promise<string> => (await admin.hget(`${KEY}session:${id}`, 'subs')) ?? '';
  for (let i = 0; i < 50 && (await admin.exists(`${KEY}session:${id}`)) === 0; i++) await new Promise((r) => setTimeout(r, 100));

  await admin.client('PAUSE', PAUSE_MS, 'WRITE');
  let t0 = Date.now();
  await c.subscribeAsync('durable/topic', { qos: 1 });
  const subackAfter = Date.now() - t0;
  const atSuback = await stored();
  assert.ok(subackAfter >= PAUSE_MS / 2, `SUBACK after ${subackAfter} ms, while Redis held the write`);
  assert.match(atSuback, /durable\/topic/, 'the subscription was in Redis when the SUBACK arrived');

  await admin.client('PAUSE', PAUSE_MS, 'WRITE');
  t0 = Date.now();
  await c.unsubscribeAsync('durable/topic');
  const unsubackAfter = Date.now() - t0;
  assert.ok(unsubackAfter >= PAUSE_MS / 2, `UNSUBACK after ${unsubackAfter} ms, while Redis held the write`);
  assert.doesNotMatch(await stored(), /durable\/topic/, 'the subscription was gone from Redis when the UNSUBACK arrived');
});

test('v5 [MQTT-3.8.4-1] a non-persistent session gets its SUBACK at once: nothing of it is written', BOUND, async (t) => {
  const redis = await startRedis(t);
  const node = await startNode(t, redis, 'fast');
  const admin = await redisClient(t, redis);
  const { client: c } = await connectWithAck(t, node, 5, { clientId: uid('brief'), clean: true });
  await admin.client('PAUSE', PAUSE_MS, 'WRITE');
  const t0 = Date.now();
  await c.subscribeAsync('brief/topic', { qos: 1 });
  assert.ok(Date.now() - t0 < PAUSE_MS / 2, `SUBACK after ${Date.now() - t0} ms`);
});
