// Messages dropped at a subscriber's queue cap are counted where operators look: $SYS (mosquitto's
// $SYS/broker/publish/messages/dropped).
import assert from 'node:assert/strict';
import { both, broker, connected, uid } from './support.js';
import { publish } from '../helpers/raw-packets.js';

both({ v4: 'v3.1.1 [issue-3 dropped-counted]', v5: 'v5 [issue-3 dropped-counted]' }, 'QoS 1 messages dropped for a full queue show in $SYS/broker/publish/messages/dropped', async (level, t) => {
  const MAX_INFLIGHT = 2;
  const MAX_QUEUED = 3;
  const N = 30;
  const b = await broker(t, { maxInflight: MAX_INFLIGHT, maxQueued: MAX_QUEUED, sysInterval: 1 });
  const r = uid('drop');
  const props = level === 5 ? { receiveMaximum: MAX_INFLIGHT } : undefined;
  const stuck = await connected(t, b, level, { props }, 'stuck');
  await stuck.subscribe([{ filter: r, qos: 1 }]);
  const pub = await connected(t, b, level, {}, 'pub');
  pub.send(...Array.from({ length: N }, (_, i) => publish(level, { topic: r, payload: 'x', qos: 1, packetId: i + 1 })));
  await pub.collect('PUBACK', N);
  const watcher = await connected(t, b, level, {}, 'watcher');
  await watcher.subscribe(['$SYS/broker/publish/messages/dropped']);
  const deadline = Date.now() + 5000;
  let dropped = 0;
  while (Date.now() < deadline && dropped < N - MAX_INFLIGHT - MAX_QUEUED) {
    const p = await watcher.next(deadline - Date.now());
    if (p?.type === 'PUBLISH') dropped = Number(p.payload!.toString());
  }
  assert.ok(dropped >= N - MAX_INFLIGHT - MAX_QUEUED, `$SYS reports ${dropped} dropped, expected at least ${N - MAX_INFLIGHT - MAX_QUEUED}`);
});
