// Authorization results on the wire: a refused SUBSCRIBE gets 0x80 (3.1.1) / 0x87 (5.0) for that
// filter only; a refused PUBLISH is acknowledged and dropped (3.1.1) or answered 0x87 (5.0).
import assert from 'node:assert/strict';
import { both, broker, connected, uid } from './support.js';
import { RC, RC311 } from '../helpers/raw-codes.js';

both(
  { v4: 'v3.1.1 [MQTT-3.9.3-2] [MQTT-3.8.4-5]', v5: 'v5 [MQTT-3.9.3-2] [MQTT-3.8.4-7]' },
  'a refused filter gets the failure code while the others in the SUBSCRIBE are granted',
  async (level, t) => {
    const b = await broker(t, { denySubscribe: ['secret/x'] });
    const c = await connected(t, b, level);
    const ack = await c.subscribe([{ filter: 'open/x', qos: 1 }, { filter: 'secret/x', qos: 1 }]);
    assert.deepEqual(ack.reasonCodes, [1, level === 5 ? RC.NotAuthorized : RC311.SubackFailure]);
  },
);

both(
  { v4: 'v3.1.1 [MQTT-3.3.5-2]', v5: 'v5 [MQTT-3.4.2-1]' },
  'a refused QoS 1 PUBLISH is acknowledged (5.0: PUBACK 0x87) and not delivered',
  async (level, t) => {
    const b = await broker(t, { denyPublish: ['locked/x'] });
    const watcher = await connected(t, b, level, {}, 'watcher');
    await watcher.subscribe(['locked/#', 'free/#']);
    const pub = await connected(t, b, level, {}, 'pub');
    const ack = await pub.publishQos1({ topic: 'locked/x', payload: 'no' }, 1);
    if (level === 5) assert.equal(ack.reasonCode, RC.NotAuthorized);
    await pub.publishQos1({ topic: `free/${uid()}`, payload: 'yes' }, 2);
    const m = await watcher.expectPacket('PUBLISH');
    assert.equal(m.payload!.toString(), 'yes');
    await watcher.expectNothing(300);
  },
);
