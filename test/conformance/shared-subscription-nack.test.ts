// 5.0 shared subscriptions: a member that refuses a message (PUBACK >= 0x80) ends its delivery; the
// broker does not retry it on another member.
import assert from 'node:assert/strict';
import { both, broker, connected, uid } from './support.js';
import { puback } from '../helpers/raw-packets.js';
import { RC } from '../helpers/raw-codes.js';

both({ v5: 'v5 [MQTT-4.8.2-6] [MQTT-4.4.0-2]' }, 'a message refused by its member is not re-sent to another member', async (level, t) => {
  const b = await broker(t);
  const r = uid('nack');
  const refuser = await connected(t, b, level, {}, 'refuser');
  await refuser.subscribe([{ filter: `$share/g/${r}`, qos: 1 }]);
  const taker = await connected(t, b, level, {}, 'taker');
  await taker.subscribe([{ filter: `$share/g/${r}`, qos: 1 }]);
  taker.autoAck = true;
  const pub = await connected(t, b, level, {}, 'pub');
  const N = 10;
  for (let i = 1; i <= N; i++) {
    await pub.publishQos1({ topic: r, payload: String(i) }, i);
  }
  const refused: number[] = [];
  for (;;) {
    const p = await refuser.next(500);
    if (!p) break;
    if (p.type === 'PUBLISH') {
      refused.push(Number(p.payload!.toString()));
      refuser.send(puback(level, p.packetId!, RC.UnspecifiedError));
    }
  }
  await taker.ping();
  const taken = taker.received.filter((p) => p.type === 'PUBLISH').map((p) => Number(p.payload!.toString()));
  assert.ok(refused.length > 0, 'the refusing member got some messages');
  assert.equal(refused.length + taken.length, N, `refused ${refused} taken ${taken}: a refused message was re-sent`);
});
