// SUBSCRIBE / UNSUBSCRIBE payload rules: at least one filter, valid option bits, valid filters.
import assert from 'node:assert/strict';
import { both, broker, canary, connected } from './support.js';
import { subscribe, unsubscribe } from '../helpers/raw-packets.js';
import { RC, RC311 } from '../helpers/raw-codes.js';

both({ v4: 'v3.1.1 [MQTT-3.8.3-3] [MQTT-4.8.0-1]', v5: 'v5 [MQTT-3.8.3-2] [MQTT-4.13.1-1]' }, 'a SUBSCRIBE without filters closes the connection', async (level, t) => {
  const b = await broker(t);
  const bird = await canary(t, b);
  const c = await connected(t, b, level, {}, 'attacker');
  c.send(subscribe(level, 1, []));
  await c.expectDisconnect(RC.ProtocolError);
  await bird.check();
});

both({ v4: 'v3.1.1 [MQTT-3.10.3-2] [MQTT-4.8.0-1]', v5: 'v5 [MQTT-3.10.3-2] [MQTT-4.13.1-1]' }, 'an UNSUBSCRIBE without filters closes the connection', async (level, t) => {
  const b = await broker(t);
  const bird = await canary(t, b);
  const c = await connected(t, b, level, {}, 'attacker');
  c.send(unsubscribe(level, 1, []));
  await c.expectDisconnect(RC.ProtocolError);
  await bird.check();
});

both({ v4: 'v3.1.1 [MQTT-3.8.3-4]', v5: 'v5 [MQTT-3.8.3-5]' }, 'reserved bits set in the options byte close the connection', async (level, t) => {
  const b = await broker(t);
  const bird = await canary(t, b);
  const c = await connected(t, b, level, {}, 'attacker');
  const RESERVED_BIT_7 = 0x80;
  c.send(subscribe(level, 1, [{ filter: 'a/b', optionsByte: RESERVED_BIT_7 | 1 }]));
  await c.expectDisconnect(RC.MalformedPacket);
  await bird.check();
});

// 5.0 section 3.8.3.1: Maximum QoS 3 and Retain Handling 3 are Protocol Errors (3.1.1: malformed, close).
both({ v4: 'v3.1.1 [MQTT-3.8.3-4]', v5: 'v5 [MQTT-4.13.1-1]' }, 'requested QoS 3 closes the connection (5.0: DISCONNECT 0x82)', async (level, t) => {
  const b = await broker(t);
  const c = await connected(t, b, level, {}, 'attacker');
  c.send(subscribe(level, 1, [{ filter: 'a/b', optionsByte: 3 }]));
  await c.expectDisconnect(RC.ProtocolError);
});

both({ v5: 'v5 [MQTT-4.13.1-1]' }, 'retain handling 3 gets DISCONNECT 0x82', async (level, t) => {
  const b = await broker(t);
  const c = await connected(t, b, level, {}, 'attacker');
  c.send(subscribe(level, 1, [{ filter: 'a/b', retainHandling: 3 }]));
  await c.expectDisconnect(RC.ProtocolError);
});

for (const filter of ['a/#/b', 'a/b#', 'a+/b', '']) {
  both(
    { v4: 'v3.1.1 [MQTT-4.7.1-2] [MQTT-4.7.1-3] [MQTT-4.7.3-1]', v5: 'v5 [MQTT-4.7.1-1] [MQTT-4.7.1-2] [MQTT-4.7.3-1] [MQTT-3.9.3-2]' },
    `invalid filter ${JSON.stringify(filter)} is refused (3.1.1: 0x80 or close; 5.0: 0x8F or close)`,
    async (level, t) => {
      const b = await broker(t);
      const bird = await canary(t, b);
      const c = await connected(t, b, level, {}, 'attacker');
      c.send(subscribe(level, 1, [filter]));
      const p = await c.next();
      if (p?.type === 'SUBACK') {
        assert.deepEqual(p.reasonCodes, [level === 5 ? RC.TopicFilterInvalid : RC311.SubackFailure]);
      } else {
        if (p) {
          assert.equal(p.type, 'DISCONNECT');
          assert.ok(p.reasonCode === RC.TopicFilterInvalid || p.reasonCode === RC.MalformedPacket || p.reasonCode === RC.ProtocolError);
        }
        await c.expectClose();
      }
      await bird.check();
    },
  );
}
