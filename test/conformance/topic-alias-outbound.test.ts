// 5.0 Topic Alias towards clients: never without the client's Topic Alias Maximum, never above it, never 0.
import assert from 'node:assert/strict';
import { both, broker, connected, uid } from './support.js';

both({ v5: 'v5 [MQTT-3.1.2-27]' }, 'a client without Topic Alias Maximum receives no aliases', async (level, t) => {
  const b = await broker(t);
  const r = uid('tao');
  const s = await connected(t, b, level, {}, 'sub');
  await s.subscribe([r]);
  const pub = await connected(t, b, level, {}, 'pub');
  for (let i = 0; i < 5; i++) pub.publish({ topic: r, payload: String(i) });
  for (const m of await s.collect('PUBLISH', 5)) {
    assert.equal(m.props?.topicAlias, undefined);
    assert.equal(m.topic, r);
  }
});

both({ v5: 'v5 [MQTT-3.1.2-26] [MQTT-3.3.2-11] [MQTT-3.3.2-8]' }, 'with Topic Alias Maximum 2, aliases stay within 1..2 and resolve to the right topics', async (level, t) => {
  const b = await broker(t);
  const r = uid('tao');
  const s = await connected(t, b, level, { props: { topicAliasMaximum: 2 } }, 'sub');
  await s.subscribe([`${r}/+`]);
  const pub = await connected(t, b, level, {}, 'pub');
  const sent: string[] = [];
  for (let i = 0; i < 12; i++) {
    const topic = `${r}/${i % 4}`;
    sent.push(topic);
    pub.publish({ topic, payload: topic });
  }
  const aliases = new Map<number, string>();
  for (const m of await s.collect('PUBLISH', sent.length)) {
    const alias = m.props?.topicAlias as number | undefined;
    let topic = m.topic!;
    if (alias !== undefined) {
      assert.ok(alias >= 1 && alias <= 2, `alias ${alias}`);
      if (topic === '') topic = aliases.get(alias) ?? assert.fail(`alias ${alias} used before it was set`);
      else aliases.set(alias, topic);
    }
    assert.equal(topic, m.payload!.toString());
  }
});
