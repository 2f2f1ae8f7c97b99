// A node killed with SIGKILL: after the heartbeat timeout a surviving node publishes the wills of its clients.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BOUND, client, collect, sleep, startNode, startRedis, uid, waitForRoute } from './support.js';

const DEATH_NOTICED_MS = 45_000; // heartbeat timeout (6 s) + resync (5 s), with a wide margin for a loaded machine

test('v3.1.1 / v5 [MQTT-3.1.2-8] a node killed with SIGKILL: a survivor publishes the wills of its connected clients, not of those that sent DISCONNECT', BOUND, async (t) => {
  const redis = await startRedis(t);
  const [doomed, survivor] = await Promise.all([startNode(t, redis, 'd1'), startNode(t, redis, 'd2')]);
  const root = `death/${uid()}`;
  const watcher = await client(t, survivor, 5);
  const got = collect(watcher);
  await watcher.subscribeAsync(`${root}/#`, { qos: 1 });
  const prober = await client(t, doomed, 5);
  await waitForRoute(prober, got, `${root}/probe`);
  await client(t, doomed, 4, { will: { topic: `${root}/will`, payload: Buffer.from('v3 gone'), qos: 1, retain: false } });
  await client(t, doomed, 5, { will: { topic: `${root}/will`, payload: Buffer.from('v5 gone'), qos: 1, retain: false } });
  const polite = await client(t, doomed, 5, { will: { topic: `${root}/will`, payload: Buffer.from('polite'), qos: 1, retain: false } });
  await polite.endAsync(); // normal DISCONNECT: its will is deleted [MQTT-3.1.2-10]
  await sleep(500);
  await doomed.kill();

  await got.until((m) => m.filter((x) => x.topic === `${root}/will`).length >= 2, 'both wills from the survivor', DEATH_NOTICED_MS);
  await sleep(1500);
  const wills = got.messages.filter((x) => x.topic === `${root}/will`).map((x) => x.payload).sort();
  assert.deepEqual(wills, ['v3 gone', 'v5 gone']);
  assert.match(survivor.output(), /node d1 stopped beating: removed it, published 2 will\(s\)/);
});
