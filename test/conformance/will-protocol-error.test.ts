// A connection the broker closes for a protocol violation still publishes its will.
import assert from 'node:assert/strict';
import { both, broker, connected, uid } from './support.js';
import { frame, props, str, u16 } from '../helpers/raw-packets.js';
import { RC, T } from '../helpers/raw-codes.js';

both({ v4: 'v3.1.1 [MQTT-3.1.2-8] [MQTT-4.8.0-1]', v5: 'v5 [MQTT-3.1.2-8] [MQTT-4.13.1-1]' }, 'a malformed packet closes the connection and the will is published', async (level, t) => {
  const b = await broker(t);
  const topic = `will/${uid()}`;
  const watcher = await connected(t, b, level, {}, 'watcher');
  await watcher.subscribe([topic]);
  const c = await connected(t, b, level, { will: { topic, payload: 'broken' } }, 'bad');
  const QOS_3 = 0b0110;
  c.send(frame(T.PUBLISH, QOS_3, Buffer.concat([str('a'), u16(1), ...(level === 5 ? [props({})] : [])])));
  await c.expectDisconnect(RC.MalformedPacket);
  assert.equal((await watcher.expectPacket('PUBLISH')).payload!.toString(), 'broken');
});
