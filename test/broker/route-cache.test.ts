// The router asks the topic tree for a topic's matches through a route kept per topic name until the tree changes
// (topic-tree.ts matchTopic). A kept route must never differ from a walk: after any sequence of subscribes,
// re-subscribes (new options) and unsubscribes, on plain and shared filters, a publish reaches exactly the
// subscriptions a fresh walk finds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TopicTree, type MatchVisitor } from '../../src/broker/topic-tree.js';
import type { SharedGroup } from '../../src/broker/shared-subscriptions.js';
import { mqttClient, nextMessages, sleep, startBroker } from './support.js';

interface Entry {
  key: string;
  version: number;
}

function collect(run: (v: MatchVisitor<Entry>) => void): string[] {
  const out: string[] = [];
  run({
    subscriber: (e) => out.push(`${e.key}@${e.version}`),
    shared: (g: SharedGroup<Entry>) => out.push(`$${g.name}/${g.filter}:${g.size}`),
  });
  return out.sort();
}

const level = fc.constantFrom('a', 'b', '$x', '');
const filterArb = fc.array(fc.oneof(level, fc.constant('+')), { minLength: 1, maxLength: 3 })
  .chain((levels) => fc.boolean().map((hash) => (hash ? [...levels, '#'] : levels).join('/')));
const topicArb = fc.array(level, { minLength: 1, maxLength: 3 }).map((l) => l.join('/'));
const op = fc.oneof(
  fc.record({ kind: fc.constant('add' as const), filter: filterArb, key: fc.constantFrom('c1', 'c2') }),
  fc.record({ kind: fc.constant('remove' as const), filter: filterArb, key: fc.constantFrom('c1', 'c2') }),
  fc.record({ kind: fc.constant('addShared' as const), filter: filterArb, key: fc.constantFrom('c1', 'c2') }),
  fc.record({ kind: fc.constant('removeShared' as const), filter: filterArb, key: fc.constantFrom('c1', 'c2') }),
  fc.record({ kind: fc.constant('publish' as const), topic: topicArb }),
);

test('[MQTT-4.7.1-1] [MQTT-4.7.1-2] [MQTT-4.7.2-1] a kept route always equals a walk of the tree as it is now', () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 40 }), fc.array(topicArb, { minLength: 1, maxLength: 4 }), (ops, probes) => {
      const tree = new TopicTree<Entry>();
      let version = 0;
      const check = (topic: string): void => {
        const walked = collect((v) => tree.match(topic.split('/'), v));
        assert.deepEqual(collect((v) => tree.matchTopic(topic, v)), walked, `first lookup of ${topic}`);
        assert.deepEqual(collect((v) => tree.matchTopic(topic, v)), walked, `kept route of ${topic}`);
      };
      for (const o of ops) {
        if (o.kind === 'add') tree.add(o.filter, o.key, { key: o.key, version: ++version }); // a re-subscribe replaces
        else if (o.kind === 'remove') tree.remove(o.filter, o.key);
        else if (o.kind === 'addShared') tree.addShared('g', o.filter, o.key, { key: o.key, version: ++version });
        else if (o.kind === 'removeShared') tree.removeShared('g', o.filter, o.key);
        else check(o.topic);
        for (const p of probes) check(p);
      }
    }),
    { numRuns: 300 },
  );
});

test('a publish after a subscription change reaches exactly the subscriptions in force (kept routes dropped)', async (t) => {
  const b = await startBroker(t);
  const a = await mqttClient(t, b, { clientId: 'rc-a' });
  const w = await mqttClient(t, b, { clientId: 'rc-w' });
  const pub = await mqttClient(t, b, { clientId: 'rc-pub' });
  await a.subscribeAsync('rc/x', { qos: 0 });
  const first = nextMessages(a);
  await pub.publishAsync('rc/x', '1', { qos: 1 });
  assert.equal((await first)[0]!.payload, '1'); // the route of rc/x is kept now

  // a new wildcard subscription on another client: the kept route must not hide it
  await w.subscribeAsync('rc/+', { qos: 1 });
  const [toA, toW] = [nextMessages(a), nextMessages(w)];
  await pub.publishAsync('rc/x', '2', { qos: 1 });
  assert.equal((await toA)[0]!.packet.qos, 0);
  assert.equal((await toW)[0]!.packet.qos, 1);

  // a re-subscribe with new options replaces the subscription: the message goes out with the new QoS [MQTT-3.8.4-3]
  await a.subscribeAsync('rc/x', { qos: 1 });
  const again = nextMessages(a);
  await pub.publishAsync('rc/x', '3', { qos: 1 });
  assert.equal((await again)[0]!.packet.qos, 1);

  // after an unsubscribe the old route is gone: nothing more reaches the wildcard subscriber [MQTT-3.10.4-1]
  await w.unsubscribeAsync('rc/+');
  let late = 0;
  w.on('message', () => late++);
  const last = nextMessages(a);
  await pub.publishAsync('rc/x', '4', { qos: 1 });
  assert.equal((await last)[0]!.payload, '4');
  await sleep(100);
  assert.equal(late, 0);
});
