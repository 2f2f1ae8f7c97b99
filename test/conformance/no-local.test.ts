// 5.0 No Local: a subscriber never receives its own publications on that subscription.
import assert from 'node:assert/strict';
import { both, broker, connected, uid } from './support.js';

both({ v5: 'v5 [MQTT-3.8.3-3]' }, 'with No Local the publisher does not get its own message, others do', async (level, t) => {
  const b = await broker(t);
  const r = uid('nl');
  const me = await connected(t, b, level, {}, 'me');
  await me.subscribe([{ filter: r, noLocal: true }]);
  const other = await connected(t, b, level, {}, 'other');
  await other.subscribe([r]);
  me.publish({ topic: r, payload: 'mine' });
  assert.equal((await other.expectPacket('PUBLISH')).payload!.toString(), 'mine');
  await me.expectNothing(300);
  other.publish({ topic: r, payload: 'theirs' });
  assert.equal((await me.expectPacket('PUBLISH')).payload!.toString(), 'theirs');
});
