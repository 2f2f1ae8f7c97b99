// MQTT over WebSocket (spec section 6): subprotocol "mqtt", binary frames only, packets not aligned
// with frames.
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { both, broker, uid, WAIT_MS, type Level } from './support.js';
import { connect, parsePacket, pingreq, splitPackets, subscribe, type RawPacket } from '../helpers/raw-packets.js';

/** A WebSocket MQTT client: binary frames out, packets reassembled from frames in. */
async function wsClient(t: Parameters<Parameters<typeof both>[2]>[1], port: number, level: Level) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/mqtt`, 'mqtt');
  t.after(() => ws.terminate());
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const packets: RawPacket[] = [];
  let pending = Buffer.alloc(0);
  let closed = false;
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    assert.ok(isBinary, 'the broker sends binary frames only');
    const { packets: whole, rest } = splitPackets(Buffer.concat([pending, data]));
    pending = Buffer.from(rest);
    for (const p of whole) packets.push(parsePacket(Buffer.from(p), level));
  });
  ws.on('close', () => (closed = true));
  const until = async (done: () => boolean, ms = WAIT_MS): Promise<boolean> => {
    const deadline = Date.now() + ms;
    while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return done();
  };
  return { ws, packets, until, isClosed: () => closed };
}

both({ v4: 'v3.1.1 [MQTT-6.0.0-4]', v5: 'v5 [MQTT-6.0.0-4]' }, 'the WebSocket handshake selects the "mqtt" subprotocol', async (level, t) => {
  const b = await broker(t, { websocket: true });
  const c = await wsClient(t, b.wsPort!, level);
  assert.equal(c.ws.protocol, 'mqtt');
});

both({ v4: 'v3.1.1 [MQTT-6.0.0-2]', v5: 'v5 [MQTT-6.0.0-2]' }, 'packets split across frames and packed several to a frame are all understood', async (level, t) => {
  const b = await broker(t, { websocket: true });
  const c = await wsClient(t, b.wsPort!, level);
  const hello = connect({ level, clientId: uid() });
  const rest = Buffer.concat([hello.subarray(5), subscribe(level, 7, ['ws/#']), pingreq()]);
  c.ws.send(hello.subarray(0, 5), { binary: true });
  c.ws.send(rest.subarray(0, rest.length - 1), { binary: true });
  c.ws.send(rest.subarray(rest.length - 1), { binary: true });
  assert.ok(await c.until(() => c.packets.length >= 3), `got ${c.packets.map((p) => p.type)}`);
  assert.deepEqual(c.packets.map((p) => p.type), ['CONNACK', 'SUBACK', 'PINGRESP']);
  assert.equal(c.packets[1]!.packetId, 7);
});

both({ v4: 'v3.1.1 [MQTT-6.0.0-1]', v5: 'v5 [MQTT-6.0.0-1]' }, 'a text frame closes the connection', async (level, t) => {
  const b = await broker(t, { websocket: true });
  const c = await wsClient(t, b.wsPort!, level);
  c.ws.send(connect({ level, clientId: uid() }), { binary: true });
  assert.ok(await c.until(() => c.packets.length >= 1));
  c.ws.send(pingreq().toString('latin1'), { binary: false });
  assert.ok(await c.until(() => c.isClosed()), 'still open after a text frame');
  assert.ok(!c.packets.some((p) => p.type === 'PINGRESP'), 'the text frame must not be processed as MQTT');
});
