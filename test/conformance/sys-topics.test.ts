// $SYS topics: published by the broker every sys interval under mosquitto's names; clients cannot
// publish into $SYS; # does not match them.
import assert from 'node:assert/strict';
import { both, broker, connected } from './support.js';

both({ v4: 'v3.1.1 [MQTT-4.7.2-1]', v5: 'v5 [MQTT-4.7.2-1]' }, '$SYS/broker/version and client counters are published under $SYS/#', async (level, t) => {
  const b = await broker(t, { sysInterval: 1 });
  const c = await connected(t, b, level);
  await c.subscribe(['$SYS/#']);
  const seen = new Map<string, string>();
  const deadline = Date.now() + 5000;
  const wanted = ['$SYS/broker/version', '$SYS/broker/uptime', '$SYS/broker/clients/connected', '$SYS/broker/messages/received'];
  // Retained values from before this client connected come first; wait for a fresh counter.
  while (Date.now() < deadline && !(wanted.every((w) => seen.has(w)) && Number(seen.get('$SYS/broker/clients/connected')) >= 1)) {
    const p = await c.next(deadline - Date.now());
    if (p?.type === 'PUBLISH') seen.set(p.topic!, p.payload!.toString());
  }
  for (const w of wanted) assert.ok(seen.has(w), `missing ${w}; got ${[...seen.keys()].join(', ')}`);
  assert.ok(Number(seen.get('$SYS/broker/clients/connected')) >= 1);
});

both({ v4: 'v3.1.1 [MQTT-4.7.2-1]', v5: 'v5 [MQTT-4.7.2-1]' }, 'a client PUBLISH to $SYS is not delivered', async (level, t) => {
  const b = await broker(t);
  const c = await connected(t, b, level, {}, 'sub');
  await c.subscribe(['$SYS/broker/fake']);
  const pub = await connected(t, b, level, {}, 'pub');
  pub.publish({ topic: '$SYS/broker/fake', payload: 'forged', qos: 1, packetId: 1 });
  const ack = await pub.next();
  if (ack) assert.equal(ack.type, 'PUBACK');
  else await pub.expectClose(0);
  await c.expectNothing(500);
});
