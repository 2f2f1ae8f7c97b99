import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodePacket } from '../../src/protocol/index.js';
import type { PublishPacket } from '../../src/protocol/packets.js';
import { encodePublish, type PublishTarget } from '../../src/broker/encode-publish.js';
import { createMessage } from '../../src/broker/message.js';

const v4: PublishTarget = { version: 4, clientTopicAliasMaximum: 0, outgoingAliases: undefined };
const v5: PublishTarget = { version: 5, clientTopicAliasMaximum: 0, outgoingAliases: undefined };

test('a QoS 0 message is encoded once and the same Buffer goes to every subscriber of a version', () => {
  const m = createMessage('a/b', Buffer.from('hi'), 0, false, { contentType: 'text/plain' }, 0, 'p');
  const a = encodePublish(v5, m, 0, false, undefined, 0, false, 0);
  const b = encodePublish(v5, m, 0, false, undefined, 0, false, 0);
  assert.equal(a, b);
  const old = encodePublish(v4, m, 0, false, undefined, 0, false, 0);
  assert.notEqual(old, a);
  assert.equal((decodePacket(old, 4) as PublishPacket).properties, undefined);
  assert.equal((decodePacket(a, 5) as PublishPacket).properties?.contentType, 'text/plain');
});

test('[MQTT-3.3.1-1] QoS 1 copies get their own packet id and DUP only on re-delivery', () => {
  const m = createMessage('topic/x', Buffer.from('payload'), 1, false, undefined, 0, 'p');
  const first = decodePacket(encodePublish(v4, m, 1, false, undefined, 7, false, 0), 4) as PublishPacket;
  const again = decodePacket(encodePublish(v4, m, 1, false, undefined, 300, true, 0), 4) as PublishPacket;
  assert.equal(first.packetId, 7);
  assert.equal(first.dup, false);
  assert.equal(again.packetId, 300);
  assert.equal(again.dup, true);
  assert.equal(again.payload.toString(), 'payload');
});

test('[MQTT-3.3.2-6] a message that waited is forwarded with the remaining expiry; [MQTT-3.3.4-3] subscription ids', () => {
  const m = createMessage('e', Buffer.from('x'), 1, false, { messageExpiryInterval: 60, userProperties: [['k', '1'], ['k', '2']] }, 1000, 'p');
  const p = decodePacket(encodePublish(v5, m, 1, false, [3, 9], 1, false, 1000 + 20_500), 5) as PublishPacket;
  assert.equal(p.properties?.messageExpiryInterval, 40);
  assert.deepEqual(p.properties?.subscriptionIdentifiers, [3, 9]);
  assert.deepEqual(p.properties?.userProperties, [['k', '1'], ['k', '2']]);
});

test('[MQTT-3.1.2-26] server topic aliases stay within the client maximum, then the full topic is sent', () => {
  const t: PublishTarget = { version: 5, clientTopicAliasMaximum: 1, outgoingAliases: undefined };
  const a1 = decodePacket(encodePublish(t, createMessage('a', Buffer.from('1'), 0, false, undefined, 0, 'p'), 0, false, undefined, 0, false, 0), 5) as PublishPacket;
  const a2 = decodePacket(encodePublish(t, createMessage('a', Buffer.from('2'), 0, false, undefined, 0, 'p'), 0, false, undefined, 0, false, 0), 5) as PublishPacket;
  const b = decodePacket(encodePublish(t, createMessage('b', Buffer.from('3'), 0, false, undefined, 0, 'p'), 0, false, undefined, 0, false, 0), 5) as PublishPacket;
  assert.deepEqual([a1.topic, a1.properties?.topicAlias], ['a', 1]);
  assert.deepEqual([a2.topic, a2.properties?.topicAlias], ['', 1]);
  assert.deepEqual([b.topic, b.properties?.topicAlias], ['b', undefined]);
});
