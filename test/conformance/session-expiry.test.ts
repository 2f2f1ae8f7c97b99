// 5.0 Session Expiry Interval: the session outlives the connection for that long, then is discarded.
import assert from 'node:assert/strict';
import { both, broker, connected, sleep, uid } from './support.js';
import { disconnect } from '../helpers/raw-packets.js';
import { RC } from '../helpers/raw-codes.js';

both(
  { v5: 'v5 [MQTT-4.1.0-2] [MQTT-3.1.2-23]' },
  'a session with expiry 1 s is gone after 1 s offline',
  async (level, t) => {
    const b = await broker(t);
    const id = uid();
    const c = await connected(t, b, level, { clientId: id, clean: false, props: { sessionExpiryInterval: 1 } }, 'first');
    await c.subscribe(['exp/x']);
    c.destroy();
    await sleep(2500);
    const again = await connected(t, b, level, { clientId: id, clean: false, props: { sessionExpiryInterval: 1 } }, 'again');
    assert.equal(again.received[0]!.sessionPresent, false);
  },
);

both(
  { v5: 'v5 [MQTT-3.1.2-23]' },
  'session expiry set on DISCONNECT extends the session',
  async (level, t) => {
    const b = await broker(t);
    const id = uid();
    const c = await connected(t, b, level, { clientId: id, clean: false, props: { sessionExpiryInterval: 1 } }, 'first');
    c.send(disconnect(level, RC.Success, { sessionExpiryInterval: 300 }));
    await c.expectClose();
    await sleep(1500);
    const again = await connected(t, b, level, { clientId: id, clean: false, props: { sessionExpiryInterval: 300 } }, 'again');
    assert.equal(again.received[0]!.sessionPresent, true);
  },
);

both(
  { v5: 'v5 [MQTT-3.14.2-2] [MQTT-4.13.1-1]' },
  'DISCONNECT with a non-zero session expiry after CONNECT with 0 is a protocol error',
  async (level, t) => {
    const b = await broker(t);
    const c = await connected(t, b, level, { clientId: uid(), clean: true });
    c.send(disconnect(level, RC.Success, { sessionExpiryInterval: 30 }));
    const p = await c.next();
    if (p) {
      assert.equal(p.type, 'DISCONNECT');
      assert.equal(p.reasonCode, RC.ProtocolError);
      assert.equal(p.props?.sessionExpiryInterval, undefined, 'the server never sends Session Expiry on DISCONNECT');
    }
    await c.expectClose();
  },
);
