// The cross-node message format: everything a receiving node needs to deliver as if it had been published there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StoredMessage } from '../../src/broker/ports.js';
import { ClusterCodecError, decodeClusterMessage, encodeClusterMessage } from '../../src/cluster/message-codec.js';

const message: StoredMessage = {
  topic: 'a/b',
  payload: Buffer.from([0, 1, 2, 255]),
  qos: 2,
  retain: true,
  properties: { contentType: 'bin', correlationData: Buffer.from('corr'), userProperties: [['k', 'v']], messageExpiryInterval: 60 },
  receivedAt: 1000,
  expiresAt: 61_000,
  origin: 'client-1',
};

test('v5 [MQTT-3.3.2-18] a message round-trips with payload, QoS, retain, origin and properties (Correlation Data stays binary)', () => {
  const { node, message: back } = decodeClusterMessage(encodeClusterMessage(message, 'n1', 1000), 1000);
  assert.equal(node, 'n1');
  assert.deepEqual(back, message);
  assert.ok(Buffer.isBuffer(back.properties?.correlationData));
});

test('v5 [MQTT-3.3.2-6] Message Expiry counts the time left on the sender, not the receiver clock', () => {
  const bytes = encodeClusterMessage(message, 'n1', 41_000); // 20 s left when sent
  const { message: back } = decodeClusterMessage(bytes, 500_000); // the receiver's clock is far off
  assert.equal(back.expiresAt, 520_000);
});

test('bytes that are not a cluster message are refused with CLUSTER_BAD_MESSAGE', () => {
  for (const bad of [Buffer.alloc(2), Buffer.from([0, 0, 0, 9, 1]), Buffer.from([0, 0, 0, 1, 0x7b]), Buffer.from([0, 0, 0, 2, 0x7b, 0x7d])]) {
    assert.throws(() => decodeClusterMessage(bad, 0), (err: unknown) => err instanceof ClusterCodecError && err.code === 'CLUSTER_BAD_MESSAGE');
  }
});
