// 5.0 shared subscriptions and QoS 2: a delivery started to one member stays with that member: it is
// completed when the member reconnects, and never handed to another member if its session ends.
import assert from 'node:assert/strict';
import { both, broker, connected, sleep, uid } from './support.js';

both({ v5: 'v5 [MQTT-4.8.2-4]' }, 'a QoS 2 delivery cut by a lost connection is completed to the same member on reconnect', async (level, t) => {
  const b = await broker(t);
  const r = uid('sq2');
  const id = uid();
  const keep = { sessionExpiryInterval: 60 };
  const a = await connected(t, b, level, { clientId: id, clean: false, props: keep }, 'memberA');
  await a.subscribe([{ filter: `$share/g/${r}`, qos: 2 }]);
  const pub = await connected(t, b, level, {}, 'pub');
  await pub.publishQos2({ topic: r, payload: 'mine' });
  const first = await a.expectPacket('PUBLISH');
  a.destroy();
  await sleep(100);
  const other = await connected(t, b, level, {}, 'memberB');
  await other.subscribe([{ filter: `$share/g/${r}`, qos: 2 }]);
  const back = await connected(t, b, level, { clientId: id, clean: false, props: keep }, 'memberAback');
  back.autoAck = true;
  const again = await back.expectPacket('PUBLISH');
  assert.equal(again.packetId, first.packetId);
  assert.equal(again.payload!.toString(), 'mine');
  await other.expectNothing(400);
});

both({ v5: 'v5 [MQTT-4.8.2-5]' }, 'a QoS 2 delivery to a member whose session ends is not sent to another member', async (level, t) => {
  const b = await broker(t);
  const r = uid('sq2');
  const a = await connected(t, b, level, {}, 'memberA');
  await a.subscribe([{ filter: `$share/g/${r}`, qos: 2 }]);
  const pub = await connected(t, b, level, {}, 'pub');
  await pub.publishQos2({ topic: r, payload: 'lost with A' });
  await a.expectPacket('PUBLISH');
  const other = await connected(t, b, level, {}, 'memberB');
  await other.subscribe([{ filter: `$share/g/${r}`, qos: 2 }]);
  a.destroy();
  await other.expectNothing(600);
});
