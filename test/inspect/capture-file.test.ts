// The capture file behind the broker's --capture: size rotation, each file readable by itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureFile, rotatedName } from '../../src/inspect/capture-file.js';
import { dissectBuffer } from './helpers/run.js';
import { tsharkMqtt } from './helpers/peers.js';
import { mqttConnect, mqttPublish, CONNACK_OK } from './helpers/frames.js';

const dir = mkdtempSync(join(tmpdir(), 'glassmq-capfile-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('rotated names: FILE, FILE-1, FILE-2 before the extension', () => {
  assert.equal(rotatedName('/a/b/cap.pcapng', 0), '/a/b/cap.pcapng');
  assert.equal(rotatedName('/a/b/cap.pcapng', 2), '/a/b/cap-2.pcapng');
  assert.equal(rotatedName('/a.d/cap', 1), '/a.d/cap-1');
});

test('--capture-max-mb style rotation: every file is a valid pcapng, every PUBLISH lands in exactly one, later files read from mid-connection with --port', async () => {
  const cap = new CaptureFile(join(dir, 'broker.pcapng'), { maxBytes: 64 * 1024 });
  const t = Date.UTC(2026, 0, 1);
  cap.open('a', { ip: '127.0.0.1', port: 50000 }, { ip: '127.0.0.1', port: 1883 }, t);
  cap.data('a', true, mqttConnect('rotating'), t);
  cap.data('a', false, CONNACK_OK, t);
  for (let i = 0; i < 100; i++) cap.data('a', true, mqttPublish(`rot/${i}`, Buffer.alloc(2000, i)), t + i);
  cap.close('a', t + 200);
  cap.end();
  assert.ok(cap.paths.length >= 3, `${cap.paths.length} files`);
  const topics: string[] = [];
  for (const p of cap.paths) {
    assert.ok(statSync(p).size < 64 * 1024 + 4096);
    const d = dissectBuffer(readFileSync(p), { forcedPorts: [1883] });
    topics.push(...d.json.filter((j) => j.type === 'PUBLISH').map((j) => j.topic));
    const theirs = await tsharkMqtt(p);
    assert.equal(theirs.filter((x) => x.mqtt['mqtt.topic']).length, d.json.filter((j) => j.type === 'PUBLISH').length, p);
  }
  assert.deepEqual(topics, Array.from({ length: 100 }, (_, i) => `rot/${i}`));
});
