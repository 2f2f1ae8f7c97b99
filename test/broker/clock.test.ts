// Time-driven behaviour with an injected clock: keepalive, will delay, session expiry. No sleeping.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from './fake-clock.js';
import { mqttClient, nextMessages, RawClient, startBroker, sleep, until } from './support.js';

test('v5 [MQTT-3.1.2-22] keepalive: silent for 1.5 x keepalive -> DISCONNECT 0x8D, close, will published', async (t) => {
  const clock = new FakeClock();
  const b = await startBroker(t, { clock });
  const watcher = await mqttClient(t, b, { protocolVersion: 5, keepalive: 0 });
  await watcher.subscribeAsync('will/#');
  const raw = await RawClient.open(t, b.port, 5);
  await raw.connect('sleepy', { keepalive: 2, will: { topic: 'will/sleepy', payload: Buffer.from('timeout'), qos: 0, retain: false } });
  const got = nextMessages(watcher, 1);
  clock.advance(2999);
  await sleep(50);
  assert.equal(raw.closed, false);
  assert.equal(raw.count('disconnect'), 0);
  clock.advance(1);
  const d = await raw.expect('disconnect');
  assert.equal(d.reasonCode, 0x8d);
  await until(() => raw.closed, 'close');
  assert.equal((await got)[0]!.payload, 'timeout');
});

test('v5 [MQTT-3.1.2-8] the will waits for its Will Delay Interval', async (t) => {
  const clock = new FakeClock();
  const b = await startBroker(t, { clock });
  const watcher = await mqttClient(t, b, { protocolVersion: 5 });
  await watcher.subscribeAsync('will/#');
  let wills = 0;
  watcher.on('message', () => wills++);
  const raw = await RawClient.open(t, b.port, 5);
  await raw.connect('delayed', {
    properties: { sessionExpiryInterval: 100 },
    will: { topic: 'will/delayed', payload: Buffer.from('late'), qos: 0, retain: false, properties: { willDelayInterval: 30 } },
  });
  raw.socket.destroy();
  await until(() => b.broker.clients().length === 1, 'the connection to drop');
  clock.advance(29_000);
  await sleep(100);
  assert.equal(wills, 0);
  clock.advance(1000);
  await until(() => wills === 1, 'the will');
});

test('v5 [MQTT-3.1.3-9] reconnecting before the will delay cancels the will', async (t) => {
  const clock = new FakeClock();
  const b = await startBroker(t, { clock });
  const watcher = await mqttClient(t, b, { protocolVersion: 5 });
  await watcher.subscribeAsync('will/#');
  let wills = 0;
  watcher.on('message', () => wills++);
  const will = { topic: 'will/back', payload: Buffer.from('x'), qos: 0 as const, retain: false, properties: { willDelayInterval: 30 } };
  const first = await RawClient.open(t, b.port, 5);
  await first.connect('back', { clean: false, properties: { sessionExpiryInterval: 100 }, will });
  first.socket.destroy();
  await until(() => b.broker.clients().length === 1, 'the connection to drop');
  clock.advance(10_000);
  const second = await RawClient.open(t, b.port, 5);
  const ack = await second.connect('back', { clean: false, properties: { sessionExpiryInterval: 100 } });
  assert.equal(ack.sessionPresent, true);
  clock.advance(60_000);
  await sleep(100);
  assert.equal(wills, 0);
});

test('v5 [MQTT-4.1.0-2] [MQTT-3.1.2-23] a session is discarded when its expiry interval passes, not before', async (t) => {
  const clock = new FakeClock();
  const b = await startBroker(t, { clock });
  const raw = await RawClient.open(t, b.port, 5);
  await raw.connect('expiring', { properties: { sessionExpiryInterval: 10 } });
  raw.send({ type: 'disconnect', reasonCode: 0 });
  await until(() => raw.closed, 'close');
  clock.advance(9_999);
  assert.equal(b.broker.sessionCount, 1);
  clock.advance(1);
  assert.equal(b.broker.sessionCount, 0);
  assert.equal(b.broker.stats.clientsExpired, 1);
});

test('v3.1.1 [MQTT-3.1.2-6] a clean session ends with its connection; [MQTT-3.1.2-4] a persistent one stays', async (t) => {
  const b = await startBroker(t);
  const clean = await RawClient.open(t, b.port, 4);
  await clean.connect('clean1');
  const kept = await RawClient.open(t, b.port, 4);
  await kept.connect('kept1', { clean: false });
  clean.socket.destroy();
  kept.socket.destroy();
  await until(() => b.broker.clients().length === 0, 'both to drop');
  assert.equal(b.broker.sessionCount, 1);
});

test('$SYS topics are published with mosquitto names every sys-interval, and clients cannot publish to $SYS', async (t) => {
  const clock = new FakeClock();
  const b = await startBroker(t, { clock, sysInterval: 5 });
  const c = await mqttClient(t, b);
  await c.publishAsync('$SYS/broker/version', 'fake', { qos: 1, retain: true });
  const got = nextMessages(c, 3);
  await c.subscribeAsync(['$SYS/broker/version', '$SYS/broker/clients/connected', '$SYS/broker/uptime']);
  const first = Object.fromEntries((await got).map((m) => [m.topic, m.payload]));
  assert.match(first['$SYS/broker/version']!, /^glassmq version /);
  assert.equal(first['$SYS/broker/clients/connected'], '0'); // the retained value from start-up
  const later = nextMessages(c, 3);
  clock.advance(5000);
  const second = Object.fromEntries((await later).map((m) => [m.topic, m.payload]));
  assert.equal(second['$SYS/broker/uptime'], '5 seconds');
  assert.equal(second['$SYS/broker/clients/connected'], '1');
  assert.match(second['$SYS/broker/version']!, /^glassmq version /); // the client's publish was dropped
});
