// A malformed packet is shown as what it is — the fields read before the bad one and the codec's error — and the
// trace, the broker and the other connections carry on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import type { TraceEvent } from '../../../src/inspect/live/index.js';
import { makeTestCerts } from '../../transport/certs.js';
import { connectClient, endClient, startTracedBroker, waitFor } from './support.js';

// CONNECT v3.1.1, clean session, keepalive 0, client id "bad": | fixed header | "MQTT" | level 4 | flags | keepalive | id
const CONNECT = Buffer.from('100f' + '00044d515454' + '04' + '02' + '0000' + '0003626164', 'hex');
// [MQTT-3.3.1-4] PUBLISH with both QoS bits set: | 0x36 | RL 5 | topic "a" | payload "x" |
const PUBLISH_QOS3 = Buffer.from('3605' + '000161' + '0078', 'hex');

test('[MQTT-3.3.1-4] a PUBLISH with QoS 3 is traced as malformed with the codec\'s error; the broker closes only that connection', async (t) => {
  const certs = makeTestCerts();
  const b = await startTracedBroker(certs);
  t.after(async () => {
    await b.close();
    certs.cleanup();
  });
  const events: TraceEvent[] = [];
  t.after(b.running.trace!.watch({}, (ev) => events.push(ev)));
  const good = await connectClient(b.options('tcp', { clientId: 'good' }));
  const sock = connect(b.ports.tcp, '127.0.0.1');
  sock.on('error', () => undefined);
  await new Promise((r) => sock.once('connect', r));
  sock.write(CONNECT);
  await waitFor(() => events.some((e) => e.mqtt?.type === 'CONNACK' && e.connection.clientId === 'bad'), 'CONNACK for "bad"');
  sock.write(PUBLISH_QOS3);
  await waitFor(() => events.some((e) => e.kind === 'close' && e.connection.clientId === 'bad'), 'the bad connection closed');
  const bad = events.find((e) => e.connection.clientId === 'bad' && e.mqtt?.type === 'PUBLISH');
  assert.ok(bad?.mqtt);
  assert.notEqual(bad.mqtt.dissection.error, null);
  assert.match(bad.mqtt.summary, /^malformed: /);
  assert.equal(bad.mqtt.dissection.fields[0]?.name, 'Fixed Header', 'the fields read before the error');
  const summary = events.find((e) => e.kind === 'close' && e.connection.clientId === 'bad')?.summary;
  assert.match(summary?.flow ?? '', /-> MALFORMED/);
  await good.publishAsync('still/alive', 'yes', { qos: 1 });
  await endClient(good);
  sock.destroy();
});
