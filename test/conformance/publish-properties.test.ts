// 5.0 PUBLISH properties pass through the broker unchanged: payload format, content type, response
// topic, correlation data, and user properties in order (repeats included).
import assert from 'node:assert/strict';
import { both, broker, connected, uid } from './support.js';
import { RC } from '../helpers/raw-codes.js';

both(
  { v5: 'v5 [MQTT-3.3.2-4] [MQTT-3.3.2-15] [MQTT-3.3.2-16] [MQTT-3.3.2-17] [MQTT-3.3.2-18] [MQTT-3.3.2-20] [MQTT-3.3.2-13] [MQTT-3.3.2-19]' },
  'PUBLISH properties reach the subscriber unchanged and user properties keep their order',
  async (level, t) => {
    const b = await broker(t);
    const r = uid('pp');
    const s = await connected(t, b, level, {}, 'sub');
    await s.subscribe([r]);
    const pub = await connected(t, b, level, {}, 'pub');
    const userProperties: [string, string][] = [['b', '1'], ['a', '2'], ['b', '3'], ['ü', '\u{1F600}']];
    pub.publish({
      topic: r,
      payload: 'héllo',
      props: {
        payloadFormatIndicator: 1,
        contentType: 'text/plain; charset=utf-8',
        responseTopic: `${r}/reply`,
        correlationData: Buffer.from([0, 1, 2, 255]),
        userProperties,
      },
    });
    const m = await s.expectPacket('PUBLISH');
    assert.equal(m.props?.payloadFormatIndicator, 1);
    assert.equal(m.props?.contentType, 'text/plain; charset=utf-8');
    assert.equal(m.props?.responseTopic, `${r}/reply`);
    assert.deepEqual(m.props?.correlationData, Buffer.from([0, 1, 2, 255]));
    assert.deepEqual(m.props?.userProperties, userProperties);
    assert.equal(m.payload!.toString(), 'héllo');
  },
);

both({ v5: 'v5 [MQTT-3.3.2-14] [MQTT-4.13.1-1]' }, 'a Response Topic with a wildcard is a protocol error', async (level, t) => {
  const b = await broker(t);
  const c = await connected(t, b, level);
  c.publish({ topic: 'a', payload: 'x', props: { responseTopic: 'reply/#' } });
  await c.expectDisconnect([RC.ProtocolError, RC.MalformedPacket, RC.TopicNameInvalid]);
});
