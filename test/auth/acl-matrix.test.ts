// The ground truth for ACL semantics: one ACL file and password file loaded in Debian's mosquitto 2.0.11 and
// in AclFile; for every client x topic, what mosquitto lets through (publish, and delivery to a subscriber)
// must be what AclFile answers. Deliberate differences are listed in EXPECTED_DIFFERENCES and asserted too.
// Observed mosquitto 2.0.11 facts asserted here: every SUBSCRIBE is granted (SUBACK carries the requested
// QoS even for filters the ACL never lets through) and messages are filtered at delivery; a refused 3.1.1
// PUBLISH is acknowledged and dropped [MQTT-3.3.5-2]; a refused 5.0 PUBLISH gets PUBACK 0x87.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { AclFile, type AclContext } from '../../src/auth/acl-file.js';
import { runGlassmq } from '../helpers/net.js';
import { startMosquitto, tempDir } from './mosquitto-peer.js';

const ACL = `# anonymous clients
topic read public/#
topic readwrite anon/#
topic deny public/secret

user alice
topic readwrite a/#
topic deny a/private/#
topic read $SYS/#
topic write nowrite/read
user bob
topic write b/in
topic read b/out
topic read a/#
user super
topic readwrite #
topic readwrite $SYS/#

pattern readwrite dev/%c/#
pattern read users/%u/inbox
pattern deny a/%u/blocked
pattern write shared/%u/status
pattern deny dev/%c/locked
`;

interface Client {
  name: string;
  ctx: AclContext;
  password?: string;
}

const CLIENTS: Client[] = [
  { name: 'anonymous', ctx: { clientId: 'anon1' } },
  { name: 'alice', ctx: { clientId: 'alice-dev', username: 'alice' }, password: 'pa' },
  { name: 'bob', ctx: { clientId: 'bob-1', username: 'bob' }, password: 'pb' },
  { name: 'eve (no user section)', ctx: { clientId: 'eve', username: 'eve' }, password: 'pe' },
  { name: 'bob with a wildcard client id', ctx: { clientId: 'bob+x', username: 'bob' }, password: 'pb' },
  { name: 'eve with a slash in her client id', ctx: { clientId: 'ev/il', username: 'eve' }, password: 'pe' },
];
const SUPER = { clientId: 'super-1', username: 'super', password: 'ps' };

const TOPICS = [
  'public/news', 'public/secret', 'anon/chat', 'a/x', 'a/private/y', 'a/alice/blocked', 'a/bob/blocked',
  'b/in', 'b/out', 'nowrite/read', 'dev/alice-dev/t', 'dev/anon1/t', 'dev/eve/t', 'dev/ev/il/t', 'dev/alice-dev/locked',
  'users/alice/inbox', 'users/bob/inbox', 'users/eve/inbox', 'shared/alice/status', 'shared/eve/status', 'other',
  '$SYS/broker/connection/x/state', '$SYS/glassmq/test',
];

/** glassmq is stricter on purpose: a `%c` expanding to a value with `/` must not reach into another subtree. */
const EXPECTED_DIFFERENCES = new Set(['eve with a slash in her client id|write|dev/ev/il/t', 'eve with a slash in her client id|read|dev/ev/il/t']);

async function connect(port: number, clientId: string, username?: string, password?: string, protocolVersion: 4 | 5 = 4): Promise<MqttClient> {
  return mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId, username, password, protocolVersion, reconnectPeriod: 0, connectTimeout: 10_000 });
}

/** A SUBSCRIBE round trip: mosquitto answers after writing everything it routed to this client before. */
const sync = (c: MqttClient): Promise<unknown> => c.subscribeAsync('sync/never', { qos: 0 });

test('ACL matrix: AclFile decides publish and delivery exactly as mosquitto 2.0.11 does (3.1.1 [MQTT-3.3.5-2])', async (t) => {
  const dir = tempDir(t);
  const aclPath = join(dir, 'acl');
  const pwPath = join(dir, 'passwd');
  writeFileSync(aclPath, ACL);
  for (const [user, pass] of [['alice', 'pa'], ['bob', 'pb'], ['eve', 'pe'], ['super', 'ps']] as const) {
    const r = await runGlassmq(['passwd', ...(user === 'alice' ? ['-c'] : []), '-b', pwPath, user, pass]);
    assert.equal(r.code, 0, r.stderr);
  }
  const port = await startMosquitto(t, dir, [`password_file ${pwPath}`, `acl_file ${aclPath}`, 'allow_anonymous true']);
  const acl = AclFile.load(aclPath);
  const open: MqttClient[] = [];
  t.after(async () => {
    await Promise.all(open.map((c) => c.endAsync(true)));
  });

  // Delivery: every client subscribes to every topic; super publishes each topic once.
  const received = new Map<string, Set<string>>();
  const subscribers: MqttClient[] = [];
  for (const client of CLIENTS) {
    const c = await connect(port, `${client.ctx.clientId}`, client.ctx.username, client.password);
    open.push(c);
    const got = new Set<string>();
    received.set(client.name, got);
    c.on('message', (topic, payload) => {
      if (payload.toString() === `from-super|${topic}`) got.add(topic);
    });
    const granted = await c.subscribeAsync(TOPICS, { qos: 0 });
    assert.ok(granted.every((g) => g.qos === 0), 'mosquitto 2.0.11 grants every SUBSCRIBE');
    subscribers.push(c);
  }
  const superClient = await connect(port, SUPER.clientId, SUPER.username, SUPER.password);
  open.push(superClient);
  const published = new Set<string>();
  superClient.on('message', (topic, payload) => {
    const [from, on] = payload.toString().split('|');
    if (on === topic && from !== 'from-super') published.add(`${from}|${topic}`);
  });
  await superClient.subscribeAsync(['#', '$SYS/#'], { qos: 0 });
  for (const topic of TOPICS) {
    if (topic === '$SYS/glassmq/test') continue; // mosquitto refuses every $SYS publish but bridge state
    await superClient.publishAsync(topic, `from-super|${topic}`, { qos: 1 });
  }
  await Promise.all(subscribers.map(sync));

  // Publish: each client publishes each topic at QoS 1; super (readwrite #, $SYS/#) sees what got through.
  for (const [i, client] of CLIENTS.entries()) {
    for (const topic of TOPICS) await open[i]!.publishAsync(topic, `${client.name}|${topic}`, { qos: 1 });
  }
  await sync(superClient);

  const mismatches: string[] = [];
  const differences: string[] = [];
  for (const client of CLIENTS) {
    for (const topic of TOPICS) {
      const cases: Array<['read' | 'write', boolean, boolean]> = [
        ['write', published.has(`${client.name}|${topic}`), acl.canPublish(client.ctx, topic)],
      ];
      if (topic !== '$SYS/glassmq/test') cases.push(['read', received.get(client.name)!.has(topic), acl.canRead(client.ctx, topic)]);
      for (const [action, mosquitto, glassmq] of cases) {
        if (mosquitto === glassmq) continue;
        const key = `${client.name}|${action}|${topic}`;
        (EXPECTED_DIFFERENCES.has(key) && mosquitto && !glassmq ? differences : mismatches).push(`${key}: mosquitto ${mosquitto}, AclFile ${glassmq}`);
      }
    }
  }
  assert.deepEqual(mismatches, []);
  assert.equal(differences.length, EXPECTED_DIFFERENCES.size, `expected differences seen: ${differences.join('; ')}`);
  // The matrix is not vacuous: both answers occur for both actions.
  const readCount = [...received.values()].reduce((n, s) => n + s.size, 0);
  assert.ok(readCount > 5 && readCount < CLIENTS.length * TOPICS.length / 2, `deliveries: ${readCount}`);
  assert.ok(published.size > 5 && published.size < CLIENTS.length * TOPICS.length / 2, `publishes: ${published.size}`);
});

test('v5: mosquitto answers a refused PUBLISH with PUBACK 0x87, and AclFile refuses the same topic', async (t) => {
  const dir = tempDir(t);
  const aclPath = join(dir, 'acl');
  const pwPath = join(dir, 'passwd');
  writeFileSync(aclPath, ACL);
  assert.equal((await runGlassmq(['passwd', '-c', '-b', pwPath, 'bob', 'pb'])).code, 0);
  const port = await startMosquitto(t, dir, [`password_file ${pwPath}`, `acl_file ${aclPath}`, 'allow_anonymous false']);
  const c = await connect(port, 'bob-5', 'bob', 'pb', 5);
  t.after(() => c.endAsync(true));
  await assert.rejects(c.publishAsync('b/out', 'x', { qos: 1 }), (err: { code?: number }) => err.code === 0x87);
  await c.publishAsync('b/in', 'x', { qos: 1 });
  const acl = AclFile.load(aclPath);
  assert.equal(acl.canPublish({ clientId: 'bob-5', username: 'bob' }, 'b/out'), false);
  assert.equal(acl.canPublish({ clientId: 'bob-5', username: 'bob' }, 'b/in'), true);
});
