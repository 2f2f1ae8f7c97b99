// Debian's mosquitto_pub / mosquitto_sub (3.1.1 and 5.0) against the broker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { BOUND, broker, sleep, uid } from './support.js';

function run(cmd: string, args: string[], timeoutMs = 10_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

for (const [flag, label] of [['mqttv311', '3.1.1'], ['mqttv5', '5.0']] as const) {
  test(`mosquitto_pub -> mosquitto_sub (${label}) at QoS 0, 1 and 2`, BOUND, async (t) => {
    const b = await broker(t);
    const topic = `interop/mosq/${uid()}`;
    const p = String(b.port);
    const sub = run('mosquitto_sub', ['-h', '127.0.0.1', '-p', p, '-V', flag, '-t', topic, '-q', '2', '-C', '3', '-v', '-W', '10']);
    await sleep(500);
    for (const qos of ['0', '1', '2']) {
      const r = await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', p, '-V', flag, '-t', topic, '-q', qos, '-m', `msg q${qos}`]);
      assert.equal(r.code, 0, r.stderr);
    }
    const out = await sub;
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual(out.stdout.trim().split('\n'), [`${topic} msg q0`, `${topic} msg q1`, `${topic} msg q2`]);
  });

  test(`mosquitto_pub -r then mosquitto_sub (${label}) gets the retained message`, BOUND, async (t) => {
    const b = await broker(t);
    const topic = `interop/mosq/${uid()}`;
    const p = String(b.port);
    const pub = await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', p, '-V', flag, '-t', topic, '-q', '1', '-r', '-m', 'retained value']);
    assert.equal(pub.code, 0, pub.stderr);
    const sub = await run('mosquitto_sub', ['-h', '127.0.0.1', '-p', p, '-V', flag, '-t', topic, '-C', '1', '-F', '%r %t %p', '-W', '10']);
    assert.equal(sub.code, 0, sub.stderr);
    assert.equal(sub.stdout.trim(), `1 ${topic} retained value`);
  });
}

test('mosquitto_pub -D user-property -> mosquitto_sub -F %P (5.0) passes user properties through', async (t) => {
  const b = await broker(t);
  const topic = `interop/mosq/${uid()}`;
  const p = String(b.port);
  const sub = run('mosquitto_sub', ['-h', '127.0.0.1', '-p', p, '-V', 'mqttv5', '-t', topic, '-C', '1', '-F', '%P|%p', '-W', '10']);
  await sleep(500);
  const pub = await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', p, '-V', 'mqttv5', '-t', topic, '-m', 'body',
    '-D', 'publish', 'user-property', 'k1', 'v1', '-D', 'publish', 'user-property', 'k2', 'v2']);
  assert.equal(pub.code, 0, pub.stderr);
  const out = await sub;
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stdout.trim(), 'k1:v1 k2:v2|body');
});
