// Topic Name and Topic Filter rules, and the $share form.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseSharedSubscription, validateTopicFilter, validateTopicName } from '../../src/protocol/index.js';

describe('topic names', () => {
  test('v5 [MQTT-4.7.0-1] / v3.1.1 [MQTT-4.7.1-1] wildcards are not allowed in a topic name', () => {
    for (const t of ['a/+', '#', 'a/b#', '+']) assert.equal(validateTopicName(t)?.code, 'INVALID_TOPIC_NAME', t);
  });
  test('[MQTT-4.7.3-1] empty, [MQTT-4.7.3-2] U+0000 and lone surrogates are invalid', () => {
    assert.equal(validateTopicName('')?.code, 'INVALID_TOPIC_NAME');
    assert.equal(validateTopicName('a\u0000b')?.code, 'INVALID_TOPIC_NAME');
    assert.equal(validateTopicName('a\ud800')?.code, 'INVALID_TOPIC_NAME');
  });
  test('[MQTT-4.7.3-3] at most 65535 bytes', () => {
    assert.equal(validateTopicName('x'.repeat(65535)), null);
    assert.equal(validateTopicName('é'.repeat(32768))?.code, 'INVALID_TOPIC_NAME'); // 65536 bytes
  });
  test('valid names: levels may be empty, $SYS, spaces, BOM kept', () => {
    for (const t of ['/', 'a//b', '$SYS/broker', 'with space', '\ufeffbom', '🙂/x']) assert.equal(validateTopicName(t), null, t);
  });
});

describe('topic filters', () => {
  test('v5 [MQTT-4.7.1-1] / v3.1.1 [MQTT-4.7.1-2] # is last and alone in its level', () => {
    for (const f of ['#', 'a/#', '/#', '+/#']) assert.equal(validateTopicFilter(f), null, f);
    for (const f of ['a#', 'a/#/b', '#/', 'a/b#', '##']) assert.equal(validateTopicFilter(f)?.code, 'INVALID_TOPIC_FILTER', f);
  });
  test('v5 [MQTT-4.7.1-2] / v3.1.1 [MQTT-4.7.1-3] + fills a whole level', () => {
    for (const f of ['+', '+/+', 'a/+/b', '/+', '+/']) assert.equal(validateTopicFilter(f), null, f);
    for (const f of ['a+', '+a', 'a/b+/c', '++']) assert.equal(validateTopicFilter(f)?.code, 'INVALID_TOPIC_FILTER', f);
  });
  test('[MQTT-4.7.3-1] an empty filter is invalid', () => {
    assert.equal(validateTopicFilter('')?.code, 'INVALID_TOPIC_FILTER');
  });
  test('v5 [MQTT-4.8.2-1] [MQTT-4.8.2-2] $share/{group}/{filter}', () => {
    assert.deepEqual(parseSharedSubscription('$share/g/a/+'), { group: 'g', filter: 'a/+' });
    assert.deepEqual(parseSharedSubscription('$share/g/#'), { group: 'g', filter: '#' });
    assert.equal(parseSharedSubscription('a/b'), null);
    assert.equal(parseSharedSubscription('$share//a'), null);
    for (const f of ['$share//a', '$share/g', '$share/g/', '$share/g+/a', '$share/#/a', '$share/g/a#']) {
      assert.equal(validateTopicFilter(f)?.code, 'INVALID_TOPIC_FILTER', f);
    }
    assert.equal(validateTopicFilter('$share/g/a/#'), null);
    assert.equal(validateTopicFilter('$sharex/a'), null); // not a shared subscription, an ordinary filter
  });
});
