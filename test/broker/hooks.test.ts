// The embedding hooks: authentication and authorization decide what clients see on the wire.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mqttClient, nextMessages, RawClient, startBroker, until } from './support.js';
import type { BrokerHooks } from '../../src/index.js';

test('authenticate: false refuses (3.1.1 rc 4, 5.0 0x86); an async hook works too', async (t) => {
  const hooks: BrokerHooks = {
    authenticate: async ({ username, password }) => username === 'alice' && password?.toString() === 'secret',
  };
  const b = await startBroker(t, { hooks });
  for (const version of [4, 5] as const) {
    const bad = await RawClient.open(t, b.port, version);
    const ack = await bad.connect(`bad${version}`, { username: 'alice', password: Buffer.from('wrong') });
    assert.equal(ack.reasonCode, version === 5 ? 0x86 : 4);
    await until(() => bad.closed, 'close');
    const good = await RawClient.open(t, b.port, version);
    assert.equal((await good.connect(`good${version}`, { username: 'alice', password: Buffer.from('secret') })).reasonCode, 0);
  }
});

test('authorizeSubscribe: a refused filter gets 0x80 (3.1.1) / 0x87 (5.0); a QoS caps the grant', async (t) => {
  const hooks: BrokerHooks = {
    authorizeSubscribe: (_c, filter) => (filter === 'secret/#' ? false : filter === 'capped' ? 0 : true),
  };
  const b = await startBroker(t, { hooks });
  for (const version of [4, 5] as const) {
    const c = await RawClient.open(t, b.port, version);
    await c.connect(`sub${version}`);
    const opts = { qos: 2 as const, noLocal: false, retainAsPublished: false, retainHandling: 0 as const };
    c.send({ type: 'subscribe', packetId: 5, subscriptions: [{ topicFilter: 'secret/#', ...opts }, { topicFilter: 'capped', ...opts }, { topicFilter: 'open', ...opts }] });
    const ack = await c.expect('suback');
    assert.deepEqual(ack.reasonCodes, [version === 5 ? 0x87 : 0x80, 0, 2]);
  }
});

test('authorizePublish: refused QoS 1 is acknowledged and dropped (3.1.1), answered 0x87 (5.0)', async (t) => {
  const hooks: BrokerHooks = { authorizePublish: (_c, topic) => topic !== 'forbidden' };
  const b = await startBroker(t, { hooks });
  const watcher = await mqttClient(t, b);
  await watcher.subscribeAsync('#', { qos: 1 });
  const got = nextMessages(watcher, 1);
  for (const version of [4, 5] as const) {
    const c = await RawClient.open(t, b.port, version);
    await c.connect(`pub${version}`);
    c.send({ type: 'publish', topic: 'forbidden', payload: Buffer.from('x'), qos: 1, retain: false, dup: false, packetId: 9 });
    const ack = await c.expect('puback');
    assert.equal(ack.packetId, 9);
    assert.equal(ack.reasonCode ?? 0, version === 5 ? 0x87 : 0);
  }
  const allowed = await mqttClient(t, b);
  await allowed.publishAsync('allowed', 'ok', { qos: 1 });
  assert.equal((await got)[0]!.topic, 'allowed'); // the refused ones never arrived first
});

test('connected / disconnected / published / subscribed hooks fire with the client', async (t) => {
  const events: string[] = [];
  const hooks: BrokerHooks = {
    connected: (c) => events.push(`connected ${c.clientId}`),
    disconnected: (c, why) => events.push(`disconnected ${c.clientId} ${why}`),
    subscribed: (c, f, q) => events.push(`subscribed ${c.clientId} ${f} ${q}`),
    published: (m, c) => events.push(`published ${m.topic} ${c?.clientId}`),
  };
  const b = await startBroker(t, { hooks });
  const c = await mqttClient(t, b, { clientId: 'hooked' });
  await c.subscribeAsync('h', { qos: 1 });
  await c.publishAsync('h', 'x', { qos: 1 });
  await c.endAsync();
  await until(() => events.length === 4, 'four events');
  assert.deepEqual(events, ['connected hooked', 'subscribed hooked h 1', 'published h hooked', 'disconnected hooked client-disconnect']);
});

test('a throwing hook is logged, not fatal: other subscribers still get the message; class-method hooks keep this', async (t) => {
  class Policy implements BrokerHooks {
    private readonly denied = 'blocked';
    authorizePublish(_c: unknown, topic: string): boolean {
      return topic !== this.denied;
    }
    authorizeRead(client: { clientId: string }): boolean {
      if (client.clientId === 'boom') throw new Error('hook bug');
      return true;
    }
    published(): void {
      throw new Error('observer bug');
    }
  }
  const b = await startBroker(t, { hooks: new Policy() });
  const boom = await mqttClient(t, b, { clientId: 'boom' });
  await boom.subscribeAsync('x', { qos: 1 });
  const fine = await mqttClient(t, b, { clientId: 'fine' });
  await fine.subscribeAsync('x', { qos: 1 });
  const got = nextMessages(fine, 1);
  const pub = await mqttClient(t, b, { protocolVersion: 5 });
  const refused = await pub.publishAsync('blocked', 'no', { qos: 1 }).then(() => 'acked', (err: { code?: number }) => err.code);
  assert.equal(refused, 0x87);
  await pub.publishAsync('x', 'yes', { qos: 1 });
  assert.equal((await got)[0]!.payload, 'yes');
});
