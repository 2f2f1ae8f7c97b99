// maxConnections: connections beyond the limit are refused (closed, or CONNACK 0x89 / 0x9F in 5.0)
// while the admitted clients keep working; a freed slot can be reused.
import assert from 'node:assert/strict';
import { both, broker, connected, open, sleep, uid } from './support.js';
import { connect } from '../helpers/raw-packets.js';
import { RC } from '../helpers/raw-codes.js';

both({ v4: 'v3.1.1 [issue-3 max-connections]', v5: 'v5 [issue-3 max-connections]' }, 'the connection over maxConnections 2 is refused, the first two keep working', async (level, t) => {
  const b = await broker(t, { maxConnections: 2 });
  const one = await connected(t, b, level, {}, 'one');
  const two = await connected(t, b, level, {}, 'two');
  const three = await open(t, b, level, 'three');
  three.send(connect({ level, clientId: uid() }));
  const p = await three.next();
  if (p) {
    assert.equal(p.type, 'CONNACK', `got ${p.type}`);
    assert.notEqual(p.reasonCode, RC.Success);
  }
  await three.expectClose();
  await one.ping();
  await two.ping();
  two.destroy();
  await sleep(200);
  await connected(t, b, level, {}, 'four');
});
