// RemoteFilterIndex: which other nodes have a subscription matching a topic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RemoteFilterIndex } from '../../src/cluster/filter-index.js';

const nodesFor = (index: RemoteFilterIndex, topic: string): string[] => [...index.match(topic, new Set())].sort();

test('v3.1.1 [MQTT-4.7.1-2] [MQTT-4.7.1-3] + and # match as the spec says, and each node is named once', () => {
  const index = new RemoteFilterIndex();
  index.add('a', 'sport/tennis/#');
  index.add('a', 'sport/+/player1');
  index.add('b', 'sport/+');
  index.add('c', '#');
  index.add('d', 'other');
  assert.deepEqual(nodesFor(index, 'sport/tennis/player1'), ['a', 'c']);
  assert.deepEqual(nodesFor(index, 'sport/tennis'), ['a', 'b', 'c']); // '#' includes the parent level
  assert.deepEqual(nodesFor(index, 'sport'), ['c']);
  assert.deepEqual(nodesFor(index, 'other'), ['c', 'd']);
});

test('v5 [MQTT-4.7.2-1] filters starting with a wildcard do not match topics starting with $', () => {
  const index = new RemoteFilterIndex();
  index.add('a', '#');
  index.add('b', '+/x');
  index.add('c', '$app/#');
  assert.deepEqual(nodesFor(index, '$app/x'), ['c']);
  assert.deepEqual(nodesFor(index, 'app/x'), ['a', 'b']);
});

test('removing the last filter of a node stops routing to it; replace() makes a set the whole truth', () => {
  const index = new RemoteFilterIndex();
  index.add('a', 'x/+');
  index.add('a', 'y');
  index.add('b', 'x/+');
  index.remove('a', 'x/+');
  assert.deepEqual(nodesFor(index, 'x/1'), ['b']);
  index.replace('b', ['z']);
  assert.deepEqual(nodesFor(index, 'x/1'), []);
  assert.deepEqual(nodesFor(index, 'z'), ['b']);
  index.forget('a');
  assert.deepEqual([...index.nodes], ['b']);
  assert.equal(index.size, 1);
});
