// Topic matching: + matches one level, # the rest (parent included); a leading wildcard does not
// match $-topics; names are compared byte for byte with no normalisation.
import assert from 'node:assert/strict';
import { both, broker, connected, uid } from './support.js';
import type { RawClient } from '../helpers/raw-client.js';

both(
  { v4: 'v3.1.1 [MQTT-3.3.2-3] [MQTT-4.7.1-2] [MQTT-4.7.1-3] [MQTT-4.5.0-1]', v5: 'v5 [MQTT-3.3.2-3] [MQTT-4.7.1-1] [MQTT-4.7.1-2] [MQTT-4.5.0-1]' },
  'wildcard filters match exactly the topics the spec says',
  async (level, t) => {
    const b = await broker(t);
    const r = uid('r');
    const cases: [string, string[]][] = [
      [`${r}/+/c`, [`${r}/b/c`, `${r}//c`]],
      [`${r}/#`, [`${r}`, `${r}/b`, `${r}/b/c`, `${r}//c`, `${r}/b/c/d`]],
      [`${r}/b/+`, [`${r}/b/c`]],
      [`+/b/c`, [`${r}/b/c`, `${r}x/b/c`]],
    ];
    const topics = [`${r}`, `${r}/b`, `${r}/b/c`, `${r}//c`, `${r}/b/c/d`, `${r}x/b/c`];
    const subs: RawClient[] = [];
    for (const [filter] of cases) {
      const s = await connected(t, b, level, {}, 'sub');
      await s.subscribe([filter]);
      subs.push(s);
    }
    const pub = await connected(t, b, level, {}, 'pub');
    for (const topic of topics) pub.publish({ topic, payload: topic });
    await pub.ping();
    for (const [i, [filter, expected]] of cases.entries()) {
      const s = subs[i]!;
      const got = (await s.collect('PUBLISH', expected.length)).map((m) => m.topic);
      assert.deepEqual(got.sort(), [...expected].sort(), `filter ${filter}`);
      await s.expectNothing(150);
    }
  },
);

both({ v4: 'v3.1.1 [MQTT-4.7.2-1]', v5: 'v5 [MQTT-4.7.2-1]' }, 'filters starting with # or + do not match $-topics', async (level, t) => {
  const b = await broker(t);
  const hash = await connected(t, b, level, {}, 'hash');
  await hash.subscribe(['#']);
  const plus = await connected(t, b, level, {}, 'plus');
  await plus.subscribe(['+/x']);
  const dollar = await connected(t, b, level, {}, 'dollar');
  await dollar.subscribe(['$test/#']);
  const pub = await connected(t, b, level, {}, 'pub');
  pub.publish({ topic: '$test/x', payload: 'd' });
  await pub.ping();
  assert.equal((await dollar.expectPacket('PUBLISH')).topic, '$test/x');
  await hash.expectNothing(300);
  await plus.expectNothing(100);
});

both({ v4: 'v3.1.1 [MQTT-4.7.3-4]', v5: 'v5 [MQTT-4.7.3-4]' }, 'matching is case sensitive and does not fold slashes or spaces', async (level, t) => {
  const b = await broker(t);
  const r = uid('n');
  const sub = await connected(t, b, level, {}, 'sub');
  await sub.subscribe([`${r}/Ab`]);
  const pub = await connected(t, b, level, {}, 'pub');
  for (const topic of [`${r}/ab`, `${r}//Ab`, `${r}/Ab `, `${r}/Ab/`, `${r}/Ab`]) pub.publish({ topic, payload: topic });
  const m = await sub.expectPacket('PUBLISH');
  assert.equal(m.topic, `${r}/Ab`);
  await sub.expectNothing(300);
});
