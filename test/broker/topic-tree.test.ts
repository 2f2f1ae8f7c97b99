import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TopicTree, type MatchVisitor } from '../../src/broker/topic-tree.js';
import type { SharedGroup } from '../../src/broker/shared-subscriptions.js';
import { topicLevels, topicMatches } from '../../src/broker/topic-levels.js';

function matches(tree: TopicTree<string>, topic: string): { subs: string[]; groups: string[] } {
  const subs: string[] = [];
  const groups: string[] = [];
  const v: MatchVisitor<string> = {
    subscriber: (e) => subs.push(e),
    shared: (g: SharedGroup<string>) => groups.push(`${g.name}:${g.filter}`),
  };
  tree.match(topic.split('/'), v);
  return { subs: subs.sort(), groups: groups.sort() };
}

function treeWith(filters: string[]): TopicTree<string> {
  const tree = new TopicTree<string>();
  for (const f of filters) tree.add(f, f, f);
  return tree;
}

test('[MQTT-4.7.1-2] + matches exactly one level, also empty levels', () => {
  const tree = treeWith(['sport/+/player1', '+', '+/+', '/+']);
  assert.deepEqual(matches(tree, 'sport/tennis/player1').subs, ['sport/+/player1']);
  assert.deepEqual(matches(tree, 'sport//player1').subs, ['sport/+/player1']);
  assert.deepEqual(matches(tree, 'sport/tennis/x/player1').subs, []);
  assert.deepEqual(matches(tree, 'sport').subs, ['+']);
  assert.deepEqual(matches(tree, '/finance').subs, ['+/+', '/+']);
});

test('[MQTT-4.7.1-1] # matches the parent level and any number of child levels', () => {
  const tree = treeWith(['sport/tennis/player1/#', '#', 'sport/#']);
  assert.deepEqual(matches(tree, 'sport/tennis/player1').subs, ['#', 'sport/#', 'sport/tennis/player1/#']);
  assert.deepEqual(matches(tree, 'sport/tennis/player1/ranking/wimbledon').subs, ['#', 'sport/#', 'sport/tennis/player1/#']);
  assert.deepEqual(matches(tree, 'sport').subs, ['#', 'sport/#']);
  assert.deepEqual(matches(tree, 'sports').subs, ['#']);
});

test('[MQTT-4.7.2-1] filters starting with a wildcard do not match $ topics', () => {
  const tree = treeWith(['#', '+/monitor/Clients', '$SYS/#', '$SYS/monitor/+']);
  assert.deepEqual(matches(tree, '$SYS/monitor/Clients').subs, ['$SYS/#', '$SYS/monitor/+']);
  assert.deepEqual(matches(tree, 'x/monitor/Clients').subs, ['#', '+/monitor/Clients']);
  assert.equal(topicMatches(['#'], topicLevels('$SYS/a')), false);
  assert.equal(topicMatches(['$SYS', '#'], topicLevels('$SYS/a')), true);
});

test('[MQTT-4.7.3-4] matching is exact: no case folding or normalisation', () => {
  const tree = treeWith(['ACCOUNTS', 'a/b ']);
  assert.deepEqual(matches(tree, 'Accounts').subs, []);
  assert.deepEqual(matches(tree, 'a/b').subs, []);
  assert.deepEqual(matches(tree, 'ACCOUNTS').subs, ['ACCOUNTS']);
});

test('[MQTT-3.8.4-3] subscribing twice to one filter replaces, unsubscribe removes and prunes', () => {
  const tree = new TopicTree<string>();
  assert.equal(tree.add('a/b', 'c1', 'first'), true);
  assert.equal(tree.add('a/b', 'c1', 'second'), false);
  assert.equal(tree.count, 1);
  assert.deepEqual(matches(tree, 'a/b').subs, ['second']);
  assert.equal(tree.remove('a/b', 'c1'), true);
  assert.equal(tree.remove('a/b', 'c1'), false);
  assert.equal(tree.count, 0);
  assert.deepEqual(matches(tree, 'a/b').subs, []);
  assert.equal(tree.get('a/b', 'c1'), undefined);
});

test('shared groups are matched once per group, beside plain subscribers', () => {
  const tree = new TopicTree<string>();
  tree.addShared('g1', 'a/+', 'c1', 'c1');
  tree.addShared('g1', 'a/+', 'c2', 'c2');
  tree.addShared('g2', 'a/#', 'c3', 'c3');
  tree.add('a/b', 'c4', 'c4');
  assert.deepEqual(matches(tree, 'a/b'), { subs: ['c4'], groups: ['g1:a/+', 'g2:a/#'] });
  assert.equal(tree.count, 4);
  assert.equal(tree.removeShared('g1', 'a/+', 'c1'), true);
  assert.equal(tree.getShared('g1', 'a/+')!.size, 1);
  tree.removeShared('g1', 'a/+', 'c2');
  assert.deepEqual(matches(tree, 'a/b').groups, ['g2:a/#']);
});
