// Packet identifiers the broker uses: unique among its unacknowledged QoS > 0 PUBLISHes to a client,
// free again after the acknowledgement.
import assert from 'node:assert/strict';
import { both, broker, connected, uid } from './support.js';
import { puback } from '../helpers/raw-packets.js';

both({ v4: 'v3.1.1 [MQTT-2.3.1-4]', v5: 'v5 [MQTT-2.2.1-4] [MQTT-4.3.2-1]' }, '50 unacknowledged QoS 1 messages carry 50 distinct non-zero ids', async (level, t) => {
  const b = await broker(t, { maxInflight: 100 });
  const r = uid('pid');
  const s = await connected(t, b, level, level === 5 ? { props: { receiveMaximum: 100 } } : {}, 'sub');
  await s.subscribe([{ filter: r, qos: 1 }]);
  const pub = await connected(t, b, level, {}, 'pub');
  const N = 50;
  for (let i = 1; i <= N; i++) pub.publish({ topic: r, payload: String(i), qos: 1, packetId: i });
  await pub.collect('PUBACK', N);
  const msgs = await s.collect('PUBLISH', N);
  const ids = new Set(msgs.map((m) => m.packetId));
  assert.equal(ids.size, N);
  assert.ok(!ids.has(0));
  for (const m of msgs) s.send(puback(level, m.packetId!));
  await s.ping();
});
