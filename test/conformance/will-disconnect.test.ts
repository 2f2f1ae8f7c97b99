// A normal DISCONNECT discards the will; 5.0 DISCONNECT 0x04 publishes it.
import assert from 'node:assert/strict';
import { both, broker, connected, uid } from './support.js';
import { disconnect } from '../helpers/raw-packets.js';
import { RC } from '../helpers/raw-codes.js';

both(
  { v4: 'v3.1.1 [MQTT-3.14.4-3] [MQTT-3.1.2-10]', v5: 'v5 [MQTT-3.14.4-3] [MQTT-3.1.2-10]' },
  'a normal DISCONNECT discards the will',
  async (level, t) => {
    const b = await broker(t);
    const topic = `will/${uid()}`;
    const watcher = await connected(t, b, level, {}, 'watcher');
    await watcher.subscribe([topic]);
    const c = await connected(t, b, level, { will: { topic, payload: 'no' } }, 'leaver');
    c.send(disconnect(level));
    await c.expectClose();
    await watcher.expectNothing(500);
  },
);

both({ v5: 'v5 [MQTT-3.14.4-3]' }, 'DISCONNECT 0x04 (with will message) publishes the will', async (level, t) => {
  const b = await broker(t);
  const topic = `will/${uid()}`;
  const watcher = await connected(t, b, level, {}, 'watcher');
  await watcher.subscribe([topic]);
  const c = await connected(t, b, level, { will: { topic, payload: 'yes' } }, 'leaver');
  c.send(disconnect(level, RC.DisconnectWithWill));
  await c.expectClose();
  assert.equal((await watcher.expectPacket('PUBLISH')).payload!.toString(), 'yes');
});
