// `glassmq decode`: the README examples, --json, --hex, --protocol, stdin, several packets, bad input.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runGlassmq } from '../helpers/net.js';

describe('glassmq decode', () => {
  test('100c00044d515454040200050000 reads as CONNECT "MQTT" level 4, clean session, keepalive 5 s, empty client id', async () => {
    const r = await runGlassmq(['decode', '100c00044d515454040200050000']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.equal(lines[0], 'MQTT CONNECT (MQTT 3.1.1), 14 bytes');
    for (const l of ['    Protocol Name: "MQTT" (4 bytes)', '    Protocol Level: 4 (MQTT 3.1.1)', '        .... ..1. = Clean Session: Set',
      '    Keep Alive: 5 s', '        Client Identifier: "" (0 bytes)']) {
      assert.ok(lines.includes(l), `missing ${JSON.stringify(l)} in\n${r.stdout}`);
    }
  });

  test('c000 reads as PINGREQ and d000 as PINGRESP', async () => {
    const [req, resp] = await Promise.all([runGlassmq(['decode', 'c000']), runGlassmq(['decode', 'd000'])]);
    assert.equal(req.code, 0);
    assert.match(req.stdout, /^MQTT PINGREQ /);
    assert.equal(resp.code, 0);
    assert.match(resp.stdout, /^MQTT PINGRESP /);
  });

  test('hex with spaces, colons and 0x prefixes, on stdin, several packets in order', async () => {
    const r = await runGlassmq(['decode'], { input: '0x10 0x0c 00:04:4d:51:54:54 04 02\n00 05 00 00\nc0 00\n' });
    assert.equal(r.code, 0, r.stderr);
    const titles = r.stdout.split('\n').filter((l) => l.startsWith('MQTT '));
    assert.deepEqual(titles, ['MQTT CONNECT (MQTT 3.1.1), 14 bytes', 'MQTT PINGREQ (MQTT 3.1.1), 2 bytes']);
  });

  test('--json prints the dissection as JSON', async () => {
    const r = await runGlassmq(['decode', '--json', '100c00044d515454040200050000']);
    assert.equal(r.code, 0);
    const [d] = JSON.parse(r.stdout);
    assert.equal(d.packet.type, 'connect');
    assert.equal(d.packet.keepalive, 5);
    assert.equal(d.error, null);
    assert.deepEqual(d.fields.find((f: { name: string }) => f.name === 'Keep Alive'), { name: 'Keep Alive', offset: 10, length: 2, hex: '0005', value: 5, display: '5 s' });
  });

  test('--hex prints the annotated hex dump', async () => {
    const r = await runGlassmq(['decode', '--hex', '100c00044d515454040200050000']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^0000 {2}10 0c 00 04 4d 51 54 54 04 02 00 05 00 00 +\.\.\.\.MQTT\.\.\.\.\.\.$/m);
    assert.match(r.stdout, /^000a {2}00 05 +Keep Alive: 5 s$/m);
  });

  test('--protocol 5 decodes non-CONNECT packets as MQTT 5 (PUBACK reason code)', async () => {
    const v5 = await runGlassmq(['decode', '--protocol', '5', '4003002a10']);
    assert.equal(v5.code, 0, v5.stdout);
    assert.match(v5.stdout, /Reason Code: 0x10 \(No matching subscribers\)/);
    const mqttv5 = await runGlassmq(['decode', '--protocol', 'mqttv5', '4003002a10']);
    assert.equal(mqttv5.stdout, v5.stdout);
    // as 3.1.1 the same bytes are malformed: PUBACK has Remaining Length 2
    const v4 = await runGlassmq(['decode', '4003002a10']);
    assert.equal(v4.code, 1);
    assert.match(v4.stdout, /error at offset 4: TRAILING_BYTES/);
  });

  test('a malformed packet prints the partial tree, then "error at offset N: CODE: detail", exit 1', async () => {
    const r = await runGlassmq(['decode', '100c00044d515454040300050000']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /Protocol Level: 4/);
    assert.match(r.stdout, /\nerror at offset 9: RESERVED_CONNECT_FLAG: reserved Connect Flags bit 0 is set\n/);
  });

  test('bad hex: one clear line on stderr, exit 2', async () => {
    const r = await runGlassmq(['decode', '10zz']);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.match(r.stderr, /bad hex/);
    const odd = await runGlassmq(['decode', '100']);
    assert.equal(odd.code, 2);
    assert.match(odd.stderr, /odd number of hex digits/);
  });

  test('the password is masked unless --show-secrets', async () => {
    const hex = '101400044d51545404c2000500000001750003707764';
    const masked = await runGlassmq(['decode', hex]);
    assert.match(masked.stdout, /Password: \*{8} \(3 bytes\)/);
    assert.doesNotMatch(masked.stdout, /pwd/);
    const shown = await runGlassmq(['decode', '--show-secrets', hex]);
    assert.match(shown.stdout, /Password: "pwd" \(3 bytes\)/);
  });
});
