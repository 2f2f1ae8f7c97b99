// A subscriber that stops reading or acknowledging must not slow others, and the broker holds no more
// for it than its caps: inflight window + queued messages (count and bytes); the rest is dropped.
import assert from 'node:assert/strict';
import { both, broker, connected, uid } from './support.js';
import { puback, publish } from '../helpers/raw-packets.js';

both({ v4: 'v3.1.1 [issue-3 bounded-queue]', v5: 'v5 [issue-3 bounded-queue]' }, 'a subscriber that never acknowledges gets at most maxInflight + maxQueued of 300 QoS 1 messages', async (level, t) => {
  const MAX_INFLIGHT = 5;
  const MAX_QUEUED = 20;
  const N = 300;
  const b = await broker(t, { maxInflight: MAX_INFLIGHT, maxQueued: MAX_QUEUED });
  const r = uid('slow');
  const props = level === 5 ? { receiveMaximum: MAX_INFLIGHT } : undefined;
  const slow = await connected(t, b, level, { props }, 'slow');
  await slow.subscribe([{ filter: r, qos: 1 }]);
  const fast = await connected(t, b, level, {}, 'fast');
  await fast.subscribe([{ filter: r, qos: 1 }]);
  fast.autoAck = true;
  const pub = await connected(t, b, level, {}, 'pub');
  // Bursts smaller than the caps, so the fast subscriber (bound by the same caps) never overflows.
  const BURST = 10;
  const got = [];
  for (let i = 0; i < N; i += BURST) {
    pub.send(...Array.from({ length: BURST }, (_, k) => publish(level, { topic: r, payload: String(i + k), qos: 1, packetId: i + k + 1 })));
    await pub.collect('PUBACK', BURST);
    got.push(...(await fast.collect('PUBLISH', BURST)));
  }
  assert.deepEqual(got.map((m) => Number(m.payload!.toString())), Array.from({ length: N }, (_, i) => i), 'the fast subscriber gets every message, in order');
  // Now drain the slow one: acknowledge everything it is sent until nothing more comes.
  let delivered = 0;
  for (;;) {
    const p = await slow.next(1000);
    if (!p) break;
    if (p.type !== 'PUBLISH') continue;
    delivered += 1;
    slow.send(puback(level, p.packetId!));
  }
  assert.ok(delivered >= MAX_INFLIGHT, `slow subscriber got ${delivered}`);
  assert.ok(delivered <= MAX_INFLIGHT + MAX_QUEUED, `slow subscriber got ${delivered}, more than inflight ${MAX_INFLIGHT} + queued ${MAX_QUEUED}`);
});

both({ v4: 'v3.1.1 [issue-3 bounded-queue-bytes]', v5: 'v5 [issue-3 bounded-queue-bytes]' }, 'maxQueuedBytes caps what is held for a subscriber that never acknowledges', async (level, t) => {
  const MAX_INFLIGHT = 2;
  const PAYLOAD = 1000;
  const MAX_BYTES = 10 * PAYLOAD;
  const N = 100;
  const b = await broker(t, { maxInflight: MAX_INFLIGHT, maxQueued: 1000, maxQueuedBytes: MAX_BYTES });
  const r = uid('bytes');
  const props = level === 5 ? { receiveMaximum: MAX_INFLIGHT } : undefined;
  const slow = await connected(t, b, level, { props }, 'slow');
  await slow.subscribe([{ filter: r, qos: 1 }]);
  const pub = await connected(t, b, level, {}, 'pub');
  for (let i = 1; i <= N; i++) pub.publish({ topic: r, payload: Buffer.alloc(PAYLOAD, 97), qos: 1, packetId: i });
  await pub.collect('PUBACK', N);
  let delivered = 0;
  for (;;) {
    const p = await slow.next(1000);
    if (!p) break;
    if (p.type !== 'PUBLISH') continue;
    delivered += 1;
    slow.send(puback(level, p.packetId!));
  }
  assert.ok(delivered <= MAX_INFLIGHT + MAX_BYTES / PAYLOAD + 1, `got ${delivered} of ${N}: the byte cap did not hold`);
  assert.ok(delivered >= MAX_INFLIGHT, `got ${delivered}`);
});

both({ v4: 'v3.1.1 [issue-3 slow-reader]', v5: 'v5 [issue-3 slow-reader]' }, 'a subscriber whose socket is paused does not stop another from getting all 2000 QoS 0 messages', async (level, t) => {
  const b = await broker(t, { maxQueued: 100 });
  const r = uid('paused');
  const paused = await connected(t, b, level, {}, 'paused');
  await paused.subscribe([r]);
  paused.pause();
  const live = await connected(t, b, level, {}, 'live');
  await live.subscribe([r]);
  const pub = await connected(t, b, level, {}, 'pub');
  const N = 2000;
  const payload = Buffer.alloc(2048, 98);
  for (let i = 0; i < N; i += 100) {
    pub.send(...Array.from({ length: 100 }, () => publish(level, { topic: r, payload })));
    await pub.ping();
  }
  const got = await live.collect('PUBLISH', N, 15_000);
  assert.equal(got.length, N);
  await pub.ping();
});
