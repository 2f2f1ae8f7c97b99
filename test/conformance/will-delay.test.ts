// 5.0 Will Delay Interval: the will waits for the delay (or the session end, if sooner), and a
// reconnection within the delay cancels it.
import assert from 'node:assert/strict';
import { both, broker, connected, sleep, uid } from './support.js';

both({ v5: 'v5 [MQTT-3.1.2-8]' }, 'a will with delay 2 s and a long session is published after the delay, not before', async (level, t) => {
  const b = await broker(t);
  const topic = `wd/${uid()}`;
  const watcher = await connected(t, b, level, {}, 'watcher');
  await watcher.subscribe([topic]);
  const c = await connected(t, b, level, {
    clean: false, props: { sessionExpiryInterval: 60 }, will: { topic, payload: 'late', props: { willDelayInterval: 2 } },
  }, 'dying');
  const lost = Date.now();
  c.destroy();
  await watcher.expectNothing(1200);
  const w = await watcher.expectPacket('PUBLISH', 5000);
  assert.equal(w.payload!.toString(), 'late');
  assert.ok(Date.now() - lost >= 1900, `published after ${Date.now() - lost} ms`);
});

both({ v5: 'v5 [MQTT-3.1.3-9] [MQTT-3.1.2-8]' }, 'reconnecting within the will delay cancels the will', async (level, t) => {
  const b = await broker(t);
  const id = uid();
  const topic = `wd/${id}`;
  const watcher = await connected(t, b, level, {}, 'watcher');
  await watcher.subscribe([topic]);
  const spec = { clientId: id, clean: false, props: { sessionExpiryInterval: 60 }, will: { topic, payload: 'cancelled', props: { willDelayInterval: 2 } } };
  const c = await connected(t, b, level, spec, 'first');
  c.destroy();
  await sleep(300);
  await connected(t, b, level, { ...spec, will: undefined }, 'back');
  await watcher.expectNothing(3000);
});

both({ v5: 'v5 [MQTT-3.1.2-8] [MQTT-3.1.2-23]' }, 'with session expiry 0 the will is published at once despite a will delay', async (level, t) => {
  const b = await broker(t);
  const topic = `wd/${uid()}`;
  const watcher = await connected(t, b, level, {}, 'watcher');
  await watcher.subscribe([topic]);
  const c = await connected(t, b, level, { will: { topic, payload: 'now', props: { willDelayInterval: 30 } } }, 'dying');
  c.destroy();
  assert.equal((await watcher.expectPacket('PUBLISH', 2000)).payload!.toString(), 'now');
});

both({ v5: 'v5 [MQTT-3.1.2-8]' }, 'with session expiry 1 s and will delay 30 s the will is published when the session ends', async (level, t) => {
  const b = await broker(t);
  const topic = `wd/${uid()}`;
  const watcher = await connected(t, b, level, {}, 'watcher');
  await watcher.subscribe([topic]);
  const c = await connected(t, b, level, {
    clean: false, props: { sessionExpiryInterval: 1 }, will: { topic, payload: 'session over', props: { willDelayInterval: 30 } },
  }, 'dying');
  c.destroy();
  assert.equal((await watcher.expectPacket('PUBLISH', 5000)).payload!.toString(), 'session over');
});
