// SharedGroupIndex: one node per share group per message, taking turns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { groupKey, SharedGroupIndex } from '../../src/cluster/shared-groups.js';

test('v5 [MQTT-4.8.2-3] each matching group is served by exactly one node per message, the nodes taking turns', () => {
  const index = new SharedGroupIndex();
  for (const node of ['b', 'a', 'c']) index.add(node, 'g', 'x/#');
  index.add('a', 'h', 'x/+');
  const served: string[] = [];
  for (let i = 0; i < 6; i++) {
    const pick = index.pick('x/1')!;
    const forG = [...pick.byNode].filter(([, keys]) => keys.includes(groupKey('g', 'x/#'))).map(([n]) => n);
    assert.equal(forG.length, 1);
    served.push(forG[0]!);
    assert.deepEqual(pick.byNode.get('a')?.includes(groupKey('h', 'x/+')), true); // h has one member node
  }
  assert.deepEqual(served, ['a', 'b', 'c', 'a', 'b', 'c']);
});

test('v5 [MQTT-4.7.2-1] no group matches: no pick; a node that leaves stops taking turns', () => {
  const index = new SharedGroupIndex();
  assert.equal(index.pick('x'), undefined);
  index.add('a', 'g', '#');
  index.add('b', 'g', '#');
  assert.equal(index.pick('$SYS/x'), undefined);
  index.forget('a');
  for (let i = 0; i < 3; i++) assert.deepEqual([...index.pick('y')!.byNode.keys()], ['b']);
  index.replace('b', []);
  assert.equal(index.size, 0);
});
