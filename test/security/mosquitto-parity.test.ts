// One mosquitto.conf, one password file made by Debian's mosquitto_passwd and one ACL file, run first by Debian's
// mosquitto 2.0.11 (`mosquitto -c conf`) and then by `glassmq broker -c conf` on the same port: for a matrix of
// users, topics and actions the accept / refuse answers must be the same. The deliberate differences are named
// and asserted too:
// - SUBSCRIBE: mosquitto grants every filter and filters at delivery; glassmq refuses in the SUBACK a filter
//   the ACL never lets anything through (3.1.1 0x80, 5.0 0x87), and mosquitto then indeed delivers nothing for it.
// - wrong credentials: mosquitto 2.0.11 answers 5 / 0x87 (not authorised); glassmq the code the specification
//   names for it, 4 / 0x86 (3.1.1 table 3.1, 5.0 table 3-1; refusal and close: 5.0 [MQTT-3.1.4-2], 3.1.1 [MQTT-3.2.2-5]).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MqttClient } from 'mqtt';
import { filterMatches } from '../../src/auth/topic-filter.js';
import {
  connackCode,
  connect,
  freePort,
  mosquittoPasswdFile,
  startGlassmq,
  startMosquittoConf,
  stop,
  subackCodes,
  sync,
  tempDir,
  writeLines,
  type RunningProcess,
} from './harness.js';

const ACL = [
  '# anonymous clients',
  'topic read public/#',
  'topic readwrite anon/#',
  '',
  'user alice',
  'topic readwrite alice/#',
  'topic deny alice/secret/#',
  'topic read public/#',
  'topic write public/alice',
  '',
  'user bob',
  'topic read alice/#',
  'topic write bob/#',
  '',
  'user admin',
  'topic readwrite #',
  '',
  'pattern readwrite clients/%c/#',
  'pattern read inbox/%u',
];
const PASSWORDS = { alice: 'apw', bob: 'bpw', dave: 'dpw', admin: 'xpw' };

interface Case {
  name: string;
  clientId: string;
  username?: string;
  password?: string;
  version: 4 | 5;
}

/** Connection attempts; the bad ones must be refused by both, the good ones accepted by both. */
const CONNECTS: Case[] = [
  { name: 'anonymous 3.1.1', clientId: 'c-anon4', version: 4 },
  { name: 'alice wrong password 3.1.1', clientId: 'c-aw4', username: 'alice', password: 'nope', version: 4 },
  { name: 'alice wrong password 5.0', clientId: 'c-aw5', username: 'alice', password: 'nope', version: 5 },
  { name: 'unknown user 3.1.1', clientId: 'c-u4', username: 'carol', password: 'cpw', version: 4 },
  // a success clears the address's failures: glassmq refuses everything from an address after 5 failures in 60 s
  { name: 'alice right password 5.0', clientId: 'c-a5', username: 'alice', password: 'apw', version: 5 },
  { name: 'unknown user 5.0', clientId: 'c-u5', username: 'carol', password: 'cpw', version: 5 },
  { name: 'bob without password 3.1.1', clientId: 'c-bn4', username: 'bob', version: 4 },
];
const BAD_CREDENTIALS = new Set(['alice wrong password 3.1.1', 'alice wrong password 5.0', 'unknown user 3.1.1', 'unknown user 5.0', 'bob without password 3.1.1']);

/** The clients of the publish / subscribe / delivery matrix. */
const CLIENTS: Case[] = [
  { name: 'anonymous', clientId: 'anon4', version: 4 },
  { name: 'anonymous v5', clientId: 'anon5', version: 5 },
  { name: 'alice', clientId: 'alice5', username: 'alice', password: 'apw', version: 5 },
  { name: 'bob', clientId: 'bob4', username: 'bob', password: 'bpw', version: 4 },
  { name: 'dave (no ACL section)', clientId: 'dave5', username: 'dave', password: 'dpw', version: 5 },
];
const ADMIN: Case = { name: 'admin', clientId: 'admin4', username: 'admin', password: 'xpw', version: 4 };

const TOPICS = [
  'public/news', 'public/alice', 'anon/x', 'alice/x', 'alice/secret/y', 'bob/x', 'other/x',
  ...CLIENTS.map((c) => `clients/${c.clientId}/t`), 'inbox/alice', 'inbox/dave',
];
const FILTERS = ['#', 'public/+', 'alice/#', 'alice/secret/#', 'bob/#', 'other/x', 'anon/#', 'clients/+/t', 'inbox/+'];

interface Answers {
  connack: Map<string, number>;
  suback: Map<string, number[]>;
  /** client -> topics delivered to it (from the admin's publishes). */
  received: Map<string, Set<string>>;
  /** `client|topic` of every publish that reached the admin's `#` subscription. */
  published: Set<string>;
  /** `client|topic` -> PUBACK reason of 5.0 clients (0 when accepted). */
  puback: Map<string, number>;
}

const opts = (c: Case) => ({ clientId: c.clientId, username: c.username, password: c.password, protocolVersion: c.version });

async function probe(port: number): Promise<Answers> {
  const a: Answers = { connack: new Map(), suback: new Map(), received: new Map(), published: new Set(), puback: new Map() };
  for (const c of CONNECTS) a.connack.set(c.name, await connackCode(port, opts(c)));
  const open: MqttClient[] = [];
  try {
    const subscribers: MqttClient[] = [];
    for (const c of CLIENTS) {
      const client = await connect(port, opts(c));
      open.push(client);
      const got = new Set<string>();
      a.received.set(c.name, got);
      client.on('message', (topic, payload) => {
        if (payload.toString() === `from-admin|${topic}`) got.add(topic);
      });
      a.suback.set(c.name, await subackCodes(client, FILTERS));
      subscribers.push(client);
    }
    const admin = await connect(port, opts(ADMIN));
    open.push(admin);
    admin.on('message', (topic, payload) => {
      const [from, on] = payload.toString().split('|');
      if (on === topic && from !== 'from-admin') a.published.add(`${from}|${topic}`);
    });
    await admin.subscribeAsync('#', { qos: 1 });
    for (const topic of TOPICS) await admin.publishAsync(topic, `from-admin|${topic}`, { qos: 1 });
    await Promise.all(subscribers.map(sync));

    for (const [i, c] of CLIENTS.entries()) {
      for (const topic of TOPICS) {
        let code = 0;
        try {
          await subscribers[i]!.publishAsync(topic, `${c.name}|${topic}`, { qos: 1 });
        } catch (err) {
          code = (err as { code?: number }).code ?? -1;
        }
        if (c.version === 5) a.puback.set(`${c.name}|${topic}`, code);
      }
    }
    await sync(admin);
  } finally {
    await Promise.all(open.map((c) => c.endAsync(true)));
  }
  return a;
}

test('the same mosquitto.conf, password and ACL files: mosquitto 2.0.11 and glassmq accept and refuse alike (3.1.1 [MQTT-3.3.5-2], 5.0 PUBACK 0x87, SUBACK 0x80/0x87)', async (t) => {
  const dir = tempDir(t);
  const port = await freePort();
  const pw = mosquittoPasswdFile(dir, PASSWORDS);
  const acl = writeLines(dir, 'acl', ACL);
  // `user root`: a root-run mosquitto would otherwise switch users and not read the 0600 files (glassmq notes it as ignored)
  const conf = writeLines(dir, 'mosquitto.conf', ['user root', `listener ${port} 127.0.0.1`, 'allow_anonymous true', `password_file ${pw}`, `acl_file ${acl}`, 'persistence false']);

  let broker: RunningProcess = await startMosquittoConf(t, conf, port);
  const mosquitto = await probe(port);
  await stop(broker);
  broker = await startGlassmq(t, conf, port);
  const glassmq = await probe(port);
  await stop(broker);

  // CONNACK: the same accept / refuse; the code differs only for bad credentials, as named above
  for (const c of CONNECTS) {
    const m = mosquitto.connack.get(c.name)!;
    const g = glassmq.connack.get(c.name)!;
    assert.equal(g === 0, m === 0, `${c.name}: mosquitto ${m}, glassmq ${g}`);
    if (BAD_CREDENTIALS.has(c.name)) {
      assert.equal(m, c.version === 5 ? 0x87 : 5, `${c.name}: mosquitto 2.0.11 says not authorised`);
      assert.equal(g, c.version === 5 ? 0x86 : 4, `${c.name}: glassmq says bad user name or password`);
    } else {
      assert.equal(g, m, c.name);
    }
  }

  // Publishing and delivery: identical
  assert.deepEqual([...glassmq.published].sort(), [...mosquitto.published].sort(), 'publishes that got through');
  assert.deepEqual(glassmq.puback, mosquitto.puback, '5.0 PUBACK reason codes');
  for (const c of CLIENTS) assert.deepEqual([...glassmq.received.get(c.name)!].sort(), [...mosquitto.received.get(c.name)!].sort(), `delivered to ${c.name}`);

  // SUBSCRIBE: mosquitto grants all; glassmq refuses exactly the filters mosquitto then delivers nothing for
  let refusals = 0;
  for (const c of CLIENTS) {
    const m = mosquitto.suback.get(c.name)!;
    const g = glassmq.suback.get(c.name)!;
    assert.deepEqual(m, FILTERS.map(() => 1), `mosquitto 2.0.11 grants every SUBSCRIBE (${c.name})`);
    FILTERS.forEach((filter, i) => {
      const delivered = [...mosquitto.received.get(c.name)!].filter((topic) => filterMatches(filter, topic));
      if (g[i] === 1) return;
      refusals++;
      assert.equal(g[i], c.version === 5 ? 0x87 : 0x80, `${c.name} ${filter}`);
      assert.deepEqual(delivered, [], `glassmq refused ${filter} for ${c.name}, but mosquitto delivered through it`);
    });
  }

  // The matrix is not vacuous: both answers occur for every action
  assert.ok(refusals > 3, `SUBSCRIBE refusals: ${refusals}`);
  const total = CLIENTS.length * TOPICS.length;
  assert.ok(mosquitto.published.size > 5 && mosquitto.published.size < total, `publishes: ${mosquitto.published.size}`);
  const deliveries = [...mosquitto.received.values()].reduce((n, s) => n + s.size, 0);
  assert.ok(deliveries > 5 && deliveries < total, `deliveries: ${deliveries}`);
  assert.ok([...mosquitto.puback.values()].includes(0x87) && [...mosquitto.puback.values()].includes(0));
});
