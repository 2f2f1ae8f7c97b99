// Client identifier rules: 23 alphanumerics are always fine; an empty id gets a server-assigned one
// (5.0: returned in CONNACK) with a clean session, and is rejected with CleanSession 0 in 3.1.1.
import assert from 'node:assert/strict';
import { both, broker, connected, open } from './support.js';
import { connect, publish } from '../helpers/raw-packets.js';
import { RC, RC311 } from '../helpers/raw-codes.js';

both(
  { v4: 'v3.1.1 [MQTT-3.1.3-5]', v5: 'v5 [MQTT-3.1.3-5]' },
  'a 23-character alphanumeric client id is accepted',
  async (level, t) => {
    const b = await broker(t);
    await connected(t, b, level, { clientId: 'abcdefghijklmnopqrstuvW' });
    await connected(t, b, level, { clientId: '0123456789ABCDEFGHIJKLM' });
  },
);

both(
  { v4: 'v3.1.1 [MQTT-3.1.3-6]', v5: 'v5 [MQTT-3.1.3-6] [MQTT-3.1.3-7] [MQTT-3.2.2-16]' },
  'an empty client id with a clean session is accepted under a unique assigned id',
  async (level, t) => {
    const b = await broker(t);
    const one = await connected(t, b, level, { clientId: '', clean: true }, 'one');
    const two = await connected(t, b, level, { clientId: '', clean: true }, 'two');
    const acks = [one.received[0]!, two.received[0]!];
    if (level === 5) {
      const ids = acks.map((a) => a.props?.assignedClientIdentifier);
      assert.equal(typeof ids[0], 'string');
      assert.ok((ids[0] as string).length > 0);
      assert.notEqual(ids[0], ids[1], 'assigned ids must be unique');
    }
    // Both stay connected: neither took the other over.
    await one.ping();
    await two.ping();
  },
);

both(
  { v4: 'v3.1.1 [MQTT-3.1.3-8] [MQTT-3.1.3-9] [MQTT-3.2.2-4] [MQTT-3.2.2-5] [MQTT-3.1.4-5]' },
  'an empty client id with CleanSession 0 gets CONNACK 0x02, then close, and later bytes are ignored',
  async (level, t) => {
    const b = await broker(t);
    const watcher = await connected(t, b, level, {}, 'watcher');
    await watcher.subscribe(['cid/#']);
    const c = await open(t, b, level);
    c.send(connect({ level, clientId: '', clean: false }), publish(level, { topic: 'cid/leak', payload: 'must not pass' }));
    const ack = await c.expectPacket('CONNACK');
    assert.equal(ack.reasonCode, RC311.IdentifierRejected);
    assert.equal(ack.sessionPresent, false);
    await c.expectClose();
    await watcher.expectNothing(300);
  },
);

both(
  { v5: 'v5 [MQTT-3.1.3-7] [MQTT-3.2.2-16]' },
  'an empty client id with Clean Start 0 is accepted and assigned an id (5.0)',
  async (level, t) => {
    const b = await broker(t);
    const c = await open(t, b, level);
    c.send(connect({ level, clientId: '', clean: false }));
    const ack = await c.expectPacket('CONNACK');
    assert.equal(ack.reasonCode, RC.Success);
    assert.ok(typeof ack.props?.assignedClientIdentifier === 'string');
  },
);
