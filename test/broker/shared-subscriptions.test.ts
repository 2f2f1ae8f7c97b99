import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SharedGroup } from '../../src/broker/shared-subscriptions.js';

const any = (): boolean => true;

test('shared subscription members take turns (round robin)', () => {
  const g = new SharedGroup<string>('g', 'a/#');
  g.set('a', 'A');
  g.set('b', 'B');
  g.set('c', 'C');
  const picks = Array.from({ length: 7 }, () => g.pick(any));
  assert.deepEqual(picks, ['A', 'B', 'C', 'A', 'B', 'C', 'A']);
});

test('round robin skips members the filter refuses and falls back when nobody qualifies', () => {
  const g = new SharedGroup<{ id: string; online: boolean; persistent: boolean }>('g', 'x');
  g.set('a', { id: 'a', online: false, persistent: true });
  g.set('b', { id: 'b', online: true, persistent: false });
  g.set('c', { id: 'c', online: false, persistent: false });
  const online = (e: { online: boolean }): boolean => e.online;
  const persistent = (e: { persistent: boolean }): boolean => e.persistent;
  assert.equal(g.pick(online, persistent)!.id, 'b');
  assert.equal(g.pick(online, persistent)!.id, 'b');
  g.delete('b');
  assert.equal(g.pick(online, persistent)!.id, 'a'); // nobody online: an offline persistent session queues it
  g.delete('a');
  assert.equal(g.pick(online, persistent), undefined);
});

test('a member leaving keeps the turn order of the others', () => {
  const g = new SharedGroup<string>('g', 'x');
  for (const k of ['a', 'b', 'c', 'd']) g.set(k, k.toUpperCase());
  assert.equal(g.pick(any), 'A');
  assert.equal(g.pick(any), 'B');
  g.delete('a'); // before the cursor
  assert.equal(g.pick(any), 'C');
  g.delete('d'); // after the cursor
  assert.equal(g.pick(any), 'B');
  assert.equal(g.pick(any), 'C');
  assert.equal(g.set('b', 'B2'), false);
  assert.equal(g.size, 2);
});
