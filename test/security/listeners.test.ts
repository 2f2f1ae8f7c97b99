// Listeners from mosquitto.conf become the broker's listeners: `listener PORT ADDRESS` (tcp), `protocol
// websockets` (ws), `listener 0 PATH` (unix socket), each with mosquitto's per-listener max_connections; the
// same password file guards all of them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { connackCode, connect, freePort, mosquittoPasswdFile, startGlassmq, tempDir, writeLines } from './harness.js';

test('tcp, websockets and unix socket listeners from the file; authentication applies on each ([MQTT-6.0.0-1] binary frames over ws)', async (t) => {
  const dir = tempDir(t);
  const tcp = await freePort();
  const ws = await freePort();
  const sock = join(dir, 'mqtt.sock');
  const pw = mosquittoPasswdFile(dir, { alice: 'apw' });
  const conf = writeLines(dir, 'm.conf', [`password_file ${pw}`, 'persistence false', `listener ${tcp} 127.0.0.1`, `listener ${ws} 127.0.0.1`, 'protocol websockets', `listener 0 ${sock}`]);
  await startGlassmq(t, conf, tcp);

  assert.equal(await connackCode(tcp, { username: 'alice', password: 'apw' }), 0);
  assert.equal(await connackCode(tcp, { username: 'alice', password: 'bad' }), 4);
  const viaWs = await mqtt.connectAsync(`ws://127.0.0.1:${ws}/mqtt`, { username: 'alice', password: 'apw', reconnectPeriod: 0 });
  await viaWs.endAsync(true);
  await assert.rejects(mqtt.connectAsync(`ws://127.0.0.1:${ws}/mqtt`, { reconnectPeriod: 0 }), (err: { code?: number }) => err.code === 5);
  const viaUnix = await mqtt.connectAsync({ path: sock, protocol: 'mqtt', unixSocket: true, username: 'alice', password: 'apw', reconnectPeriod: 0 });
  await viaUnix.endAsync(true);
});

test('max_connections 1 on a listener: a second connection is closed before it is heard', async (t) => {
  const dir = tempDir(t);
  const port = await freePort();
  const conf = writeLines(dir, 'm.conf', [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'max_connections 1', 'persistence false']);
  await startGlassmq(t, conf, port);
  // waitForPort's probe connection holds the slot until the broker sees it close: bounded retries
  const first = await retry(() => connect(port));
  t.after(() => first.endAsync(true));
  const closed = await new Promise<boolean>((resolve) => {
    const s = netConnect(port, '127.0.0.1');
    s.on('close', () => resolve(true));
    s.on('error', () => undefined);
    setTimeout(() => {
      s.destroy();
      resolve(false);
    }, 5000).unref();
  });
  assert.equal(closed, true);
  await first.endAsync();
  // the broker sees the close a moment later
  assert.equal(await retry(() => connackCode(port, {})), 0, 'the slot is free again');
});

/** `fn` until it resolves, at most 50 tries 100 ms apart. */
async function retry<T>(fn: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= 50) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

test('per_listener_settings true: each listener its own password file and allow_anonymous (CONNACK 0 / 4 / 5 per listener)', async (t) => {
  const dir = tempDir(t);
  const open = await freePort();
  const guarded = await freePort();
  const pw = mosquittoPasswdFile(dir, { alice: 'apw' });
  const conf = writeLines(dir, 'm.conf', [
    'per_listener_settings true', 'persistence false',
    `listener ${open} 127.0.0.1`, 'allow_anonymous true',
    `listener ${guarded} 127.0.0.1`, `password_file ${pw}`,
  ]);
  await startGlassmq(t, conf, open);
  assert.equal(await connackCode(open, {}), 0);
  assert.equal(await connackCode(guarded, {}), 5, 'no allow_anonymous on this listener: the default, false');
  assert.equal(await connackCode(guarded, { username: 'alice', password: 'nope' }), 4);
  assert.equal(await connackCode(guarded, { username: 'alice', password: 'apw' }), 0);
});
