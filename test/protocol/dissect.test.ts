// The dissector: byte spans of every field, partial dissection of malformed packets, secrets masked, and the
// three renderings (tree, annotated hex dump, JSON) plus the one-line summary.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  dissectPacket, dissectPackets, dissectionToJSON, parseHex, renderHexDump, renderTree, summarizePacket,
  type DissectField,
} from '../../src/protocol/index.js';
import { FIXTURES } from '../fixtures/packets.js';

const find = (fields: DissectField[], name: string): DissectField => {
  for (const f of fields) {
    if (f.name === name) return f;
    const inner = f.children ? findOrNull(f.children, name) : null;
    if (inner) return inner;
  }
  throw new Error(`no field ${name}`);
};
const findOrNull = (fields: DissectField[], name: string): DissectField | null => {
  try {
    return find(fields, name);
  } catch {
    return null;
  }
};
const span = (f: DissectField): [number, number] => [f.offset, f.length];

const CONNECT_EXAMPLE = parseHex('100c00044d515454040200050000');
const PUBLISH_V5 = Buffer.from(FIXTURES.find((f) => f.name === 'v5 publish qos 1 with properties')!.bytes);

describe('dissector byte spans', () => {
  test('v3.1.1 CONNECT: every field at its offset with its length', () => {
    const d = dissectPacket(CONNECT_EXAMPLE);
    assert.equal(d.error, undefined);
    assert.deepEqual(span(find(d.fields, 'Fixed Header')), [0, 1]);
    assert.deepEqual(span(find(d.fields, 'Remaining Length')), [1, 1]);
    assert.deepEqual(span(find(d.fields, 'Byte 1')), [1, 1]);
    assert.deepEqual(span(find(d.fields, 'Protocol Name')), [2, 6]);
    assert.equal(find(d.fields, 'Protocol Name').value, 'MQTT');
    assert.deepEqual(span(find(d.fields, 'Protocol Level')), [8, 1]);
    assert.equal(find(d.fields, 'Protocol Level').display, '4 (MQTT 3.1.1)');
    assert.deepEqual(span(find(d.fields, 'Connect Flags')), [9, 1]);
    assert.equal(find(d.fields, 'Clean Session').value, true);
    assert.equal(find(d.fields, 'Clean Session').bits, '.... ..1.');
    assert.deepEqual(span(find(d.fields, 'Keep Alive')), [10, 2]);
    assert.equal(find(d.fields, 'Keep Alive').display, '5 s');
    assert.deepEqual(span(find(d.fields, 'Client Identifier')), [12, 2]);
    assert.equal(find(d.fields, 'Client Identifier').value, '');
  });

  test('v5 PUBLISH with properties: topic, packet id, each property and the payload', () => {
    const d = dissectPacket(PUBLISH_V5, 5);
    assert.equal(d.error, undefined);
    const qos = find(find(d.fields, 'Fixed Header').children!, 'QoS');
    assert.deepEqual([qos.value, qos.bits], [1, '.... .01.']);
    assert.deepEqual(span(find(d.fields, 'Topic Name')), [2, 5]);
    assert.deepEqual(span(find(d.fields, 'Packet Identifier')), [7, 2]);
    assert.deepEqual(span(find(d.fields, 'Properties')), [9, 29]);
    assert.deepEqual(span(find(d.fields, 'Property Length')), [9, 1]);
    assert.deepEqual(span(find(d.fields, 'Payload Format Indicator')), [10, 2]);
    assert.deepEqual(span(find(d.fields, 'Message Expiry Interval')), [12, 5]);
    const ct = find(d.fields, 'Content Type');
    assert.deepEqual(span(ct), [17, 13]);
    assert.equal(ct.value, 'text/plain');
    assert.match(find(ct.children!, 'Identifier').display!, /0x03 \(Content Type, UTF-8 String\)/);
    assert.deepEqual(span(find(d.fields, 'Correlation Data')), [30, 5]);
    assert.deepEqual(span(find(d.fields, 'Topic Alias')), [35, 3]);
    assert.deepEqual(span(find(d.fields, 'Payload')), [38, 5]);
    assert.equal(find(d.fields, 'Payload').display, '"hello" (5 bytes)');
  });

  test('a binary payload displays as hex', () => {
    const d = dissectPacket(Buffer.from([0x30, 0x05, 0x00, 0x01, 0x74, 0x00, 0xff]));
    assert.equal(find(d.fields, 'Payload').display, '0x00ff (2 bytes)');
  });

  test('each byte of a multi-byte Remaining Length is its own field', () => {
    const bytes = Buffer.concat([Buffer.from([0x30, 0xc8, 0x01, 0x00, 0x01, 0x74]), Buffer.alloc(197)]);
    const d = dissectPacket(bytes);
    const rl = find(d.fields, 'Remaining Length');
    assert.equal(rl.value, 200);
    assert.deepEqual(rl.children!.map((c) => [c.name, c.offset, c.value]), [['Byte 1', 1, 0xc8], ['Byte 2', 2, 0x01]]);
  });
});

describe('dissector on malformed packets', () => {
  test('v5 [MQTT-3.8.3-5] reserved subscription option bits: fields up to the bad one, then the error and its offset', () => {
    const bytes = Buffer.from([0x82, 0x07, 0x00, 0x01, 0x00, 0x00, 0x01, 0x61, 0x40]);
    const d = dissectPacket(bytes, 5);
    assert.equal(d.packet, undefined);
    assert.equal(d.error?.code, 'INVALID_SUBSCRIPTION_OPTIONS');
    assert.equal(d.error?.offset, 8);
    assert.equal(find(d.fields, 'Packet Identifier').value, 1);
    assert.equal(find(d.fields, 'Topic Filter').value, 'a');
    const opts = find(d.fields, 'Subscription Options');
    assert.deepEqual(span(opts), [8, 1]);
    assert.match(opts.error ?? find(d.fields, 'Subscription').error ?? '', /INVALID_SUBSCRIPTION_OPTIONS/);
  });

  test('v3.1.1 [MQTT-3.1.2-3] reserved Connect Flag: the flags field carries the error', () => {
    const d = dissectPacket(parseHex('100c00044d515454040300050000'));
    assert.equal(d.error?.code, 'RESERVED_CONNECT_FLAG');
    assert.equal(d.error?.offset, 9);
    assert.match(find(d.fields, 'Connect Flags').error!, /RESERVED_CONNECT_FLAG/);
    assert.equal(findOrNull(d.fields, 'Keep Alive'), null); // decoding stopped at the flags
  });

  test('truncated PUBLISH: fields that are there, then TRUNCATED at the end of the bytes', () => {
    const d = dissectPacket(Buffer.from([0x30, 0x0a, 0x00, 0x03, 0x61, 0x62, 0x63]));
    assert.equal(d.error?.code, 'TRUNCATED');
    assert.equal(d.error?.offset, 7);
    assert.equal(find(d.fields, 'Topic Name').value, 'abc');
  });
});

describe('secrets', () => {
  const withPassword = parseHex('101400044d51545404c2000500000001750003707764');
  test('the password is masked in fields, tree, hex dump and JSON unless showSecrets', () => {
    const d = dissectPacket(withPassword);
    assert.equal(find(d.fields, 'Password').value, '********');
    assert.doesNotMatch(renderTree(d), /pwd/);
    assert.doesNotMatch(renderHexDump(d), /70 77 64|pwd/);
    const json = JSON.stringify(dissectionToJSON(d));
    assert.doesNotMatch(json, /pwd|707764/);
  });
  test('showSecrets shows it', () => {
    const d = dissectPacket(withPassword, 4, { showSecrets: true });
    assert.match(renderTree(d), /Password: "pwd" \(3 bytes\)/);
    assert.match(JSON.stringify(dissectionToJSON(d)), /"text":"pwd"/);
  });
});

describe('renderings', () => {
  test('tree: the README example reads as CONNECT, MQTT, level 4, clean session, keepalive 5 s, empty client id', () => {
    const tree = renderTree(dissectPacket(CONNECT_EXAMPLE));
    for (const line of [
      'MQTT CONNECT (MQTT 3.1.1), 14 bytes',
      '    Protocol Name: "MQTT" (4 bytes)',
      '    Protocol Level: 4 (MQTT 3.1.1)',
      '        .... ..1. = Clean Session: Set',
      '    Keep Alive: 5 s',
      '        Client Identifier: "" (0 bytes)',
    ]) assert.ok(tree.split('\n').includes(line), `missing line ${JSON.stringify(line)} in\n${tree}`);
  });

  test('tree of a malformed packet ends with "error at offset N: CODE: detail"', () => {
    const tree = renderTree(dissectPacket(Buffer.from([0x36, 0x00])));
    assert.equal(tree.split('\n').at(-1), 'error at offset 0: INVALID_QOS: PUBLISH QoS is 3');
  });

  test('hex dump: the classic dump and one line per field with its offset and bytes', () => {
    const dump = renderHexDump(dissectPacket(CONNECT_EXAMPLE));
    const lines = dump.split('\n');
    assert.match(lines[0]!, /^0000 {2}10 0c 00 04 4d 51 54 54 04 02 00 05 00 00 +\.\.\.\.MQTT\.\.\.\.\.\.$/);
    assert.ok(lines.some((l) => /^0002 {2}00 04 4d 51 54 54 +Protocol Name: "MQTT"/.test(l)));
    assert.ok(lines.some((l) => /^000a {2}00 05 +Keep Alive: 5 s$/.test(l)));
  });

  test('JSON: packet, error and fields with offsets and hex', () => {
    const json = dissectionToJSON(dissectPacket(PUBLISH_V5, 5));
    assert.equal(json.protocolVersion, 5);
    assert.equal(json.error, null);
    assert.deepEqual((json.packet as { payload: unknown }).payload, { hex: '68656c6c6f', text: 'hello' });
    const topic = json.fields.find((f) => f.name === 'Topic Name')!;
    assert.deepEqual([topic.offset, topic.length, topic.hex, topic.value], [2, 5, '0003612f62', 'a/b']);
    assert.doesNotThrow(() => JSON.parse(JSON.stringify(json)));
  });

  test('dissectPackets: concatenated packets in order; a CONNECT sets the version for the rest', () => {
    const v5connect = Buffer.from(FIXTURES.find((f) => f.name === 'v5 connect minimal')!.bytes);
    const v5puback = Buffer.from([0x40, 0x03, 0x00, 0x2a, 0x10]);
    const all = dissectPackets(Buffer.concat([v5connect, v5puback, parseHex('c000')]));
    assert.deepEqual(all.map((d) => d.packet?.type), ['connect', 'puback', 'pingreq']);
    assert.deepEqual(all[1]!.packet, { type: 'puback', packetId: 42, reasonCode: 0x10 });
  });
});

describe('summarizePacket', () => {
  test('one line per packet type', () => {
    const lines = FIXTURES.map((f) => summarizePacket(f.packet, f.version));
    for (const l of lines) assert.doesNotMatch(l, /\n/);
    assert.equal(summarizePacket({ type: 'publish', topic: 'a/b', payload: Buffer.from('hello'), qos: 1, retain: true, dup: false, packetId: 7 }, 4),
      'PUBLISH q1 id=7 retain "a/b" 5 B "hello"');
    assert.equal(summarizePacket({ type: 'connack', sessionPresent: false, reasonCode: 0x86 }, 5), 'CONNACK 0x86 (Bad User Name or Password)');
    assert.equal(summarizePacket({ type: 'connack', sessionPresent: true, reasonCode: 0 }, 4), 'CONNACK rc=0 (Connection Accepted) session-present');
    assert.match(summarizePacket(FIXTURES[0]!.packet, 3), /password=\*{8}/);
  });
});
