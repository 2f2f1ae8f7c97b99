// message_size_limit, checked against Debian's mosquitto 2.0.11 on the same file: a PUBLISH whose payload is
// larger is not routed, its QoS flow is completed (3.1.1: a normal PUBACK / PUBREC), and a CONNECT whose will
// payload is larger is refused (3.1.1 CONNACK 5, 5.0 0x95). Deliberate difference: 5.0 PUBACK / PUBREC carry
// 0x97 Quota exceeded in glassmq; mosquitto 2.0.11 sends 0x95, a code PUBACK may not carry [MQTT-3.4.2-1]
// (its man page promises 0x83). `--message-size-limit` overrides the file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { connect as connectTcp } from 'node:net';
import { RawClient, until as waitUntil } from '../broker/support.js';
import { encodePacket } from '../../src/protocol/index.js';
import { ReasonCode } from '../../src/protocol/constants.js';
import { connackCode, connect, freePort, startGlassmq, startMosquittoConf, sync, tempDir, writeLines } from './harness.js';

const LIMIT = 10;
const BIG = Buffer.alloc(LIMIT + 1, 'x');
const SMALL = Buffer.alloc(LIMIT, 's');

type Peer = 'mosquitto' | 'glassmq';
type After = { after(fn: () => Promise<void> | void): void };
/** Reason codes from 0x80 are failures [MQTT-2.4-1]. */
const ERROR_REASON = 0x80;

/** The broker on a file with `message_size_limit` (glassmq: `fileLimit` overridden by `flags`). */
async function start(t: After, peer: Peer, fileLimit = LIMIT, flags: string[] = []): Promise<number> {
  const port = await freePort();
  const conf = writeLines(tempDir(t), 'm.conf', [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', `message_size_limit ${fileLimit}`]);
  if (peer === 'mosquitto') await startMosquittoConf(t, conf, port);
  else await startGlassmq(t, conf, port, flags);
  return port;
}

/** 0 when the PUBLISH was acknowledged as success (QoS 0: nothing to wait for), else the PUBACK / PUBREC reason code. */
async function publishCode(c: RawClient, packetId: number, topic: string, payload: Buffer, qos: 0 | 1 | 2): Promise<number> {
  c.send({ type: 'publish', topic, payload, qos, retain: false, dup: false, ...(qos > 0 ? { packetId } : {}) });
  if (qos === 0) return 0;
  if (qos === 1) return (await c.expect('puback')).reasonCode ?? 0;
  const code = (await c.expect('pubrec')).reasonCode ?? 0;
  if (code < ERROR_REASON) {
    c.send({ type: 'pubrel', packetId }); // a PUBREC >= 0x80 ends the exchange [MQTT-4.3.3-9]; otherwise complete it
    await c.expect('pubcomp');
  }
  return code;
}

/** Publishes a too large and a fitting message at every QoS; returns the ack codes and what a subscriber got. */
async function exchange(t: TestContext, port: number, protocolVersion: 4 | 5): Promise<{ codes: number[]; received: string[] }> {
  const sub = await connect(port, { protocolVersion, clientId: `sub${protocolVersion}` });
  t.after(() => sub.endAsync(true));
  const received: string[] = [];
  sub.on('message', (topic, payload) => received.push(`${topic}:${payload.length}`));
  await sub.subscribeAsync('m/#', { qos: 2 });
  // a raw client: MQTT.js never settles a QoS 2 publish answered by a PUBREC >= 0x80
  const pub = await RawClient.open(t, port, protocolVersion);
  assert.equal((await pub.connect(`pub${protocolVersion}`)).reasonCode, 0);
  const codes: number[] = [];
  let packetId = 1;
  for (const qos of [0, 1, 2] as const) {
    codes.push(await publishCode(pub, packetId++, `m/big${qos}`, BIG, qos));
    codes.push(await publishCode(pub, packetId++, `m/small${qos}`, SMALL, qos));
  }
  // the connection still works after the refusals: a PINGRESP comes after everything routed before it
  pub.send({ type: 'pingreq' });
  await pub.expect('pingresp');
  assert.equal(pub.closed, false);
  await sync(sub);
  return { codes, received: received.sort() };
}

const FITTING = ['m/small0:10', 'm/small1:10', 'm/small2:10'];

for (const peer of ['mosquitto', 'glassmq'] as const) {
  test(`${peer}: 3.1.1 [MQTT-3.3.5-2] a payload over message_size_limit is acknowledged as usual and dropped`, async (t) => {
    const port = await start(t, peer);
    const { codes, received } = await exchange(t, port, 4);
    assert.deepEqual(codes, [0, 0, 0, 0, 0, 0]);
    assert.deepEqual(received, FITTING);
  });

  test(`${peer}: a will payload over message_size_limit refuses the CONNECT (3.1.1 CONNACK 5, v5 0x95); a fitting one is accepted`, async (t) => {
    const port = await start(t, peer);
    const will = (payload: Buffer) => ({ topic: 'w/t', payload, qos: 0 as const, retain: false });
    assert.equal(await connackCode(port, { protocolVersion: 4, clientId: 'w4', will: will(BIG) }), 5);
    assert.equal(await connackCode(port, { protocolVersion: 5, clientId: 'w5', will: will(BIG) }), ReasonCode.PacketTooLarge);
    assert.equal(await connackCode(port, { protocolVersion: 5, clientId: 'w5', will: will(SMALL) }), 0);
  });
}

test('glassmq: v5 [MQTT-3.4.2-1] a payload over message_size_limit gets PUBACK / PUBREC 0x97 Quota exceeded and is not routed; QoS 0 dropped', async (t) => {
  const port = await start(t, 'glassmq');
  const { codes, received } = await exchange(t, port, 5);
  assert.deepEqual(codes, [0, 0, ReasonCode.QuotaExceeded, 0, ReasonCode.QuotaExceeded, 0]);
  assert.deepEqual(received, FITTING);
});

test('mosquitto 2.0.11 (the deliberate difference): v5 PUBACK for a too large payload carries 0x95, invalid in PUBACK [MQTT-3.4.2-1]', async (t) => {
  const port = await start(t, 'mosquitto');
  const socket = connectTcp({ port, host: '127.0.0.1' });
  t.after(() => socket.destroy());
  let bytes = Buffer.alloc(0);
  socket.on('data', (d: Buffer) => (bytes = Buffer.concat([bytes, d])));
  socket.write(encodePacket({ type: 'connect', protocolName: 'MQTT', protocolVersion: 5, clean: true, keepalive: 0, clientId: 'raw' }, 5));
  socket.write(encodePacket({ type: 'publish', topic: 'm/big', payload: BIG, qos: 1, retain: false, dup: false, packetId: 7 }, 5));
  const puback = Buffer.from([0x40, 0x03, 0x00, 0x07, ReasonCode.PacketTooLarge]); // PUBACK, id 7, reason 0x95
  await waitUntil(() => bytes.includes(puback), 'PUBACK 0x95 from mosquitto');
});

test('glassmq: --message-size-limit overrides the file (limit 100 in the file, 10 on the command line)', async (t) => {
  const port = await start(t, 'glassmq', 100, ['--message-size-limit', String(LIMIT)]);
  const { codes, received } = await exchange(t, port, 5);
  assert.deepEqual(codes, [0, 0, ReasonCode.QuotaExceeded, 0, ReasonCode.QuotaExceeded, 0]);
  assert.deepEqual(received, FITTING);
});

test('glassmq: --message-size-limit 0 (the default) means no limit', async (t) => {
  const port = await start(t, 'glassmq', LIMIT, ['--message-size-limit', '0']);
  const { codes, received } = await exchange(t, port, 5);
  assert.deepEqual(codes, [0, 0, 0, 0, 0, 0]);
  assert.deepEqual(received, ['m/big0:11', 'm/big1:11', 'm/big2:11', ...FITTING].sort());
});
