// Shared subscriptions, QoS 1 (issue 3; the spec allows it in 4.8.2): a member that leaves with
// unacknowledged messages hands them to another member, so none is lost.
import assert from 'node:assert/strict';
import { both, broker, connected, uid } from './support.js';

both({ v4: 'v3.1.1 [issue-3 shared-handoff]', v5: 'v5 [issue-3 shared-handoff]' }, 'QoS 1 messages left unacknowledged by a departing member go to another member', async (level, t) => {
  const b = await broker(t);
  const r = uid('ho');
  const leaver = await connected(t, b, level, {}, 'leaver');
  await leaver.subscribe([{ filter: `$share/g/${r}`, qos: 1 }]);
  const pub = await connected(t, b, level, {}, 'pub');
  for (let i = 1; i <= 3; i++) await pub.publishQos1({ topic: r, payload: String(i) }, i);
  await leaver.collect('PUBLISH', 3);
  const stayer = await connected(t, b, level, {}, 'stayer');
  await stayer.subscribe([{ filter: `$share/g/${r}`, qos: 1 }]);
  stayer.autoAck = true;
  leaver.destroy();
  const got = await stayer.collect('PUBLISH', 3);
  assert.deepEqual(got.map((m) => m.payload!.toString()).sort(), ['1', '2', '3']);
});
