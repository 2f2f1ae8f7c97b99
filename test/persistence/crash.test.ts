// kill -9 at any moment loses nothing acknowledged: a real broker process on a data directory is killed in the
// middle of a QoS 1 / QoS 2 flood towards an offline persistent subscriber and started again on the same
// directory; the publisher (MQTT.js, clean session off) reconnects and finishes; the subscriber then gets every
// message: QoS 1 none missing, QoS 2 each exactly once, in publish order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MqttClient } from 'mqtt';
import { BrokerProcess, sleep, until } from './broker-process.js';

const TOTAL = 1500;
/** The broker is killed once this many PUBACK / PUBCOMP have arrived, with more in flight. */
const KILL_AFTER = 400;
/** Outstanding publishes at a time: within the broker's Receive Maximum. */
const WINDOW = 10;
const TOPIC = 'flood/t';

interface Flood {
  acked: Set<number>;
  done: Promise<void>;
}

/** Publishes 0..TOTAL-1 keeping WINDOW unacknowledged; MQTT.js keeps the unacknowledged ones across a reconnect. */
function flood(pub: MqttClient, qos: 1 | 2): Flood {
  const acked = new Set<number>();
  let next = 0;
  let open = 0;
  let finish: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const pump = (): void => {
    while (open < WINDOW && next < TOTAL) {
      const i = next++;
      open++;
      pub.publish(TOPIC, String(i), { qos }, (err) => {
        open--;
        if (!err) acked.add(i);
        if (acked.size === TOTAL) finish();
        else pump();
      });
    }
  };
  pump();
  return { acked, done };
}

for (const qos of [1, 2] as const) {
  test(`v3.1.1 [MQTT-4.3.${qos + 1}-1] [MQTT-4.4.0-1] QoS ${qos} flood, broker killed with SIGKILL mid-flood: every acknowledged message reaches the offline subscriber${qos === 2 ? ' exactly once' : ''}, in order`, async (t) => {
    const broker = await BrokerProcess.start(t, ['--max-queued', String(TOTAL * 2)]);
    const sub = await broker.client({ clientId: `sub-q${qos}`, clean: false, protocolVersion: 4 });
    await sub.subscribeAsync('flood/#', { qos });
    await sub.endAsync(); // offline from here on: everything is queued for it

    const pub = await broker.client({ clientId: `pub-q${qos}`, clean: false, protocolVersion: 4, reconnectPeriod: 100 });
    t.after(() => pub.end(true));
    const f = flood(pub, qos);
    await until(() => f.acked.size >= KILL_AFTER, `${KILL_AFTER} acknowledgements before the kill`);
    await broker.restart(); // SIGKILL, then the same data directory again
    const ackedAtKill = f.acked.size;
    assert.ok(ackedAtKill < TOTAL, 'the broker died mid-flood');
    await f.done; // the publisher reconnects on its own and re-sends what was not acknowledged
    await pub.endAsync();

    const back = await broker.connect({ clientId: `sub-q${qos}`, clean: false, protocolVersion: 4 });
    t.after(() => back.client.end(true));
    const got = back.messages.map((m) => Number(m.payload));
    back.client.on('message', (_topic, payload) => got.push(Number(payload.toString())));
    await until(() => new Set(got).size >= TOTAL, `all ${TOTAL} messages at the subscriber (got ${new Set(got).size})`);
    await sleep(300); // a duplicate would arrive right behind
    const firsts = [...new Set(got)];
    assert.deepEqual(firsts, Array.from({ length: TOTAL }, (_, i) => i), 'none missing, in publish order');
    if (qos === 2) assert.equal(got.length, TOTAL, 'QoS 2: each exactly once');
  });
}

test('v5 [MQTT-3.1.2-5] [MQTT-3.3.1-5] sessions and retained messages survive a SIGKILL', async (t) => {
  const broker = await BrokerProcess.start(t);
  const sub = await broker.client({ clientId: 'keeper', clean: false, protocolVersion: 5, properties: { sessionExpiryInterval: 3600 } });
  await sub.subscribeAsync('keep/#', { qos: 1, nl: true, rap: true, properties: { subscriptionIdentifier: 7 } });
  await sub.endAsync();
  const pub = await broker.client({ clientId: 'pub', protocolVersion: 5 });
  await pub.publishAsync('keep/retained', 'kept', { qos: 1, retain: true });
  await pub.publishAsync('keep/queued', 'waiting', { qos: 1 });
  await pub.endAsync();
  await broker.restart();

  const back = await broker.connect({ clientId: 'keeper', clean: false, protocolVersion: 5, properties: { sessionExpiryInterval: 3600 } });
  t.after(() => back.client.end(true));
  assert.equal(back.sessionPresent, true);
  await until(() => back.messages.length >= 2, 'the queued messages');
  assert.deepEqual(back.messages, [
    // the subscription came back with its options: identifier 7 and Retain As Published
    { topic: 'keep/retained', payload: 'kept', retain: true, ids: 7 },
    { topic: 'keep/queued', payload: 'waiting', retain: false, ids: 7 },
  ]);
  const fresh = await broker.client({ clientId: 'late', protocolVersion: 5 });
  t.after(() => fresh.end(true));
  const retained: string[] = [];
  fresh.on('message', (topic, payload, packet) => retained.push(`${topic}=${payload} retain=${packet.retain}`));
  await fresh.subscribeAsync('keep/#', { qos: 1 });
  await until(() => retained.length >= 1, 'the retained message');
  assert.deepEqual(retained, ['keep/retained=kept retain=true']);
});

test('v5 [MQTT-3.1.2-23] [MQTT-3.3.2-5] time the broker was down counts: session and message expiry run out during downtime', async (t) => {
  const broker = await BrokerProcess.start(t);
  for (const [clientId, sessionExpiryInterval] of [['short', 2], ['long', 3600]] as const) {
    const c = await broker.client({ clientId, clean: false, protocolVersion: 5, properties: { sessionExpiryInterval } });
    await c.subscribeAsync('x/#', { qos: 1 });
    await c.endAsync();
  }
  const pub = await broker.client({ clientId: 'pub', protocolVersion: 5 });
  await pub.publishAsync('x/brief', 'gone soon', { qos: 1, retain: true, properties: { messageExpiryInterval: 2 } });
  await pub.publishAsync('x/lasting', 'stays', { qos: 1, retain: true, properties: { messageExpiryInterval: 3600 } });
  await pub.endAsync();
  await broker.kill();
  await sleep(3000); // longer than both 2 s expiries, with the broker down the whole time
  await broker.launch();

  const long = await broker.connect({ clientId: 'long', clean: false, protocolVersion: 5, properties: { sessionExpiryInterval: 3600 } });
  t.after(() => long.client.end(true));
  assert.equal(long.sessionPresent, true, 'the 3600 s session is still there');
  const short = await broker.connect({ clientId: 'short', clean: false, protocolVersion: 5, properties: { sessionExpiryInterval: 2 } });
  t.after(() => short.client.end(true));
  assert.equal(short.sessionPresent, false, 'the 2 s session expired while the broker was down');
  const again = short.client;

  const got: string[] = [];
  again.on('message', (topic) => got.push(topic));
  await again.subscribeAsync('x/#', { qos: 1 });
  await until(() => got.length >= 1, 'the surviving retained message');
  await sleep(200);
  assert.deepEqual(got, ['x/lasting'], 'the retained message with a 2 s expiry is gone');
});

test('v5 [MQTT-3.1.2-8] [MQTT-3.1.2-10] the will of a client connected when the broker is killed is published after the restart, as for a lost connection', async (t) => {
  const broker = await BrokerProcess.start(t);
  const watcher = await broker.client({ clientId: 'watcher', clean: false, protocolVersion: 5, properties: { sessionExpiryInterval: 3600 } });
  await watcher.subscribeAsync('will/#', { qos: 1 });
  await watcher.endAsync();
  const withWill = (clientId: string, willDelayInterval: number): Promise<MqttClient> =>
    broker.client({
      clientId,
      clean: false,
      protocolVersion: 5,
      properties: { sessionExpiryInterval: 3600 },
      will: { topic: `will/${clientId}`, payload: Buffer.from(`${clientId} gone`), qos: 1, retain: false, properties: { willDelayInterval } },
    });
  const dies = await withWill('dies', 0);
  const delayed = await withWill('delayed', 1);
  const polite = await withWill('polite', 0);
  await polite.endAsync(); // a normal DISCONNECT discards the will [MQTT-3.1.2-10]
  // a PUBACK leaves only after the commit that holds everything before it, the connections' wills included
  await dies.publishAsync('sync', 'x', { qos: 1 });
  await delayed.publishAsync('sync', 'x', { qos: 1 });
  await broker.kill();
  dies.end(true);
  delayed.end(true);
  await broker.launch();

  const back = await broker.connect({ clientId: 'watcher', clean: false, protocolVersion: 5, properties: { sessionExpiryInterval: 3600 } });
  t.after(() => back.client.end(true));
  await until(() => back.messages.length >= 2, 'the two wills');
  await sleep(300);
  assert.deepEqual(back.messages.map((m) => `${m.topic}=${m.payload}`).sort(), ['will/delayed=delayed gone', 'will/dies=dies gone']);
});
