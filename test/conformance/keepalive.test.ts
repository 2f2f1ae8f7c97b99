// Keepalive: a client silent for 1.5 x its keepalive is cut (and its will published); PINGREQ keeps it alive.
import assert from 'node:assert/strict';
import { both, broker, connected, open, sleep, uid } from './support.js';
import { connect, pingreq } from '../helpers/raw-packets.js';
import { RC } from '../helpers/raw-codes.js';

/** Upper slack over 1.5 x keepalive: the spec sets the lower bound, a loaded machine stretches the upper one. */
const SLACK_MS = 1500;

both(
  { v4: 'v3.1.1 [MQTT-3.1.2-24]', v5: 'v5 [MQTT-3.1.2-22] [MQTT-3.2.2-22]' },
  'a client silent for 1.5 x keepalive (1 s) is cut between 1.5 s and 3 s, and its will is published',
  async (level, t) => {
    const b = await broker(t);
    const topic = `ka/${uid()}`;
    const watcher = await connected(t, b, level, {}, 'watcher');
    await watcher.subscribe([topic]);
    const c = await open(t, b, level, 'silent');
    c.send(connect({ level, clientId: uid(), keepalive: 1, will: { topic, payload: 'timed out' } }));
    const ack = await c.expectPacket('CONNACK');
    const start = Date.now();
    assert.equal(ack.props?.serverKeepAlive, undefined, 'no Server Keep Alive: the client value (1 s) applies');
    const p = await c.next(1500 + SLACK_MS + 1000);
    if (p) {
      assert.equal(level, 5);
      assert.equal(p.type, 'DISCONNECT');
      assert.equal(p.reasonCode, RC.KeepAliveTimeout);
    }
    await c.expectClose(SLACK_MS);
    const elapsed = c.closedAt - start;
    assert.ok(elapsed >= 1400, `cut after ${elapsed} ms, before 1.5 x keepalive`);
    assert.ok(elapsed <= 1500 + SLACK_MS, `cut after ${elapsed} ms`);
    assert.equal((await watcher.expectPacket('PUBLISH')).payload!.toString(), 'timed out');
  },
);

both(
  { v4: 'v3.1.1 [MQTT-3.12.4-1] [MQTT-3.1.2-24]', v5: 'v5 [MQTT-3.12.4-1] [MQTT-3.1.2-22]' },
  'PINGREQ every 0.8 s keeps a 1 s keepalive connection open, each answered by PINGRESP',
  async (level, t) => {
    const b = await broker(t);
    const c = await connected(t, b, level, { keepalive: 1 });
    for (let i = 0; i < 4; i++) {
      await sleep(800);
      c.send(pingreq());
      await c.expectPacket('PINGRESP');
    }
    assert.equal(c.closed, false);
  },
);

both(
  { v5: 'v5 [MQTT-3.2.2-22]' },
  'with maxKeepalive 10, a 60 s keepalive gets Server Keep Alive 10 in CONNACK (5.0)',
  async (level, t) => {
    const b = await broker(t, { maxKeepalive: 10 });
    const c = await open(t, b, level);
    c.send(connect({ level, clientId: uid(), keepalive: 60 }));
    const ack = await c.expectPacket('CONNACK');
    assert.equal(ack.reasonCode, RC.Success);
    assert.equal(ack.props?.serverKeepAlive, 10);
  },
);

both(
  { v4: 'v3.1.1 [MQTT-3.2.2-4] [MQTT-3.2.2-5]' },
  'with maxKeepalive 10, a 60 s keepalive is refused in 3.1.1 (no way to lower it)',
  async (level, t) => {
    const b = await broker(t, { maxKeepalive: 10 });
    const c = await open(t, b, level);
    c.send(connect({ level, clientId: uid(), keepalive: 60 }));
    const ack = await c.expectPacket('CONNACK');
    assert.notEqual(ack.reasonCode, RC.Success);
    assert.equal(ack.sessionPresent, false);
    await c.expectClose();
  },
);
