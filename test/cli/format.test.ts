// sub -F / -v / -N output and the %j JSON, checked against what mosquitto_sub 2.0 prints for the same message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileFormat, renderFormat, renderMessage, type ReceivedMessage } from '../../src/cli/client/format.js';
import { strftimeChar, zoneOffset } from '../../src/cli/client/time-format.js';
import { topicMatches } from '../../src/protocol/index.js';

const time = { date: new Date(2026, 10, 30, 9, 7, 3, 123), nanos: 123_456_789 };
const base: ReceivedMessage = { topic: 'a/b', payload: Buffer.from('hi'), qos: 1, retain: true, packetId: 7, time, clientId: 'me' };
const fmt = (format: string, m: ReceivedMessage = base) => {
  const warnings: string[] = [];
  const out = renderFormat(compileFormat(format), m, { pretty: false, warn: (l) => warnings.push(l) }).toString('utf8');
  return { out, warnings };
};

test('-F message tokens: %t %p %q %r %m %l %x %X %i and %% / @@ literals', () => {
  assert.equal(fmt('%t|%p|%q|%r|%m|%l|%x|%X|%i|%%|@@').out, 'a/b|hi|1|1|7|2|6869|6869|me|%|@');
});

test('-F widths and flags as mosquitto: %10t, %-10t, %2.1t (max width), %05l, zero only for numeric tokens', () => {
  assert.equal(fmt('[%10t][%-10t][%2.1t][%05l][%-5l][%05t]').out, '[       a/b][a/b       ][ a][00002][2    ][  a/b]');
});

test('-F escapes \\n \\t \\0 \\e \\\\ and strftime @ sequences in local time, @N nanoseconds', () => {
  assert.equal(fmt('\\t\\0\\e\\\\\\n').out, '\t\0\x1b\\\n');
  assert.equal(fmt('@Y-@m-@d @H:@M:@S @N').out, '2026-11-30 09:07:03 123456789');
  assert.equal(strftimeChar('z', time), zoneOffset(time.date));
  assert.equal(fmt('%I').out, `2026-11-30T09:07:03${zoneOffset(time.date)}`);
  assert.match(fmt('%U').out, /^\d+\.123456789$/);
});

test('v5 -F tokens show the properties: %C %D %E %F %P %R %S %A', () => {
  const m: ReceivedMessage = {
    ...base,
    properties: {
      contentType: 'text/plain', correlationData: Buffer.from('cd'), messageExpiryInterval: 100, payloadFormatIndicator: 1,
      userProperties: [['k', 'v'], ['k', 'w'], ['a', 'b']], responseTopic: 'rt', subscriptionIdentifiers: [7], topicAlias: 3,
    },
  };
  assert.equal(fmt('C=%C D=%D E=%E F=%F P=%P R=%R S=%S A=%A', m).out, 'C=text/plain D=cd E=100 F=1 P=k:v k:w a:b R=rt S=7 A=3');
  assert.equal(fmt('C=%C P=%P').out, 'C= P=', 'absent properties print as nothing');
});

test('%j has mosquitto_sub\'s fields in its order, keeps duplicate user-property keys; %J inlines a JSON payload', () => {
  const m: ReceivedMessage = { ...base, properties: { userProperties: [['k', 'v'], ['k', 'w']], contentType: 'c' } };
  const j = fmt('%j', m).out;
  assert.match(j, /^\{"tst":"2026-11-30T09:07:03\.123456[+-]\d{4}","topic":"a\/b","qos":1,"retain":1,"payloadlen":2,"mid":7,/);
  assert.ok(j.endsWith(',"properties":{"user-properties":{"k":"v","k":"w"},"content-type":"c"},"payload":"hi"}'), j);
  const J = fmt('%J', { ...base, payload: Buffer.from('{"t": 21.5}'), qos: 0 }).out;
  assert.ok(J.endsWith('"payloadlen":11,"payload":{"t":21.5}}'), J);
  assert.ok(!J.includes('"mid"'), 'mid only for QoS > 0');
  const notJson = fmt('<%J>');
  assert.equal(notJson.out, '<>');
  assert.deepEqual(notJson.warnings, ['Error: Message payload is not valid JSON on topic a/b.']);
});

test('--pretty indents %j with tabs', () => {
  const out = renderFormat(compileFormat('%j'), { ...base, qos: 0 }, { pretty: true, warn: () => undefined }).toString();
  assert.match(out, /^\{\n\t"tst":\t"[^"]+",\n\t"topic":\t"a\/b",\n/);
  assert.ok(out.endsWith('\t"payload":\t"hi"\n}'));
});

test('default output is the payload, -v prefixes the topic ("(null)" for an empty payload), -N drops the newline', () => {
  const style = { verbose: false, noEol: false, pretty: false };
  assert.equal(renderMessage(base, style, () => undefined).toString(), 'hi\n');
  assert.equal(renderMessage(base, { ...style, verbose: true }, () => undefined).toString(), 'a/b hi\n');
  assert.equal(renderMessage({ ...base, payload: Buffer.alloc(0) }, { ...style, verbose: true }, () => undefined).toString(), 'a/b (null)\n');
  assert.equal(renderMessage(base, { ...style, noEol: true }, () => undefined).toString(), 'hi');
  assert.equal(renderMessage(base, { ...style, verbose: true, format: compileFormat('%q') }, () => undefined).toString(), '1\n', '-F overrides -v');
});

test('%p writes the payload bytes unchanged, even when they are not UTF-8', () => {
  const raw = Buffer.from([0x00, 0xff, 0x80, 0x0a]);
  const out = renderFormat(compileFormat('<%p>'), { ...base, payload: raw }, { pretty: false, warn: () => undefined });
  assert.deepEqual(out, Buffer.concat([Buffer.from('<'), raw, Buffer.from('>')]));
});

test('-T matching: + is one level, # the rest (and the parent), [MQTT-4.7.2-1] wildcards do not match $ topics', () => {
  assert.ok(topicMatches('a/+/c', 'a/b/c'));
  assert.ok(!topicMatches('a/+', 'a/b/c'));
  assert.ok(topicMatches('a/#', 'a'));
  assert.ok(topicMatches('a/#', 'a/b/c'));
  assert.ok(!topicMatches('#', '$SYS/x'));
  assert.ok(topicMatches('$SYS/#', '$SYS/x'));
  assert.ok(!topicMatches('a/b', 'a/b/c'));
});
