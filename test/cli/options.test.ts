// Option parsing, URLs and -D properties of pub/sub/rr, without a broker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs } from '../../src/cli/client/args.js';
import { CliError } from '../../src/cli/client/errors.js';
import { resolveConnection, SHARED_OPTIONS, SESSION_NEVER_EXPIRES } from '../../src/cli/client/options.js';
import { parsePropertyArgs } from '../../src/cli/client/properties.js';
import { parseBrokerUrl } from '../../src/cli/client/url.js';

const resolve = (argv: string[], version: 3 | 4 | 5 = 4) => resolveConnection(parseArgs(argv, SHARED_OPTIONS), version);

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof CliError) return err.code;
    throw err;
  }
  return 'no error';
}

test('-h/-p/-V/-k/-i map to the CONNECT fields; default port 1883, 8883 once a TLS option is given', () => {
  const c = resolve(['-h', '127.0.0.1', '-p', '1999', '-V', 'mqttv31', '-k', '5', '-i', 'me']);
  assert.deepEqual([c.endpoint.scheme, c.endpoint.host, c.endpoint.port, c.version, c.keepalive, c.clientId], ['mqtt', '127.0.0.1', 1999, 3, 5, 'me']);
  assert.equal(resolve([]).endpoint.port, 1883);
  const t = resolve(['--cafile', '/x/ca.crt']);
  assert.deepEqual([t.endpoint.scheme, t.endpoint.port, t.tls?.cafile], ['mqtts', 8883, '/x/ca.crt']);
  assert.equal(resolve(['-V', '311']).version, 4);
  assert.equal(resolve(['-V', '5']).version, 5);
  assert.equal(code(() => resolve(['-V', '7'])), 'BAD_VALUE');
});

test('-L takes user:password@host:port/topic; ws(s) URLs keep their path for the WebSocket', () => {
  const u = parseBrokerUrl('mqtts://al%40ice:p%3Ass@broker.example:8884/sensors/+/temp');
  assert.deepEqual(u, { scheme: 'mqtts', host: 'broker.example', port: 8884, username: 'al@ice', password: 'p:ss', topic: 'sensors/+/temp' });
  assert.equal(parseBrokerUrl('mqtt://h/a/#').topic, 'a/#', "'#' is part of the topic, not a URL fragment");
  assert.deepEqual(parseBrokerUrl('ws://[::1]/mqtt'), { scheme: 'ws', host: '::1', port: 80, wsPath: '/mqtt' });
  assert.equal(parseBrokerUrl('wss://h:9001/').port, 9001);
  assert.equal(code(() => parseBrokerUrl('http://h/x')), 'BAD_URL');
  assert.equal(code(() => parseBrokerUrl('mqtt://h:99999/x')), 'BAD_URL');
  const c = resolve(['-L', 'mqtt://u:pw@127.0.0.1:1234/t']);
  assert.deepEqual([c.endpoint.port, c.username, c.password?.toString(), c.urlTopic], [1234, 'u', 'pw', 't']);
});

test('v5 [MQTT-3.1.3-6] without -i a 5.0 client sends an empty client id; 3.x gets a random id of at most 23 characters', () => {
  assert.equal(resolve([], 5).clientId, '');
  const id = resolve(['-V', '31']).clientId;
  assert.match(id, /^glassmq-[a-z0-9]+$/);
  assert.ok(id.length <= 23);
  assert.equal(resolve(['-I', 'pre-']).clientId, `pre-${process.pid}`);
});

test('-c needs a client id; with -V 5 it means a session that never expires unless -x says otherwise', () => {
  assert.equal(code(() => resolve(['-c'])), 'MISSING_OPTION');
  const c = resolve(['-c', '-i', 'keep', '-V', '5']);
  assert.deepEqual([c.clean, c.sessionExpiry], [false, SESSION_NEVER_EXPIRES]);
  assert.equal(resolve(['-c', '-i', 'k', '-V', '5', '-x', '30']).sessionExpiry, 30);
  assert.equal(resolve(['-V', '5', '-x', '-1', '-i', 'k']).sessionExpiry, SESSION_NEVER_EXPIRES);
  assert.equal(code(() => resolve(['-x', '30'])), 'BAD_COMBINATION', '-x is a 5.0 property');
});

test('v3.1.1 [MQTT-3.1.2-22] a password without a user name is refused before connecting', () => {
  assert.equal(code(() => resolve(['-P', 'secret'])), 'BAD_COMBINATION');
  assert.equal(resolve(['-P', 'secret', '-V', '5']).password?.toString(), 'secret');
});

test('will options build the Will; a will option without --will-topic is an input error', () => {
  const c = resolve(['--will-topic', 'gone', '--will-payload', 'bye', '--will-qos', '1', '--will-retain']);
  assert.deepEqual(c.will, { topic: 'gone', payload: Buffer.from('bye'), qos: 1, retain: true });
  assert.equal(code(() => resolve(['--will-payload', 'x'])), 'MISSING_OPTION');
  assert.equal(code(() => resolve(['--will-topic', 'a/#'])), 'BAD_VALUE');
});

test('-D parses mosquitto property names into typed 5.0 properties and implies -V 5', () => {
  const args = parseArgs(['-D', 'publish', 'user-property', 'k', 'v', '-D', 'PUBLISH', 'message-expiry-interval', '60',
    '-D', 'publish', 'correlation-data', 'abc', '-D', 'connect', 'receive-maximum', '10',
    '-D', 'will', 'will-delay-interval', '5', '--will-topic', 'w', '-D', 'subscribe', 'subscription-identifier', '7'], SHARED_OPTIONS);
  const c = resolveConnection(args, 4);
  assert.equal(c.version, 5);
  assert.deepEqual(c.properties.publish, { userProperties: [['k', 'v']], messageExpiryInterval: 60, correlationData: Buffer.from('abc') });
  assert.deepEqual(c.properties.connect, { receiveMaximum: 10 });
  assert.deepEqual(c.will?.properties, { willDelayInterval: 5 });
  assert.deepEqual(c.properties.subscribe, { subscriptionIdentifiers: [7] });
});

test('v5 -D rejects what the spec forbids: Topic Alias 0 [MQTT-3.3.2-8], Subscription Identifier in PUBLISH [MQTT-3.3.4-6], wrong packet, duplicates', () => {
  const bad = (...words: string[]) => code(() => parsePropertyArgs([words]));
  assert.equal(bad('publish', 'topic-alias', '0'), 'BAD_PROPERTY');
  assert.equal(bad('publish', 'subscription-identifier', '3'), 'BAD_PROPERTY');
  assert.equal(bad('connect', 'content-type', 'x'), 'BAD_PROPERTY');
  assert.equal(bad('connect', 'receive-maximum', '0'), 'BAD_PROPERTY');
  assert.equal(bad('publish', 'payload-format-indicator', '2'), 'BAD_PROPERTY');
  assert.equal(bad('publish', 'no-such-thing', '1'), 'BAD_PROPERTY');
  assert.equal(bad('pingreq', 'user-property', 'a', 'b'), 'BAD_PROPERTY');
  assert.equal(code(() => parsePropertyArgs([['publish', 'content-type', 'a'], ['publish', 'content-type', 'b']])), 'BAD_PROPERTY');
  assert.equal(code(() => resolve(['-V', '311', '-D', 'publish', 'content-type', 'x'])), 'BAD_COMBINATION');
});

test('an unknown option or a missing value is a usage error', () => {
  assert.equal(code(() => parseArgs(['-z'], SHARED_OPTIONS)), 'UNKNOWN_OPTION');
  assert.equal(code(() => parseArgs(['-h'], SHARED_OPTIONS)), 'MISSING_ARGUMENT');
  assert.equal(code(() => parseArgs(['-D', 'publish', 'user-property', 'k'], SHARED_OPTIONS)), 'MISSING_ARGUMENT');
  assert.equal(code(() => resolve(['-p', 'eighty'])), 'BAD_VALUE');
  assert.equal(code(() => resolve(['-k', '70000'])), 'BAD_VALUE');
});
