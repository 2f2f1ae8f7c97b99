// A second connection with the same client id takes the session over; the old one is closed
// (5.0: after DISCONNECT 0x8E Session taken over).
import assert from 'node:assert/strict';
import { both, broker, connected, uid } from './support.js';
import { RC } from '../helpers/raw-codes.js';

both(
  { v4: 'v3.1.1 [MQTT-3.1.4-2]', v5: 'v5 [MQTT-3.1.4-3] [MQTT-3.14.2-2] [MQTT-3.14.4-1] [MQTT-3.14.4-2] [MQTT-3.14.2-1]' },
  'a new connection with the same client id closes the old one',
  async (level, t) => {
    const b = await broker(t);
    const id = uid();
    const old = await connected(t, b, level, { clientId: id }, 'old');
    const fresh = await connected(t, b, level, { clientId: id }, 'new');
    if (level === 5) {
      const d = await old.expectPacket('DISCONNECT');
      assert.equal(d.reasonCode, RC.SessionTakenOver);
      assert.equal(d.props?.sessionExpiryInterval, undefined);
    }
    await old.expectClose();
    await fresh.ping();
  },
);

both(
  { v4: 'v3.1.1 [MQTT-3.1.4-2] [MQTT-3.1.2-8]', v5: 'v5 [MQTT-3.1.4-3] [MQTT-3.1.2-8]' },
  'the taken-over connection publishes its will (clean new session)',
  async (level, t) => {
    const b = await broker(t);
    const id = uid();
    const topic = `will/${id}`;
    const watcher = await connected(t, b, level, {}, 'watcher');
    await watcher.subscribe([topic]);
    await connected(t, b, level, { clientId: id, will: { topic, payload: 'gone' } }, 'old');
    await connected(t, b, level, { clientId: id, clean: true }, 'new');
    const w = await watcher.expectPacket('PUBLISH');
    assert.equal(w.payload!.toString(), 'gone');
  },
);
